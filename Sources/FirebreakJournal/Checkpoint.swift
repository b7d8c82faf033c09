import Crypto
import FirebreakCore
import Foundation

/// Signed checkpoints: an Ed25519 signature over a record's seq and hash, which seals everything up to it.
///
/// The hash chain alone shows that a journal is internally consistent; it does not stop someone with write
/// access from rewriting the whole chain. A signature by a key the daemon holds (and a reader does not need)
/// does: anyone with the public key can tell which records were sealed and which came after ("unsealed").
public enum Checkpoint {
    /// The exact bytes signed (DESIGN.md): `firebreak-checkpoint-v1\n<N>\n<covers_hash>\n`.
    public static func message(coversSeq: UInt64, coversHash: String) -> [UInt8] {
        Array("firebreak-checkpoint-v1\n\(coversSeq)\n\(coversHash)\n".utf8)
    }

    /// A key's id: the first 16 hex digits of the SHA-256 of its raw 32 bytes. Short enough to read aloud,
    /// long enough never to collide among an organisation's keys.
    public static func keyID(publicKey raw: some DataProtocol) -> String {
        String(Hex.lowercase(SHA256.hash(data: raw)).prefix(16))
    }

    /// The fields of a checkpoint record's data, when they are all present and well-formed.
    public struct Fields: Sendable, Equatable {
        public let coversSeq: UInt64
        public let coversHash: String
        public let keyID: String
        public let signature: [UInt8]

        public init?(_ data: JSONValue) {
            guard let seq = data["covers_seq"]?.intValue, seq >= 0,
                  let hash = data["covers_hash"]?.stringValue, RecordLine.isHex64(hash),
                  let keyID = data["key_id"]?.stringValue,
                  let sigText = data["signature"]?.stringValue,
                  let sig = Data(base64Encoded: sigText), sig.count == 64
            else { return nil }
            self.coversSeq = UInt64(seq)
            self.coversHash = hash
            self.keyID = keyID
            self.signature = Array(sig)
        }
    }
}

/// Holds the private key and makes checkpoint records.
public struct CheckpointSigner: Sendable {
    let key: Curve25519.Signing.PrivateKey
    public let keyID: String

    public init(privateKey: Curve25519.Signing.PrivateKey) {
        self.key = privateKey
        self.keyID = Checkpoint.keyID(publicKey: privateKey.publicKey.rawRepresentation)
    }

    public var publicKey: VerificationKey { VerificationKey(key.publicKey) }

    /// Reads a private key file: base64 of the raw 32-byte Ed25519 seed. Refuses a file others can read,
    /// as ssh does, because a leaked key lets its holder forge a sealed history.
    public static func load(path: String, checkPermissions: Bool = true) throws(JournalError) -> CheckpointSigner {
        if checkPermissions {
            var st = stat()
            guard stat(path, &st) == 0 else {
                throw JournalError(.key, "cannot read the signing key \(path): \(FileIO.errnoText())")
            }
            if st.st_mode & 0o077 != 0 {
                throw JournalError(.key, "the signing key \(path) is readable by others (mode \(String(st.st_mode & 0o777, radix: 8))): run chmod 600 \(path)")
            }
        }
        let raw = try KeyFile.read(path, what: "signing key")
        do {
            return CheckpointSigner(privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: raw))
        } catch {
            throw JournalError(.key, "\(path) does not hold an Ed25519 private key (32 bytes, base64): \(error)")
        }
    }

    /// The key systemd passes as a credential (`LoadCredential=journal-signing-key:…`), if there is one.
    /// systemd already restricts the credentials directory to the service, so permissions are not re-checked.
    public static func fromCredentials(environment: [String: String] = ProcessInfo.processInfo.environment) throws(JournalError) -> CheckpointSigner? {
        guard let dir = environment["CREDENTIALS_DIRECTORY"], !dir.isEmpty else { return nil }
        let path = dir + "/journal-signing-key"
        guard FileIO.fileExists(path) else { return nil }
        return try load(path: path, checkPermissions: false)
    }

    /// The data of a checkpoint that seals the record `coversSeq` whose hash is `coversHash`.
    public func checkpointData(coversSeq: UInt64, coversHash: String) -> JSONValue {
        let message = Checkpoint.message(coversSeq: coversSeq, coversHash: coversHash)
        // Ed25519 signing is deterministic in RFC 8032; swift-crypto's only fails on a broken key, never here.
        let signature = (try? key.signature(for: message)) ?? Data()
        return .object([
            "covers_seq": .int(Int64(coversSeq)),
            "covers_hash": .string(coversHash),
            "key_id": .string(keyID),
            "signature": .string(Data(signature).base64EncodedString()),
        ])
    }
}

/// A public key that checks checkpoint signatures.
public struct VerificationKey: Sendable {
    let key: Curve25519.Signing.PublicKey
    public let keyID: String

    init(_ key: Curve25519.Signing.PublicKey) {
        self.key = key
        self.keyID = Checkpoint.keyID(publicKey: key.rawRepresentation)
    }

    /// Reads a public key file: base64 of the raw 32-byte key.
    public static func load(path: String) throws(JournalError) -> VerificationKey {
        let raw = try KeyFile.read(path, what: "public key")
        do {
            return VerificationKey(try Curve25519.Signing.PublicKey(rawRepresentation: raw))
        } catch {
            throw JournalError(.key, "\(path) does not hold an Ed25519 public key (32 bytes, base64)")
        }
    }

    public var base64: String { key.rawRepresentation.base64EncodedString() }

    public func isValid(_ fields: Checkpoint.Fields) -> Bool {
        key.isValidSignature(fields.signature, for: Checkpoint.message(coversSeq: fields.coversSeq, coversHash: fields.coversHash))
    }
}

/// Key files hold one line of base64, so they can be pasted, diffed and passed as systemd credentials.
public enum KeyFile {
    static func read(_ path: String, what: String) throws(JournalError) -> Data {
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(path) } catch {
            throw JournalError(.key, "cannot read the \(what) \(path): \(error.message)")
        }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text), raw.count == 32 else {
            throw JournalError(.key, "\(path) is not a \(what) file: expected one line of base64 of 32 bytes")
        }
        return raw
    }

    /// Writes a new key pair: `<path>` (private, mode 0600) and `<path>.pub`. Refuses to overwrite either.
    public static func generate(privatePath: String) throws(JournalError) -> (signer: CheckpointSigner, publicPath: String) {
        let key = Curve25519.Signing.PrivateKey()
        let publicPath = privatePath + ".pub"
        try write(privatePath, key.rawRepresentation.base64EncodedString() + "\n", mode: 0o600)
        try write(publicPath, key.publicKey.rawRepresentation.base64EncodedString() + "\n", mode: 0o644)
        return (CheckpointSigner(privateKey: key), publicPath)
    }

    private static func write(_ path: String, _ text: String, mode: mode_t) throws(JournalError) {
        let fd: Int32
        do {
            fd = try FileIO.openFile(path, flags: O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        } catch {
            if errno == EEXIST { throw JournalError(.key, "\(path) already exists; not overwriting a key") }
            throw error
        }
        defer { close(fd) }
        _ = fchmod(fd, mode)
        let bytes = Array(text.utf8)
        try FileIO.writeAll(fd, bytes, path: path)
        guard fsync(fd) == 0 else { throw JournalError(.syncFailed, "cannot fsync \(path): \(FileIO.errnoText())") }
        try FileIO.syncDirectory(FileIO.parentDirectory(path))
    }
}
