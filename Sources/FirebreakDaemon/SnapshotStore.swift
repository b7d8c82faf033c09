import Crypto
import FirebreakCore
import FirebreakJournal
import FirebreakReview
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The engine's state as of one journal record, in `state/snapshot/state.json`, so a restart reads only the
/// records after it. A cache of the journal, never the record: one that is missing, torn, of another version
/// or not matching the journal is ignored and the whole journal is replayed, and after every start from a
/// snapshot the daemon re-derives it from the journal in the background (`SnapshotCheck`).
///
/// The file is a header line (`{"format":"firebreak-snapshot-v2","seq":…,"hash":…,"sha256":…,"bytes":…}`)
/// and the body: the state (`StateSnapshot`) and the incident index (`IncidentIndex`: where each incident's
/// records are). v1 snapshots (before the index) are not read: the first start of this version replays the journal. Written to a
/// temporary file, synced, renamed over the old one and the directory synced, so a crash leaves the old
/// snapshot or the new one, never half of one.
public struct SnapshotStore: Sendable {
    public let directory: String
    static let format = "firebreak-snapshot-v2"

    public init(directory: String) { self.directory = directory }

    public var path: String { directory + "/state.json" }

    public struct Loaded: Sendable {
        public let resume: JournalResume
        public let fold: JournalFold
        public let bytes: Int
    }

    /// The snapshot, or nil when there is none; throws (a reason for the log) when there is one that cannot be used.
    public func load() throws(DaemonError) -> Loaded? {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) { throw DaemonError(.snapshot, "\(path) cannot be read") }
            return nil
        }
        let bytes = [UInt8](data)
        guard let nl = bytes.firstIndex(of: 0x0A) else { throw DaemonError(.snapshot, "\(path) has no header line") }
        let header: JSONValue
        do { header = try JSONParser.parse(bytes[..<nl]) } catch { throw DaemonError(.snapshot, "\(path): the header is not JSON: \(error)") }
        guard header["format"]?.stringValue == SnapshotStore.format, let seq = header["seq"]?.intValue, seq > 0,
              let hash = header["hash"]?.stringValue, let digest = header["sha256"]?.stringValue, let size = header["bytes"]?.intValue
        else { throw DaemonError(.snapshot, "\(path): the header is not a \(SnapshotStore.format) header") }
        let body = bytes[(nl + 1)...]
        guard body.count == size else { throw DaemonError(.snapshot, "\(path) holds \(body.count) bytes of state, its header says \(size) (cut short?)") }
        guard Hex.lowercase(SHA256.hash(data: body)) == digest else { throw DaemonError(.snapshot, "\(path): the state's SHA-256 does not match its header") }
        let value: JSONValue
        do { value = try JSONParser.parse(body, maxDepth: 16) } catch { throw DaemonError(.snapshot, "\(path): the state is not JSON: \(error)") }
        let state: EngineState
        do { state = try StateSnapshot.state(value["state"] ?? .null) } catch { throw DaemonError(.snapshot, "\(path): \(error)") }
        let index: IncidentIndex
        do { index = try IncidentIndex(json: value["index"] ?? .null) } catch { throw DaemonError(.snapshot, "\(path): \(error)") }
        return Loaded(resume: JournalResume(seq: UInt64(seq), hash: hash), fold: JournalFold(state: state, index: index), bytes: bytes.count)
    }

    /// Writes the state as of `resume` (encoding runs on the caller's thread: call it off the cooperative pool).
    /// Returns the file's size.
    @discardableResult
    public func save(_ fold: JournalFold, resume: JournalResume) throws(DaemonError) -> Int {
        var body: [UInt8] = []
        body.reserveCapacity(fold.state.incidents.count * 600 + 4096)
        JSONWriter.write(.object([
            "state": StateSnapshot.json(fold.state),
            "index": fold.index.json,
        ]), into: &body)
        var out: [UInt8] = []
        JSONWriter.write(.object([
            "format": .string(SnapshotStore.format), "seq": .int(Int64(resume.seq)), "hash": .string(resume.hash),
            "sha256": .string(Hex.lowercase(SHA256.hash(data: body))), "bytes": .int(Int64(body.count)),
        ]), into: &out)
        out.append(0x0A)
        out += body
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw DaemonError(.snapshot, "cannot create \(directory): \(error)")
        }
        let temporary = directory + "/.state.json.tmp"
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DaemonError(.snapshot, "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < out.count {
            let n = out.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let why = String(cString: strerror(errno))
                Glibc.close(fd)
                unlink(temporary)
                throw DaemonError(.snapshot, "cannot write \(temporary): \(why)")
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            let why = String(cString: strerror(errno))
            Glibc.close(fd)
            unlink(temporary)
            throw DaemonError(.snapshot, "cannot sync \(temporary): \(why)")
        }
        Glibc.close(fd)
        guard rename(temporary, path) == 0 else { throw DaemonError(.snapshot, "cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))") }
        let dfd = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            Glibc.close(dfd)
        }
        return out.count
    }

    /// `save` on a low-priority thread (`BlockingWork.inBackground`), so encoding never holds one of the
    /// cooperative pool's threads nor takes a core from the desk.
    func saveOffPool(_ fold: JournalFold, resume: JournalResume) async -> Result<Int, DaemonError> {
        await BlockingWork.inBackground {
            do throws(DaemonError) { return .success(try self.save(fold, resume: resume)) } catch { return .failure(error) }
        }
    }

    /// Moves a snapshot that turned out wrong aside, with why in `state.json.rejected.why` (kept for a look,
    /// never read again). Returns what could not be done, for the caller's log: the journal is unaffected
    /// either way, the next start replays it.
    public func discard(reason: String) -> String? {
        guard rename(path, directory + "/state.json.rejected") == 0 else {
            return "could not move \(path) aside: \(String(cString: strerror(errno)))"
        }
        let why = directory + "/state.json.rejected.why"
        guard FileManager.default.createFile(atPath: why, contents: Data((reason + "\n").utf8)) else {
            return "moved \(path) aside, but could not write \(why)"
        }
        return nil
    }
}
