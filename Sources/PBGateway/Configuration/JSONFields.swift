import PBCore
import PBStore

/// A JSON object read field by field, strictly: it knows the path to itself for error messages, and which keys were
/// read, so that an unknown key is an error. Text fields must be JSON strings; whole numbers may be JSON numbers or
/// digit strings (YAML turned into JSON has only strings).
struct JSONFields {
    let path: String
    private let members: [(key: String, value: JSONValue)]
    private var readKeys: Set<String> = []

    init(_ value: JSONValue, path: String) throws(GatewayConfigurationError) {
        guard let members = value.objectMembers else {
            throw GatewayConfigurationError(field: path, "expected an object of key: value")
        }
        self.path = path
        self.members = members
    }

    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value of `key`, marking it read; JSON null counts as absent.
    mutating func value(_ key: String) -> JSONValue? {
        readKeys.insert(key)
        guard let value = members.first(where: { $0.key == key })?.value, value != .null else { return nil }
        return value
    }

    static func string(_ value: JSONValue, path: String) throws(GatewayConfigurationError) -> String {
        guard let text = value.stringValue else {
            throw GatewayConfigurationError(field: path, "must be a string (money and multipliers as decimal strings)")
        }
        return text
    }

    mutating func string(_ key: String) throws(GatewayConfigurationError) -> String? {
        try value(key).map { (value) throws(GatewayConfigurationError) in try Self.string(value, path: fieldPath(key)) }
    }

    mutating func requiredString(_ key: String) throws(GatewayConfigurationError) -> String {
        guard let text = try string(key), !text.isEmpty else {
            throw GatewayConfigurationError(field: fieldPath(key), "is required")
        }
        return text
    }

    static func integer(_ value: JSONValue, path: String) throws(GatewayConfigurationError) -> UInt64 {
        let text: String?
        switch value {
        case .number(let literal): text = literal
        case .string(let string): text = string
        default: text = nil
        }
        guard let text, text.utf8.allSatisfy({ (48...57).contains($0) }), let number = UInt64(text) else {
            throw GatewayConfigurationError(field: path, "must be a whole number")
        }
        return number
    }

    mutating func integer(_ key: String) throws(GatewayConfigurationError) -> Int? {
        guard let value = value(key) else { return nil }
        let number = try Self.integer(value, path: fieldPath(key))
        guard number <= UInt64(Int.max) else { throw GatewayConfigurationError(field: fieldPath(key), "is too large") }
        return Int(number)
    }

    mutating func list(_ key: String) throws(GatewayConfigurationError) -> [(path: String, value: JSONValue)]? {
        guard let value = value(key) else { return nil }
        guard let items = value.arrayValues else { throw GatewayConfigurationError(field: fieldPath(key), "must be a list") }
        return items.enumerated().map { ("\(fieldPath(key))[\($0.offset)]", $0.element) }
    }

    mutating func object(_ key: String) throws(GatewayConfigurationError) -> JSONFields? {
        try value(key).map { (value) throws(GatewayConfigurationError) in try JSONFields(value, path: fieldPath(key)) }
    }

    /// Every member read by `read` with its path: `hold: {input_tokens: 4000}` as whole numbers,
    /// `dimension: {model: large}` as strings.
    mutating func readEach<Value>(
        _ read: (JSONValue, String) throws(GatewayConfigurationError) -> Value
    ) throws(GatewayConfigurationError) -> [String: Value] {
        var result: [String: Value] = [:]
        for (key, value) in members {
            readKeys.insert(key)
            result[key] = try read(value, fieldPath(key))
        }
        return result
    }

    /// A dimension source, `{header: X-Model}` or `{wildcard: 1}`.
    static func dimensionSource(_ value: JSONValue, path: String) throws(GatewayConfigurationError) -> DimensionSource {
        var fields = try JSONFields(value, path: path)
        let source = DimensionSource(header: try fields.string("header"), wildcard: try fields.integer("wildcard"))
        try fields.rejectUnknownKeys()
        return source
    }

    func rejectUnknownKeys() throws(GatewayConfigurationError) {
        if let unknown = members.first(where: { !readKeys.contains($0.key) }) {
            throw GatewayConfigurationError(field: fieldPath(unknown.key), "unknown key")
        }
    }
}
