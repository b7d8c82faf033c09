import FirebreakCore
import FirebreakProtocol

/// `firebreak incidents` and the web's list: which incidents match a filter, newest first, one page of them.
///
/// One pass over the state (no journal read: what people wrote is in the incident index's text), keeping only
/// the page's worth of best candidates, so a query over a hundred thousand incidents costs a pass, not a sort.
public enum IncidentSearch {
    /// The order of the list: newest opened first, then the larger id (as the list always was).
    struct Key: Comparable {
        let openedAt: Timestamp
        let id: String
        /// "Comes before in the list".
        static func < (a: Key, b: Key) -> Bool {
            a.openedAt != b.openedAt ? a.openedAt > b.openedAt : a.id > b.id
        }
    }

    enum Refusal: Error {
        case unknownCursor(String)
    }

    /// The incidents of one page, in list order.
    public static func page(_ incidents: some Sequence<IncidentState>, index: IncidentIndex, filter f: IncidentFilter, actor: Actor,
                     cursor: IncidentState?, now: Timestamp) -> [IncidentState] {
        let words = (f.text ?? "").lowercased().split(whereSeparator: \.isWhitespace).map { Array($0.utf8) }
        let statuses = Set(f.status)
        let seesWritten = actor.access >= .responder
        let cursorKey = cursor.map { Key(openedAt: $0.openedAt, id: $0.id) }
        let backwards = f.after != nil
        let limit = max(0, f.limit)
        var titles: [String: [UInt8]] = [:]
        // The page so far, in list order (or reversed, paging back): at most `limit`, binary-inserted.
        var best: [(key: Key, incident: IncidentState)] = []
        best.reserveCapacity(min(limit, 1024) + 1)
        func better(_ a: Key, _ b: Key) -> Bool { backwards ? b < a : a < b }

        for inc in incidents {
            guard Visibility.maySee(inc, actor: actor) else { continue }
            if f.open && !inc.isActive { continue }
            if !statuses.isEmpty && !statuses.contains(inc.status.rawValue) { continue }
            if let p = f.playbook, inc.playbook != p { continue }
            if let c = f.category, inc.category != c { continue }
            if let s = f.severity, inc.severity.rawValue != s { continue }
            if let since = f.since, inc.openedAt < since { continue }
            if let until = f.until, !(inc.openedAt < until) { continue }
            if let o = f.owner, !inc.steps.contains(where: { $0.owner == o }) { continue }
            if f.mine && !(inc.steps.contains { $0.owner == actor.id && $0.isOpen } || inc.reporters.contains(actor.id)) { continue }
            if f.overdue && inc.overdueSteps(at: now).isEmpty { continue }
            let key = Key(openedAt: inc.openedAt, id: inc.id)
            // Paging on: older than the cursor (it comes before them), or paging back: newer than it.
            if let cursorKey, backwards ? !(key < cursorKey) : !(cursorKey < key) { continue }
            if best.count == limit, let worst = best.last, !better(key, worst.key) { continue }
            if !words.isEmpty {
                let title = titles[inc.plan.title] ?? { let t = Array(inc.plan.title.lowercased().utf8); titles[inc.plan.title] = t; return t }()
                let all: Bool
                if seesWritten {
                    // One look-up: the index's text holds the address and everything written.
                    let hay = index.text[inc.id] ?? []
                    all = words.allSatisfy { w in bytes(title, contain: w) || bytes(hay, contain: w) }
                } else {
                    let url = Array(inc.url.lowercased().utf8)
                    all = words.allSatisfy { w in
                        bytes(title, contain: w) || bytes(url, contain: w) || index.reported(about: inc.id, by: actor.id, contains: w)
                    }
                }
                if !all { continue }
            }
            var low = 0, high = best.count
            while low < high {
                let mid = (low + high) / 2
                if better(best[mid].key, key) { low = mid + 1 } else { high = mid }
            }
            best.insert((key, inc), at: low)
            if best.count > limit { best.removeLast() }
        }
        let page = best.map(\.incident)
        return backwards ? page.reversed() : page
    }
}
