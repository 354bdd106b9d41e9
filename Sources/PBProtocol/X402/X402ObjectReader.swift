import PBCore

/// A wire message built straight from a parsed `JSONValue`, without `JSONDecoder`.
///
/// The payment header is decoded on every paid request; going through `JSONDecoder` (and `JSONValue`'s `Codable`
/// conformance for `extra` and `payload`) cost several times more than the strict parse the codec already does,
/// and it read numbers through `Double`. Types on the hot path build themselves from that parse instead.
public protocol X402JSONDecodable {
    init(json: JSONValue, path: String) throws(PaymentHeaderError)
}

/// A wire message that can write itself as a `JSONValue`, so the codec can skip `JSONEncoder`.
public protocol X402JSONEncodable {
    var jsonValue: JSONValue { get }
}

/// Reads one JSON object's members with the codec's error vocabulary: a missing required member is
/// `missingField("a.b")`, a member of the wrong type is `invalidJSON("wrong type at a.b, expected String")`, the
/// same wording the codec gives for `JSONDecoder` failures. `null` counts as absent for optional members, as
/// `decodeIfPresent` does; unknown members are ignored, as x402 asks of receivers.
struct X402ObjectReader {
    let path: String
    private let members: [(key: String, value: JSONValue)]

    init(_ value: JSONValue, path: String) throws(PaymentHeaderError) {
        guard let members = value.objectMembers else {
            throw .invalidJSON("wrong type at \(path.isEmpty ? "top level" : path), expected object")
        }
        self.path = path
        self.members = members
    }

    func memberPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func member(_ key: String) -> JSONValue? {
        guard let value = members.first(where: { $0.key == key })?.value, value != .null else { return nil }
        return value
    }

    private func mismatch(_ key: String, expected: String) -> PaymentHeaderError {
        .invalidJSON("wrong type at \(memberPath(key)), expected \(expected)")
    }

    func value(_ key: String) throws(PaymentHeaderError) -> JSONValue {
        guard let member = members.first(where: { $0.key == key }) else { throw .missingField(memberPath(key)) }
        return member.value
    }

    func optionalValue(_ key: String) -> JSONValue? { member(key) }

    func string(_ key: String) throws(PaymentHeaderError) -> String {
        guard let value = member(key) else { throw .missingField(memberPath(key)) }
        guard case .string(let text) = value else { throw mismatch(key, expected: "String") }
        return text
    }

    func optionalString(_ key: String) throws(PaymentHeaderError) -> String? {
        guard let value = member(key) else { return nil }
        guard case .string(let text) = value else { throw mismatch(key, expected: "String") }
        return text
    }

    func integer(_ key: String) throws(PaymentHeaderError) -> Int {
        guard let value = member(key) else { throw .missingField(memberPath(key)) }
        guard case .number(let literal) = value, let integer = Int(literal) else { throw mismatch(key, expected: "Int") }
        return integer
    }

    func optionalStrings(_ key: String) throws(PaymentHeaderError) -> [String]? {
        guard let value = member(key) else { return nil }
        guard case .array(let values) = value else { throw mismatch(key, expected: "Array<String>") }
        var strings: [String] = []
        strings.reserveCapacity(values.count)
        for (index, element) in values.enumerated() {
            guard case .string(let text) = element else {
                throw .invalidJSON("wrong type at \(memberPath(key)).\(index), expected String")
            }
            strings.append(text)
        }
        return strings
    }

    func object<Member: X402JSONDecodable>(_ key: String, as type: Member.Type) throws(PaymentHeaderError) -> Member {
        guard let value = member(key) else { throw .missingField(memberPath(key)) }
        return try Member(json: value, path: memberPath(key))
    }

    func optionalObject<Member: X402JSONDecodable>(_ key: String, as type: Member.Type) throws(PaymentHeaderError)
        -> Member?
    {
        guard let value = member(key) else { return nil }
        return try Member(json: value, path: memberPath(key))
    }
}

/// Builds a `JSONValue` object, leaving out absent optional members as the codec's `JSONEncoder` did.
struct X402ObjectWriter {
    private(set) var members: [(key: String, value: JSONValue)] = []

    mutating func add(_ key: String, _ value: JSONValue?) {
        if let value { members.append((key, value)) }
    }

    mutating func add(_ key: String, _ text: String?) {
        if let text { members.append((key, .string(text))) }
    }

    var object: JSONValue { .object(members) }
}
