import Foundation
import Hummingbird
import MultipartKit
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A submitted form: `application/x-www-form-urlencoded`, or `multipart/form-data` when it carries files
/// (the report form's screenshots), parsed with MultipartKit.
struct WebForm {
    var fields: [String: String] = [:]
    var files: [(field: String, filename: String, bytes: [UInt8])] = []

    static func read(_ request: Request, maxBytes: Int) async throws -> WebForm {
        let type = request.headers[.contentType] ?? ""
        guard type.lowercased().hasPrefix("multipart/form-data") else {
            return WebForm(fields: WebServer.urlencoded(try await request.body.collect(upTo: 256 * 1024)))
        }
        guard let b = type.range(of: "boundary=") else { throw DaemonError(.form, "a multipart form without a boundary") }
        let boundary = String(type[b.upperBound...].prefix { $0 != ";" }).trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        let buffer = try await request.body.collect(upTo: maxBytes)
        var form = WebForm()
        var headers: [String: String] = [:]
        var body: [UInt8] = []
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in headers[name.lowercased()] = value }
        parser.onBody = { chunk in body += chunk.readBytes(length: chunk.readableBytes) ?? [] }
        parser.onPartComplete = {
            let disposition = headers["content-disposition"] ?? ""
            func parameter(_ key: String) -> String? {
                guard let r = disposition.range(of: key + "=\"") else { return nil }
                return String(disposition[r.upperBound...].prefix { $0 != "\"" })
            }
            if let name = parameter("name") {
                if let filename = parameter("filename") {
                    if !filename.isEmpty || !body.isEmpty { form.files.append((name, filename, body)) }
                } else {
                    form.fields[name] = String(decoding: body, as: UTF8.self)
                }
            }
            headers = [:]
            body = []
        }
        try parser.execute(buffer)
        return form
    }

    /// An unlinked temporary file holding `bytes`, opened for reading: how uploaded files reach the evidence
    /// store, which takes descriptors (as from the socket).
    static func descriptor(for bytes: [UInt8], in directory: String) -> Int32? {
        var template = Array((directory + "/.upload-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        unlink(String(cString: template))
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; close(fd); return nil }
            done += n
        }
        lseek(fd, 0, SEEK_SET)
        return fd
    }
}
