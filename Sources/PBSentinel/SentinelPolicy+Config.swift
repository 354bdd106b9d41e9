import PBCore

/// Conversions between the validated policy and its configuration form. Every error names the config field at
/// fault (`rules[1].when[0].calls.window`).
extension SentinelPolicy {
    public init(config: SentinelPolicyConfig) throws(SentinelError) {
        let decimals = config.decimals ?? 6
        guard Asset.decimalsRange.contains(decimals) else { throw .invalid("decimals", "\(decimals) is outside 0...36") }
        var rules: [SentinelRule] = []
        if let ruleConfigs = config.rules {
            for (index, rule) in ruleConfigs.enumerated() {
                rules.append(try SentinelError.naming("rules[\(index)]") { try SentinelRule(config: rule, decimals: decimals) })
            }
        } else {
            rules = Self.defaultRules
        }
        var policies: [Severity: BreakerPolicy] = [:]
        for (name, policyConfig) in (config.breaker ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let severity = Severity(rawValue: name) else {
                throw .invalid("breaker.\(name)", "unknown severity; use low, medium, high or critical")
            }
            let fallback = BreakerPolicy.defaults[severity]!
            policies[severity] = try SentinelError.naming("breaker.\(name)") {
                try BreakerPolicy(
                    holdSeconds: policyConfig.holdSeconds, probeSeconds: policyConfig.probeSeconds ?? fallback.probeSeconds,
                    probeAllowance: policyConfig.probeAllowance ?? fallback.probeAllowance,
                    maximumHoldSeconds: policyConfig.maximumHoldSeconds
                        ?? max(fallback.maximumHoldSeconds, policyConfig.holdSeconds ?? 0))
            }
        }
        try self.init(decimals: decimals, rules: rules, breakerPolicies: policies)
    }

    /// The configuration form; `SentinelPolicy(config: policy.config) == policy`.
    public var config: SentinelPolicyConfig {
        SentinelPolicyConfig(
            decimals: decimals, rules: rules.map { $0.config(decimals: decimals) },
            breaker: Dictionary(uniqueKeysWithValues: breakerPolicies.map { severity, policy in
                (severity.rawValue, BreakerPolicyConfig(
                    holdSeconds: policy.holdSeconds, probeSeconds: policy.probeSeconds,
                    probeAllowance: policy.probeAllowance, maximumHoldSeconds: policy.maximumHoldSeconds))
            }))
    }
}

extension SentinelPolicy {
    /// An equal policy that shares no storage with this one. Each shard of the engine holds its own, because threads
    /// retaining and releasing the same rule arrays and strings would bounce one cache line between cores on every
    /// payment.
    var separateCopy: SentinelPolicy {
        do {
            return try SentinelPolicy(config: config)
        } catch {
            preconditionFailure("a valid policy's config is valid: \(error)")
        }
    }
}

/// Encoded and decoded as `SentinelPolicyConfig`, so a policy in JSON or YAML is the config format.
extension SentinelPolicy: Codable {
    public init(from decoder: any Decoder) throws {
        try self.init(config: SentinelPolicyConfig(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try config.encode(to: encoder)
    }
}

extension SentinelRule {
    public init(config: SentinelRuleConfig, decimals: Int) throws(SentinelError) {
        guard let action = RuleAction(rawValue: config.action) else {
            throw .invalid("action", "'\(config.action)' is not one of allow, block, freeze, freezeOwner, alert")
        }
        guard let severity = Severity(rawValue: config.severity) else {
            throw .invalid("severity", "'\(config.severity)' is not one of low, medium, high, critical")
        }
        var conditions: [RuleCondition] = []
        for (index, condition) in config.when.enumerated() {
            conditions.append(try SentinelError.naming("when[\(index)]") { try RuleCondition(config: condition, decimals: decimals) })
        }
        try self.init(
            id: config.id, message: config.message ?? "refused by risk rule \(config.id)", conditions: conditions,
            action: action, severity: severity, cooldownSeconds: config.cooldownSeconds ?? 0)
    }

    public func config(decimals: Int) -> SentinelRuleConfig {
        SentinelRuleConfig(
            id: id, message: message, when: conditions.map { $0.config(decimals: decimals) }, action: action.rawValue,
            severity: severity.rawValue, cooldownSeconds: cooldownSeconds)
    }
}
