import FirebreakCore
import Foundation

/// Figures managers review: how fast incidents are acknowledged and resolved, how often deadlines are met and
/// by whom, how many incidents of each category arrive per week, and which steps are overdue now. Computed
/// from the state (every incident with its steps), so it costs no journal scan.
public enum Metrics {
    public static func compute(_ incidents: [IncidentState], since: Timestamp?, until: Timestamp?, now: Timestamp) -> JSONValue {
        let chosen = incidents.filter { i in (since.map { i.openedAt >= $0 } ?? true) && (until.map { i.openedAt < $0 } ?? true) }
        var ack: [Int64] = [], resolve: [Int64] = []
        var ackBy: [String: [Int64]] = [:], resolveBy: [String: [Int64]] = [:]
        var adherence: [String: [String: (onTime: Int, late: Int)]] = ["playbook": [:], "role": [:], "person": [:]]
        /// Steps done by someone other than their owner: credited to who did them, and counted here.
        var doneByOthers = 0
        var weekly: [String: [String: Int]] = [:]
        var overdue: [JSONValue] = []
        for inc in chosen {
            if let a = inc.acknowledgedAt {
                let ms = a.millisecondsSinceEpoch - inc.openedAt.millisecondsSinceEpoch
                ack.append(ms)
                ackBy[inc.plan.playbook, default: []].append(ms)
            }
            if let r = inc.resolvedAt {
                let ms = r.millisecondsSinceEpoch - inc.openedAt.millisecondsSinceEpoch
                resolve.append(ms)
                resolveBy[inc.plan.playbook, default: []].append(ms)
            }
            weekly[week(inc.openedAt), default: [:]][inc.category ?? "uncategorised", default: 0] += 1
            for (i, s) in inc.steps.enumerated() {
                let plan = inc.plan.steps[i]
                let verdict: Bool?
                if s.status == .done, let f = s.finishedAt {
                    verdict = f <= s.due
                } else if inc.isActive && s.isOverdue(at: now) {
                    verdict = false
                    overdue.append(["incident": .string(inc.id), "step": .string(plan.id), "title": .string(plan.title),
                                    "owner": s.owner.map { .string($0) } ?? .null, "due": .string(s.due.rfc3339),
                                    "late_by_ms": .int(now.millisecondsSinceEpoch - s.due.millisecondsSinceEpoch)])
                } else {
                    verdict = nil
                }
                guard let onTime = verdict else { continue }
                if s.doneByOther { doneByOthers += 1 }
                for (dimension, key) in [("playbook", inc.plan.playbook), ("role", plan.owner), ("person", s.owner ?? "(nobody)")] {
                    var c = adherence[dimension]![key] ?? (0, 0)
                    if onTime { c.onTime += 1 } else { c.late += 1 }
                    adherence[dimension]![key] = c
                }
            }
        }
        func summary(_ values: [Int64]) -> JSONValue {
            guard !values.isEmpty else { return ["count": 0] }
            return ["count": .int(Int64(values.count)), "median_ms": .int(quantile(values, 0.5)), "p90_ms": .int(quantile(values, 0.9))]
        }
        var o: [String: JSONValue] = [
            "incidents": .int(Int64(chosen.count)), "generated_at": .string(now.rfc3339),
            "time_to_acknowledge": summary(ack), "time_to_resolve": summary(resolve),
            "time_to_acknowledge_by_playbook": .object(ackBy.mapValues(summary)),
            "time_to_resolve_by_playbook": .object(resolveBy.mapValues(summary)),
            "overdue_steps": .array(overdue.sorted { ($0["due"]?.stringValue ?? "") < ($1["due"]?.stringValue ?? "") }),
        ]
        o["steps_done_by_someone_else"] = .int(Int64(doneByOthers))
        if let since { o["since"] = .string(since.rfc3339) }
        if let until { o["until"] = .string(until.rfc3339) }
        o["deadline_adherence"] = .object(adherence.mapValues { byKey in
            .object(byKey.mapValues { c in
                ["on_time": .int(Int64(c.onTime)), "late": .int(Int64(c.late)), "rate": .double(Double(c.onTime) / Double(max(1, c.onTime + c.late)))]
            })
        })
        o["incidents_per_week"] = .array(weekly.keys.sorted().map { w in
            ["week": .string(w), "categories": .object(weekly[w]!.mapValues { .int(Int64($0)) })]
        })
        return .object(o)
    }

    /// Nearest-rank quantile.
    static func quantile(_ values: [Int64], _ q: Double) -> Int64 {
        let sorted = values.sorted()
        let rank = min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[rank]
    }

    /// ISO 8601 week, "2026-W47" (UTC).
    static func week(_ t: Timestamp) -> String {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = Date(timeIntervalSince1970: Double(t.millisecondsSinceEpoch) / 1000)
        let c = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
        return String(format: "%04d-W%02d", c.yearForWeekOfYear ?? 0, c.weekOfYear ?? 0)
    }
}

/// Bar charts as inline SVG: no scripts, prints as it shows.
public enum SVGChart {
    /// Horizontal bars, one per (label, value), scaled to the largest.
    public static func bars(_ rows: [(label: String, value: Double, text: String)], title: String, width: Int = 640) -> String {
        let rowHeight = 26, labelWidth = 200, top = 30
        let height = top + max(1, rows.count) * rowHeight + 10
        let maxValue = max(rows.map(\.value).max() ?? 1, 1e-9)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"\(HTML.escape(title))\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">"
        svg += "<title>\(HTML.escape(title))</title><text x=\"0\" y=\"18\" font-size=\"15\" font-weight=\"bold\">\(HTML.escape(title))</text>"
        for (i, r) in rows.enumerated() {
            let y = top + i * rowHeight
            let w = Int(Double(width - labelWidth - 90) * r.value / maxValue)
            svg += "<text x=\"0\" y=\"\(y + 17)\" font-size=\"13\">\(HTML.escape(r.label))</text>"
            svg += "<rect class=\"bar\" x=\"\(labelWidth)\" y=\"\(y + 4)\" width=\"\(max(w, 1))\" height=\"18\" fill=\"#3b6ea5\"/>"
            svg += "<text x=\"\(labelWidth + max(w, 1) + 6)\" y=\"\(y + 17)\" font-size=\"13\">\(HTML.escape(r.text))</text>"
        }
        if rows.isEmpty { svg += "<text x=\"0\" y=\"\(top + 16)\" font-size=\"13\">No data yet.</text>" }
        return svg + "</svg>"
    }
}
