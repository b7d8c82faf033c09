import FirebreakCore
import Testing
@testable import FirebreakTestSupport

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let v = try JSONParser.parse(#" {"a": [1, -2.5, 3e2, true, false, null], "b": {"c": "d\n\u00e9\ud83d\ude00"}, "e": -0} "#)
        #expect(v["a"] == .array([.int(1), .double(-2.5), .double(300), .bool(true), .bool(false), .null]))
        #expect(v["b"]?["c"] == .string("d\né😀"))
        #expect(v["e"] == .int(0))
    }

    @Test(arguments: [
        ("", "unexpected end of input"),
        ("{", "unexpected end of input in an object"),
        (#"{"a":1,}"#, "expected a member name in quotes"),
        (#"{"a":1 "b":2}"#, "expected ',' or '}' in an object"),
        (#"{"a":1,"a":2}"#, "duplicate member \"a\""),
        ("[1,2", "unexpected end of input in an array"),
        ("01", "leading zero in a number"),
        ("1.", "invalid number"),
        ("-", "invalid number"),
        ("tru", "unexpected end of input"),
        ("nul1", "invalid literal"),
        (#""abc"#, "unterminated string"),
        ("\"a\u{01}b\"", "control character in a string"),
        (#""\x""#, "invalid escape in a string"),
        (#""\ud800""#, "lone surrogate in a string"),
        (#""\udc00""#, "lone surrogate in a string"),
        ("{} {}", "unexpected bytes after the JSON value"),
        ("1e999", "number out of range"),
    ])
    func refusesMalformedInputWithAReason(_ input: String, _ reason: String) {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(input) }
        do {
            _ = try JSONParser.parse(input)
        } catch {
            #expect(error.reason == reason, "for \(input)")
        }
    }

    @Test func refusesInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0x61, 0xC3, 0x28, 0x22]
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(bytes) }
    }

    @Test func boundsNestingDepth() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try JSONParser.parse(ok)
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(deep) }
    }

    @Test func writerOutputParsesBackToTheSameValueForRandomValues() throws {
        var rng = SplitMix(seed: 42)
        for _ in 0..<2000 {
            let value = randomValue(&rng, depth: 0)
            let text = value.jsonText
            #expect(try JSONParser.parse(text) == value, "\(text)")
            #expect(try JSONParser.parse(text).jsonText == text)
        }
    }

    @Test func writerSortsKeysAndEscapesOnlyWhatJSONRequires() {
        let v: JSONValue = ["b": "x\"y\\z\n\t\u{01}/é", "a": 1, "c": [1.5, true, nil]]
        #expect(v.jsonText == #"{"a":1,"b":"x\"y\\z\n\t\u0001/é","c":[1.5,true,null]}"#)
    }
}

func randomValue(_ rng: inout SplitMix, depth: Int) -> JSONValue {
    let pick = Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &rng)
    switch pick {
    case 0: return .null
    case 1: return .bool(Bool.random(using: &rng))
    case 2: return .int(Int64.random(in: Int64.min...Int64.max, using: &rng))
    case 3: return .double(Double.random(in: -1e12...1e12, using: &rng))
    case 4:
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "\n", "\u{01}", "é", "😀", "/", "\u{7F}"]
        return .string(String((0..<Int.random(in: 0..<12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }))
    case 5: return .array((0..<Int.random(in: 0..<4, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
    default:
        var o: [String: JSONValue] = [:]
        for i in 0..<Int.random(in: 0..<4, using: &rng) { o["k\(i)\(Int.random(in: 0..<3, using: &rng))"] = randomValue(&rng, depth: depth + 1) }
        return .object(o)
    }
}
