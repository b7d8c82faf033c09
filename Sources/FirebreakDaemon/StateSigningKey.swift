import FirebreakJournal
import Foundation
import Logging

/// The signing key a daemon makes for itself when it was given none (no `--signing-key`, no systemd
/// credential): an unsealed journal would leave every later edit undetectable by signature, so the daemon
/// never runs without one. The pair lives in the state directory beside the journal, the private half 0600.
enum StateSigningKey {
    static func path(stateDir: String) -> String { stateDir + "/journal-signing-key" }

    /// Loads the state directory's key, or writes a new pair there (the first start). Either way the log says
    /// where the public half is, which an auditor needs to check the journal's seals.
    static func loadOrCreate(stateDir: String, logger: Logger) throws(JournalError) -> CheckpointSigner {
        let key = path(stateDir: stateDir)
        if FileManager.default.fileExists(atPath: key) {
            let signer = try CheckpointSigner.load(path: key)
            logger.info("signing checkpoints with \(key) (key id \(signer.keyID)); its public half is \(key).pub",
                        metadata: ["key_id": .string(signer.keyID), "public_key": .string(key + ".pub")])
            return signer
        }
        // The journal's own opening makes the directory too; the key comes first.
        try? FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        let (signer, publicPath) = try KeyFile.generate(privatePath: key)
        logger.notice("no signing key was configured: generated \(key) (key id \(signer.keyID)); give \(publicPath) to whoever verifies the journal (firebreak journal verify --key \(publicPath))",
                      metadata: ["key_id": .string(signer.keyID), "public_key": .string(publicPath)])
        return signer
    }
}
