import Yams

/// A YAML mapping being read field by field. It remembers the dotted path to itself for error messages and which
/// keys were read, so that a misspelt key (`upstram:`) is an error instead of a silently ignored setting.
struct ConfigurationNode {
    let path: String
    private let pairs: [(key: String, value: Node)]
    private var readKeys: Set<String> = []

    init(_ node: Node, path: String) throws(GatewayConfigurationError) {
        guard let mapping = node.mapping else {
            throw GatewayConfigurationError(field: path, "expected a mapping of 'key: value' lines")
        }
        var pairs: [(key: String, value: Node)] = []
        var seen: Set<String> = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                throw GatewayConfigurationError(field: path, "keys must be plain strings")
            }
            guard seen.insert(name).inserted else {
                throw GatewayConfigurationError(field: Self.join(path, name), "key appears twice")
            }
            pairs.append((name, value))
        }
        self.path = path
        self.pairs = pairs
    }

    /// The mapping's keys in file order (for mappings keyed by name, like `serviceThresholds`).
    var keys: [String] { pairs.map(\.key) }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func fieldPath(_ key: String) -> String { Self.join(path, key) }

    /// The raw node for `key`, marking it read. A YAML `null` counts as absent.
    mutating func node(_ key: String) -> Node? {
        readKeys.insert(key)
        guard let value = pairs.first(where: { $0.key == key })?.value else { return nil }
        if value.scalar != nil, value.tag.rawValue == Tag.Name.null.rawValue { return nil }
        return value
    }

    /// Scalars are taken as their exact source text: `price: 0.01` stays the digits "0.01", never a Double.
    mutating func string(_ key: String) throws(GatewayConfigurationError) -> String? {
        guard let value = node(key) else { return nil }
        guard let scalar = value.scalar else {
            throw GatewayConfigurationError(field: fieldPath(key), "expected a single value, not a list or mapping")
        }
        return scalar.string
    }

    mutating func requiredString(_ key: String) throws(GatewayConfigurationError) -> String {
        guard let value = try string(key), !value.isEmpty else {
            throw GatewayConfigurationError(field: fieldPath(key), "is required")
        }
        return value
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int>) throws(GatewayConfigurationError) -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw GatewayConfigurationError(
                field: fieldPath(key), "'\(text)' is not a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    mutating func boolean(_ key: String) throws(GatewayConfigurationError) -> Bool? {
        guard let text = try string(key) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default: throw GatewayConfigurationError(field: fieldPath(key), "'\(text)' is not true or false")
        }
    }

    mutating func mapping(_ key: String) throws(GatewayConfigurationError) -> ConfigurationNode? {
        guard let value = node(key) else { return nil }
        return try ConfigurationNode(value, path: fieldPath(key))
    }

    /// A list's items with their paths (`services[2]`).
    mutating func list(_ key: String) throws(GatewayConfigurationError) -> [(path: String, node: Node)] {
        guard let value = node(key) else { return [] }
        guard let sequence = value.sequence else {
            throw GatewayConfigurationError(field: fieldPath(key), "expected a list of '- ' items")
        }
        return sequence.enumerated().map { (path: "\(fieldPath(key))[\($0.offset)]", node: $0.element) }
    }

    /// Every key as its scalar text, all marked read: for a section another module validates (`evm:`).
    mutating func scalarFields() throws(GatewayConfigurationError) -> [String: String] {
        var fields: [String: String] = [:]
        for key in pairs.map(\.key) {
            if let value = try string(key) { fields[key] = value }
        }
        return fields
    }

    /// Call after reading every known key.
    func rejectUnknownKeys() throws(GatewayConfigurationError) {
        if let unknown = pairs.first(where: { !readKeys.contains($0.key) }) {
            throw GatewayConfigurationError(field: fieldPath(unknown.key), "unknown key")
        }
    }
}
