import AsyncHTTPClient
import FirebreakCore
import Foundation
import NIOCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One rendered notification (or digest) for one person, ready for any channel.
struct OutgoingMessage: Sendable {
    /// The notification id, or the digest's: receivers see it as `Idempotency-Key` and can drop a repeat.
    let id: String
    let subject: String
    let text: String
    /// The generic webhook's and the command hook's body.
    let json: JSONValue
    /// The one-tap link and its label, shown as a button where the channel has buttons.
    var action: (url: String, label: String)? = nil

    init(id: String, subject: String, text: String, action: (url: String, label: String)? = nil, json: JSONValue) {
        self.id = id
        self.subject = subject
        self.text = text
        self.action = action
        self.json = json
    }
}

/// Delivers a message on one of a person's contacts. Which contact channels exist: `slack`, `mattermost`,
/// `teams` and `webhook` (URLs), `email` (an address, through sendmail or an SMTP relay), and any channel that
/// `notifications.commands` maps to a program (`phone`, `pager`, …). Others are skipped.
struct Channels: Sendable {
    let settings: NotificationSettings

    /// Email needs an SMTP relay or a sendmail program on this host; without either, email contacts are skipped.
    var emailPossible: Bool { settings.smtp != nil || FileManager.default.isExecutableFile(atPath: settings.sendmail) }

    enum Outcome: Sendable, Equatable {
        case delivered
        case failed(String)
        /// Nothing here can use this contact (an unknown channel, a command not configured).
        case notApplicable
    }

    func deliver(_ m: OutgoingMessage, channel: String, address: String) async -> Outcome {
        switch channel {
        case "slack":
            let text = Self.chatText(m)
            var body: [String: JSONValue] = ["text": .string(text)]
            if let a = m.action {
                // Block Kit: the text, then a link button (it opens the confirmation page; nothing acts on a GET).
                body["blocks"] = [
                    ["type": "section", "text": ["type": "mrkdwn", "text": .string(text)]],
                    ["type": "actions", "elements": [["type": "button", "style": "primary", "text": ["type": "plain_text", "text": .string(a.label)], "url": .string(a.url)]]],
                ]
            }
            return await post(address, .object(body), id: m.id)
        case "mattermost":
            var body: [String: JSONValue] = ["text": .string(Self.chatText(m))]
            if let a = m.action {
                // Mattermost's buttons call an integration URL from its server; the link itself goes in the
                // attachment, so the person opens the confirmation page.
                body["attachments"] = [["fallback": .string(a.label + ": " + a.url), "title": .string(a.label), "title_link": .string(a.url),
                                        "actions": [["name": .string(a.label), "type": "button", "integration": ["url": .string(a.url + "/mattermost")]]]]]
            }
            return await post(address, .object(body), id: m.id)
        case "teams":
            // The legacy connector card, which Teams incoming webhooks and Power Automate's workflow both take.
            return await post(address, [
                "@type": "MessageCard", "@context": "https://schema.org/extensions", "summary": .string(m.subject),
                "themeColor": "B22222", "title": .string(m.subject),
                "text": .string(m.text.replacingOccurrences(of: "\n", with: "\n\n")),
            ], id: m.id)
        case "webhook":
            return await post(address, m.json, id: m.id)
        case "email":
            guard emailPossible else { return .notApplicable }
            return await email(m, to: address)
        default:
            guard let program = settings.commands[channel] else { return .notApplicable }
            var body = m.json
            if case .object(var o) = body {
                o["channel"] = .string(channel)
                o["address"] = .string(address)
                body = .object(o)
            }
            let input = body.jsonText
            return await run(program, input: input)
        }
    }

