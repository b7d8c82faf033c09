import CSystemd

/// sd_listen_fds(3): the sockets systemd passed when it started us (socket activation).
public enum SystemdListenFDs {
    /// The first passed descriptor (SD_LISTEN_FDS_START, 3) when exactly one was passed, else nil.
    public static func single() -> Int32? {
        let n = sd_listen_fds(1)
        return n == 1 ? 3 : nil
    }
}
