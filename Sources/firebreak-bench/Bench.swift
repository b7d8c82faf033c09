import ArgumentParser

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "firebreak-bench",
        abstract: "Measure Firebreak's durable paths on this machine (build with -c release).",
        subcommands: [JournalBench.self, EngineBench.self, IntakeBench.self, DaemonBench.self, SpoolBench.self, DeadlineBench.self, RestartBench.self, ReviewBench.self, AppendStream.self, DecodeProfile.self]
    )
}
