import Logging

/// journald MESSAGE_IDs, one per kind of event the daemon logs, explained in `systemd/firebreak.catalog`
/// (`journalctl -x` shows the explanation; `journalctl MESSAGE_ID=…` finds every occurrence).
public enum MessageID {
    public static let started = "7920e388c9944818a59d6f80d390fc6d"
    public static let stopped = "f0bd8b91ae0c4a68a1663cb2ac2989dd"
    public static let tornTail = "35ddc5b46e0e40318deea4deccfe2055"
    public static let journalFailed = "67844ec6dcbb4fe2b53590c111f480c4"
    public static let configurationInvalid = "eb079fc582344a3f8161171d5afec097"
    public static let reloaded = "93bf5cfbb1c14d8cb7142b624e6cb7c4"
    public static let reloadRefused = "f0fb7bdc840b48be8cee04d46172d837"
    public static let deadlinesFired = "4e9fc04481d0408597e06b6482c1c531"
    public static let notificationSent = "a3c1f5e2b7d94c0e8f6a2b1c9d8e7f60"
    public static let notificationFailed = "5b2e8d7c6a1f4e3d9c0b8a7f6e5d4c3b"

    static func meta(_ id: String, _ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        extra.merging(["message_id": .string(id)], uniquingKeysWith: { $1 })
    }
}
