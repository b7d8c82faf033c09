import FirebreakCore
import Foundation
import Mustache

/// What a notification says, rendered from Mustache templates: the built-in ones below, or the files
/// `subject.mustache`, `message.mustache` and `digest.mustache` in `notifications.templates`. A message says
/// what happened, which incident and step, who owns it, when it is due (absolute and relative) and how to act
/// (the exact command and the web link). It never names a reporter, and the post's text is shortened.
public struct NotificationContent: Sendable {
    let library: MustacheLibrary
    let webURL: String?
    /// Signs the one-tap links (nil: the web pages are off, so there is nothing to tap).
    let links: ActionLinks?

    public static let defaults: [String: String] = [
        "subject": "{{% CONTENT_TYPE: TEXT}}[Firebreak] {{incident}} {{headline}}{{#step_title}}: {{step_title}}{{/step_title}}",
        "message": """
            {{% CONTENT_TYPE: TEXT}}{{headline}}: {{incident}} — {{incident_title}} (severity {{severity}})
            {{#step_title}}Step: {{step_title}} ({{step}}){{#owner}}, owned by {{owner}}{{/owner}}
            {{/step_title}}{{#due}}Due: {{due_text}} ({{due_relative}})
            {{/due}}Why: {{reason}}
            Post: {{post}}{{#post_text}}
            “{{post_text}}”{{/post_text}}
            {{#command}}To act: {{command}}
            {{/command}}{{#then_command}}Then: {{then_command}}
            {{/then_command}}{{#act_link}}{{act_label}}, one tap: {{act_link}}
            {{/act_link}}{{#link}}Open: {{link}}
            {{/link}}
            """,
        "digest": """
            {{% CONTENT_TYPE: TEXT}}{{count}} Firebreak notifications for {{person}}:
            {{#items}}
            • {{headline}}: {{incident}} — {{incident_title}}{{#step_title}}, step {{step_title}}{{/step_title}}{{#due}}, due {{due_text}} ({{due_relative}}){{/due}}
              {{reason}}{{#command}}
              To act: {{command}}{{/command}}{{#then_command}}
              Then: {{then_command}}{{/then_command}}{{#act_link}}
              {{act_label}}, one tap: {{act_link}}{{/act_link}}{{#link}}
              Open: {{link}}{{/link}}
            {{/items}}{{#more}}
            … and {{more}} more: `firebreak incidents --mine` lists them.
            {{/more}}
            """,
    ]

    public init(directory: String?, webURL: String?, links: ActionLinks? = nil) async throws {
        self.links = links
        var templates: [String: MustacheTemplate] = [:]
        for (name, text) in Self.defaults { templates[name] = try MustacheTemplate(string: text) }
        if let directory {
            // Every .mustache file there is parsed (a syntax error stops start-up naming it); the three known
            // names replace the built-in templates.
            let custom = try await MustacheLibrary(directory: directory)
            for name in Self.defaults.keys {
                if let t = custom.getTemplate(named: name) { templates[name] = t }
            }
        }
        library = MustacheLibrary(templates: templates)
        self.webURL = webURL
    }

    static let headlines: [NotificationKind: String] = [
        .stepAssigned: "A step is yours", .stepReminder: "A step is due soon", .stepMissed: "A step missed its deadline",
        .escalation: "Escalated to you", .ackOverdue: "Not acknowledged in time",
        .resolved: "Resolved", .unreachable: "Someone could not be reached",
    ]

    /// Kinds sent the moment they are asked for, never held for a digest.
    static let urgent: Set<NotificationKind> = [.escalation, .ackOverdue, .unreachable]

    /// The values a template sees for one notification.
    func values(_ p: PendingNotification, incident: IncidentState?, now: Timestamp) -> [String: Any] {
        var v: [String: Any] = [
            "id": p.id, "kind": p.kind.rawValue, "headline": Self.headlines[p.kind] ?? p.kind.rawValue, "incident": p.incident,
            "person": p.to, "reason": p.reason,
        ]
        if let inc = incident {
            v["incident_title"] = inc.plan.title
            v["severity"] = inc.severity.rawValue
            v["post"] = inc.canonicalURL
            if let t = inc.postText { v["post_text"] = t }
            if let step = p.step, let i = inc.stepIndex(step) {
                v["step"] = step
                v["step_title"] = inc.plan.steps[i].title
                if let owner = inc.steps[i].owner { v["owner"] = owner }
                if inc.steps[i].isOpen {
                    v["due"] = inc.steps[i].due.rfc3339
                    v["due_text"] = inc.steps[i].due.readable
                    v["due_relative"] = inc.steps[i].due.relative(to: now)
                }
            } else if inc.isActive && inc.acknowledgedAt == nil {
                v["due"] = inc.ackDue.rfc3339
                v["due_text"] = inc.ackDue.readable
                v["due_relative"] = inc.ackDue.relative(to: now)
            }
        }
        let (command, then) = Self.commands(p, incident: incident)
        v["command"] = command
        if let then { v["then_command"] = then }
        if let webURL { v["link"] = webURL.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/incidents/" + p.incident }
        if let links, let webURL, let (claim, label) = Self.action(p, incident: incident, now: now) {
            v["act_link"] = webURL.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/act/" + links.token(claim)
            v["act_label"] = label
        }
        return v
    }

    /// The exact command that acts on it, and the one after it (a step to acknowledge, then to mark done). Each
    /// is a whole command line that `firebreak` takes as printed (a test runs every one against the daemon).
    static func commands(_ p: PendingNotification, incident: IncidentState?) -> (command: String, then: String?) {
        switch p.kind {
        case .stepAssigned, .stepReminder, .stepMissed, .escalation:
            guard let step = p.step else { return ("firebreak show \(p.incident)", nil) }
            if let inc = incident, let i = inc.stepIndex(step), inc.steps[i].status == .ready {
                return ("firebreak ack \(p.incident) \(step)", "firebreak done \(p.incident) \(step)")
            }
            if let inc = incident, let i = inc.stepIndex(step), !inc.steps[i].isOpen { return ("firebreak show \(p.incident)", nil) }
            return ("firebreak done \(p.incident) \(step)", nil)
        case .ackOverdue:
            if let inc = incident, inc.status != .open { return ("firebreak show \(p.incident)", nil) }
            return ("firebreak ack \(p.incident)", nil)
        default: return ("firebreak show \(p.incident)", nil)
        }
    }

    /// What a one-tap link may do for the person told, and the words on it: only for messages that ask them to
    /// act on something still open.
    static func action(_ p: PendingNotification, incident: IncidentState?, now: Timestamp) -> (ActionLinks.Claim, String)? {
        guard let inc = incident, inc.isActive else { return nil }
        let claim = ActionLinks.Claim(person: p.to, incident: p.incident, step: p.step, notification: p.id, expires: now + ActionLinks.lifetime)
        switch p.kind {
        case .stepAssigned, .stepReminder, .stepMissed, .escalation:
            guard let step = p.step, let i = inc.stepIndex(step), inc.steps[i].isOpen else { return nil }
            return (claim, inc.steps[i].status == .ready ? "Acknowledge or mark done" : "Mark done")
        case .ackOverdue:
            guard inc.status == .open else { return nil }
            return (claim, "Acknowledge")
        default:
            return nil
        }
    }

    func render(_ name: String, _ values: [String: Any]) -> String {
        library.render(values, withTemplate: name) ?? ""
    }
}
