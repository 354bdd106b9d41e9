import Foundation
import PBSentinel
import Yams

/// The `sentinel:` section of `pb.yaml`: whether Sentinel judges payments, how often its learned state is saved,
/// and its policy (docs/SENTINEL.md; without `rules` the default rules apply).
///
/// ```yaml
/// sentinel:
///   enabled: true                  # false: payments are charged without risk checks
///   snapshotIntervalSeconds: 60    # the engine's statistics and breakers are saved this often and at shutdown
///   rules: [...]                   # as /v1/sentinel/rules takes them; absent: the defaults
/// ```
public struct SentinelConfiguration: Sendable {
    public var enabled = true
    public var snapshotIntervalSeconds = 60
    /// The file's policy; nil when the section names none (a policy stored through the API, else the defaults).
    public var policy: SentinelPolicy?

    public init() {}

    static let policyKeys = ["decimals", "rules", "breaker"]

    init(_ node: Node, path: String) throws(GatewayConfigurationError) {
        var fields = try ConfigurationNode(node, path: path)
        enabled = try fields.boolean("enabled") ?? enabled
        snapshotIntervalSeconds = try fields.integer("snapshotIntervalSeconds", in: 1...86_400) ?? snapshotIntervalSeconds
        var pairs: [(Node, Node)] = []
        for key in Self.policyKeys {
            if let value = fields.node(key) { pairs.append((Node(key), value)) }
        }
        try fields.rejectUnknownKeys()
        guard !pairs.isEmpty else { return }
        do throws(SentinelError) {
            policy = try SentinelPolicyReader.policy {
                try YAMLDecoder().decode(SentinelPolicyConfig.self, from: Node.mapping(Node.Mapping(pairs)))
            }
        } catch {
            throw GatewayConfigurationError(field: error.field.map { ConfigurationNode.join(path, $0) } ?? path, error.message)
        }
    }
}

/// Decodes a policy in its config form (YAML or JSON) and validates it, with every error naming its field: a
/// `SentinelError` as it is, a decoding error (missing or mistyped field) by its coding path.
public enum SentinelPolicyReader {
    public static func policy(_ decode: () throws -> SentinelPolicyConfig) throws(SentinelError) -> SentinelPolicy {
        let config: SentinelPolicyConfig
        do {
            config = try decode()
        } catch let error as SentinelError {
            throw error
        } catch let error as DecodingError {
            throw describe(error)
        } catch {
            throw SentinelError(field: nil, message: "not a policy: \(error)")
        }
        return try SentinelPolicy(config: config)
    }

    /// `JSON` bytes of the config form (the body of `PUT /v1/sentinel/rules`).
    public static func policy(json: Data) throws(SentinelError) -> SentinelPolicy {
        try policy { try JSONDecoder().decode(SentinelPolicyConfig.self, from: json) }
    }

    static func describe(_ error: DecodingError) -> SentinelError {
        switch error {
        case .keyNotFound(let key, let context):
            SentinelError(field: path(context.codingPath + [key]), message: "is required")
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            SentinelError(field: path(context.codingPath), message: "expected \(typeName(type))")
        case .dataCorrupted(let context):
            SentinelError(field: context.codingPath.isEmpty ? nil : path(context.codingPath), message: context.debugDescription)
        @unknown default:
            SentinelError(field: nil, message: "\(error)")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.reduce("") { path, key in
            if let index = key.intValue { return path + "[\(index)]" }
            return path.isEmpty ? key.stringValue : path + "." + key.stringValue
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "a whole number"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: "\(type)"
        }
    }
}
