/// A part of the daemon that could not start (a socket, the spool), with a message naming what and why.
public struct StartupProblem: Error, CustomStringConvertible {
    public let description: String
}