    private func post(_ url: String, _ body: JSONValue, id: String) async -> Outcome {
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else { return .failed("\(url) is not an http(s) address") }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: id)
        request.headers.add(name: "User-Agent", value: "firebreakd")
        request.body = .bytes(Array(body.jsonText.utf8))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(settings.timeoutSeconds * 1000)))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            guard (200..<300).contains(response.status.code) else { return .failed("\(url) answered HTTP \(response.status.code)") }
            return .delivered
        } catch {
            return .failed("\(url): \(error)")
        }
    }

    private func email(_ m: OutgoingMessage, to address: String) async -> Outcome {
        guard address.contains("@"), !address.contains("\n"), !address.contains("\r") else { return .failed("\(address) is not an email address") }
        let subject = m.subject.replacingOccurrences(of: "\n", with: " ")
        let message = """
            From: \(settings.emailFrom)\r
            To: \(address)\r
            Subject: \(Self.encodedHeader(subject))\r
            Message-ID: <\(m.id)@firebreak>\r
            Date: \(Self.rfc5322Date())\r
            MIME-Version: 1.0\r
            Content-Type: text/plain; charset=utf-8\r
            Content-Transfer-Encoding: 8bit\r
            Auto-Submitted: auto-generated\r
            \r
            \(m.text)
            """
        if let relay = settings.smtp {
            // The SMTP conversation blocks (with the timeout on every read and write): on the blocking pool.
            let from = settings.emailFrom, timeout = settings.timeoutSeconds
            return await BlockingWork.run {
                do {
                    try SMTPClient.send(relay: relay, from: from, to: address, message: message, timeout: timeout)
                    return .delivered
                } catch {
                    return .failed("smtp \(relay): \(error)")
                }
            }
        }
        return await run(settings.sendmail, arguments: ["-t", "-i"], input: message)
    }

    /// Runs a program with `input` on standard input; delivered when it exits 0 within the timeout. Nothing polls
    /// or waits on a thread for it: the child's exit ends the wait (`ChildExit`), a timer task the overrun
    /// (SIGTERM, and SIGKILL a second later).
    private func run(_ program: String, arguments: [String] = [], input: String) async -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let exit = ChildExit()
        process.terminationHandler = { _ in exit.finish() }
        do { try process.run() } catch { return .failed("cannot run \(program): \(error)") }
        let pid = process.processIdentifier, timeout = settings.timeoutSeconds
        let overrun = Task {
            try await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
            exit.overran.store(true, ordering: .relaxed)
            kill(pid, SIGTERM)
            try await Task.sleep(for: .seconds(1))
            kill(pid, SIGKILL)
        }
        // Written on the blocking pool: a child that does not read would block the write until it exits.
        let writer = stdin.fileHandleForWriting
        await BlockingWork.run {
            try? writer.write(contentsOf: Data(input.utf8))
            try? writer.close()
        }
        await exit.wait()
        overrun.cancel()
        if exit.overran.load(ordering: .relaxed) { return .failed("\(program) did not finish within \(timeout) s") }
        return process.terminationStatus == 0 ? .delivered : .failed("\(program) exited with status \(process.terminationStatus)")
    }

    /// A chat message's text (Slack and Mattermost markdown): the subject in bold over the body.
    static func chatText(_ m: OutgoingMessage) -> String { "*\(m.subject)*\n\(m.text)" }

    /// RFC 2047 for a subject that is not plain ASCII.
    static func encodedHeader(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        return "=?UTF-8?B?" + Data(text.utf8).base64EncodedString() + "?="
    }

    static func rfc5322Date() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return f.string(from: Date())
    }
}

/// A child process's exit as something to await: Foundation calls the termination handler on a thread of its own,
/// and whoever waits is resumed then (at once if it already happened).
final class ChildExit: Sendable {
    private let state = Mutex<(exited: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))
    /// Set when the child had to be stopped for running past its time.
    let overran = Atomic<Bool>(false)

    func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.exited = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let exited = state.withLock { s -> Bool in
                if s.exited { return true }
                s.waiter = c
                return false
            }
            if exited { c.resume() }
        }
    }
}
