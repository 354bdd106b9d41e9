import PBCore
import PropertyBased
import Testing

@Test func parsesScalarsAndKeepsNumberLiterals() throws {
    #expect(try JSONValue.parse("null") == .null)
    #expect(try JSONValue.parse(" true ") == .bool(true))
    #expect(try JSONValue.parse("false") == .bool(false))
    #expect(try JSONValue.parse("115792089237316195423570985008687907853269984665640564039457584007913129639935")
        == .number("115792089237316195423570985008687907853269984665640564039457584007913129639935"))
    #expect(try JSONValue.parse("-1.50e+3") == .number("-1.50e+3"))
    #expect(try JSONValue.parse("0") == .number("0"))
    #expect(try JSONValue.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"") == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
}

@Test func objectsKeepDocumentOrder() throws {
    let value = try JSONValue.parse(#"{"z":1,"a":[true,null,{}],"m":{"x":"y"}}"#)
    #expect(value.objectMembers?.map(\.key) == ["z", "a", "m"])
    #expect(value["a"] == .array([.bool(true), .null, .object([])]))
    #expect(value.serialized() == #"{"z":1,"a":[true,null,{}],"m":{"x":"y"}}"#)
}

@Test func unicodeEscapesIncludingSurrogatePairs() throws {
    #expect(try JSONValue.parse(#""\u00e9\u4e2d\uD83D\uDE00""#) == .string("é中😀"))
    #expect(try JSONValue.parse("\"é中😀\"") == .string("é中😀"))
}

@Test(arguments: [
    ("", 0, "end of input"),
    ("[1,]", 3, "expected a value"),
    ("{\"a\":1,}", 7, "expected a string key"),
    ("01", 1, "leading zeros"),
    ("1.", 2, "decimal point"),
    ("1e", 2, "exponent"),
    ("+1", 0, "unexpected character"),
    ("tru", 3, "literal"),
    ("[1] x", 4, "after the JSON value"),
    (#"{"a":1,"a":2}"#, 7, "duplicate key \"a\""),
    (#""\uD800""#, 1, "high surrogate"),
    (#""\uDC00""#, 1, "lone low surrogate"),
    (#""\uD800\u0041""#, 1, "non-low surrogate"),
    (#""\x""#, 1, "invalid escape"),
    (#""\u12G4""#, 5, "four hex digits"),
    ("\"a\u{1}\"", 2, "control character"),
    ("\"abc", 0, "unterminated"),
    ("{\"a\" 1}", 5, "expected ':'"),
    ("[1 2]", 3, "expected ',' or ']'"),
    ("\u{FEFF}1", 0, "unexpected character"),
])
func rejectsMalformedInputWithOffset(input: String, offset: Int, fragment: String) {
    #expect {
        _ = try JSONValue.parse(input)
    } throws: { error in
        guard let parseError = error as? JSONValue.ParseError else { return false }
        return parseError.byteOffset == offset && parseError.message.contains(fragment)
    }
}

@Test func rejectsInvalidUTF8() {
    #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
}

@Test func nestingDepthIsBounded() throws {
    let allowed = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
    #expect(try JSONValue.parse(allowed).arrayValues?.count == 1)
    let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
    #expect {
        _ = try JSONValue.parse(tooDeep)
    } throws: { error in
        (error as? JSONValue.ParseError)?.byteOffset == 64
    }
}

@Test func inputSizeIsBounded() throws {
    #expect(try JSONValue.parse("[1, 2]", maximumInputBytes: 6) == .array([.number("1"), .number("2")]))
    #expect {
        _ = try JSONValue.parse("[1,  2]", maximumInputBytes: 6)
    } throws: { error in
        (error as? JSONValue.ParseError)?.message.contains("limit of 6") == true
    }
}

@Test func serializationEscapesControlCharactersAndQuotes() {
    let value = JSONValue.object([("k\"\n", .string("a\u{0}\u{1f}\\é")), ("n", .number("-0.5"))])
    #expect(value.serialized() == #"{"k\"\n":"a\u0000\u001f\\é","n":-0.5}"#)
}

@Test func stringsRoundTripThroughSerialization() async {
    let characters = Gen.oneOf(
        Gen.character(in: "\u{0}"..."\u{7F}"),
        Gen.character(in: "\u{80}"..."\u{D7FF}"),
        Gen.character(in: "\u{1F600}"..."\u{1F64F}"))
    await propertyCheck(input: characters.string(of: 0...24).array(of: 0...4)) { texts throws in
        let value = JSONValue.array(texts.map { .object([("key" + $0, .string($0))]) })
        let reparsed = try JSONValue.parse(value.serialized())
        #expect(reparsed == value)
    }
}

/// Duplicates are refused however large the object (small ones are checked by comparison, large ones by a set),
/// including keys that differ only in Unicode normalization.
@Test(arguments: [1, 14, 15, 16, 17, 40])
func refusesADuplicateKeyAfterAnyNumberOfMembers(distinctMembers: Int) throws {
    let members = (0..<distinctMembers).map { "\"k\($0)\":\($0)" }
    for duplicateOf in [0, distinctMembers - 1] {
        let text = "{" + (members + ["\"k\(duplicateOf)\":0"]).joined(separator: ",") + "}"
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(text) }
    }
    let unique = "{" + members.joined(separator: ",") + "}"
    #expect(try JSONValue.parse(unique).objectMembers?.count == distinctMembers)
}

@Test(arguments: [0, 20])
func refusesKeysThatDifferOnlyInNormalization(padding: Int) {
    let filler = (0..<padding).map { "\"p\($0)\":0," }.joined()
    #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse("{\(filler)\"caf\u{E9}\":1,\"cafe\u{301}\":2}") }
}
