/// Where a record's line stands on disk: its segment, the byte offset of the line in it and the line's length
/// without its `\n`. Twelve bytes, because an index keeps one per record: the review reads one incident's lines
/// by place instead of scanning the journal from the incident's opening to its end.
///
/// Ordered as the lines are in the journal (segment, then offset), so "the first checkpoint after this record"
/// is a binary search over places.
public struct RecordPlace: Sendable, Hashable, Comparable {
    public let segment: UInt32
    public let offset: UInt32
    public let length: UInt32

    /// Nil when a number does not fit 32 bits (a segment larger than 4 GiB, which the options never make).
    public init?(segment: Int, offset: Int, length: Int) {
        guard let s = UInt32(exactly: segment), let o = UInt32(exactly: offset), let l = UInt32(exactly: length) else { return nil }
        self.segment = s
        self.offset = o
        self.length = l
    }

    public static func < (a: RecordPlace, b: RecordPlace) -> Bool {
        a.segment != b.segment ? a.segment < b.segment : a.offset < b.offset
    }

    /// The segment's file name in the journal's directory.
    public var segmentName: String { Segments.name(Int(segment)) }
}
