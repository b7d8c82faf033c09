#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension JournalReader {
    /// The records whose lines stand at `places`, read with one `pread` each and every line's hash checked as it
    /// is read: what a review costs is the lines it shows, however long the journal has grown since.
    ///
    /// Throws, naming the segment and byte, when a place does not hold a whole record whose hash holds: an index
    /// that does not match its journal is a fault to report, never a reason to show something else.
    public static func records(at places: [RecordPlace], directory: String) throws(JournalError) -> [JournalRecord] {
        var files: [UInt32: Int32] = [:]
        defer { for fd in files.values { FileIO.closeFD(fd) } }
        var out: [JournalRecord] = []
        out.reserveCapacity(places.count)
        var buffer = [UInt8](repeating: 0, count: 4096)
        for place in places {
            let path = directory + "/" + place.segmentName
            let fd: Int32
            if let open = files[place.segment] { fd = open } else {
                fd = try FileIO.openFile(path, flags: O_RDONLY)
                files[place.segment] = fd
            }
            let length = Int(place.length)
            if buffer.count < length + 1 { buffer = [UInt8](repeating: 0, count: length + 1) }
            // The line and the byte after it, which must be its `\n`: a place that cuts a line short is caught too.
            var filled = 0
            while filled < length + 1 {
                let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, length + 1 - filled, off_t(Int(place.offset) + filled)) }
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw JournalError(.io, "cannot read \(path) at byte \(place.offset): \(FileIO.errnoText())") }
                if n == 0 { break }
                filled += n
            }
            guard filled == length + 1, buffer[length] == 0x0A else {
                throw JournalError(.damaged, "\(path) has no whole line of \(length) bytes at byte \(place.offset): the index does not match the journal")
            }
            let decoded = buffer.withUnsafeBytes { RecordLine.decode(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
            switch decoded {
            case .success(var record):
                record.place = place
                out.append(record)
            case .failure(let flaw):
                throw JournalError(.damaged, "\(path) at byte \(place.offset): \(flaw)")
            }
        }
        return out
    }
}
