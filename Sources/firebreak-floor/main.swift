import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import Logging
import Mustache
import NIOCore
import NIOPosix
import Yams

// The baseline of the memory bench: what the libraries under firebreakd cost resident before Firebreak does
// anything, so that "idle RSS" can be read as the libraries' share and Firebreak's own. Each part uses one
// library the way the daemon does at start; with no arguments, every part the daemon uses with `--http off`.
// It prints "ready" when the parts are loaded and then idles until killed.
//   firebreak-floor [foundation] [tz] [log] [yams] [mustache] [crypto] [nio] [ahc] [http PORT]
let daemonParts = ["foundation", "tz", "log", "yams", "mustache", "crypto", "nio", "ahc"]
var arguments = Array(CommandLine.arguments.dropFirst())
var port: Int?
if let i = arguments.firstIndex(of: "http"), i + 1 < arguments.count, let p = Int(arguments[i + 1]) {
    port = p
    arguments.removeSubrange(i...(i + 1))
}
let parts = Set(arguments.isEmpty && port == nil ? daemonParts : arguments)

if parts.contains("foundation") {
    _ = ProcessInfo.processInfo.environment
    _ = Date().description
    _ = FileManager.default.currentDirectoryPath
}
if parts.contains("tz") {  // rotations hand over at local times: ICU's calendars and zones
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "Europe/London")!
    _ = calendar.dateComponents([.hour, .weekday], from: Date())
}
if parts.contains("log") {
    LoggingSystem.bootstrap(StreamLogHandler.standardError)
    Logger(label: "firebreak-floor").debug("loaded")
}
if parts.contains("yams") { _ = try Yams.compose(yaml: "name: floor\nsteps: [a, b]\nmatch: {category: leak}\n") }
if parts.contains("mustache") { _ = try MustacheTemplate(string: "<p>{{name}}</p>").render(["name": "floor"]) }
if parts.contains("crypto") {
    _ = SHA256.hash(data: Array("floor".utf8))
    _ = try Curve25519.Signing.PrivateKey().signature(for: Array("floor".utf8))
}
if parts.contains("nio") { _ = MultiThreadedEventLoopGroup.singleton.next() }
if parts.contains("ahc") { _ = HTTPClient.shared }
FileHandle.standardOutput.write(Data("ready\n".utf8))
if let port {
    let router = Router()
    router.get("/") { _, _ in "floor" }
    try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port))).runService()
}
while true { sleep(1_000) }
