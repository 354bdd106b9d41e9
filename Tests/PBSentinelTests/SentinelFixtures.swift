import PBCore
import PBCrypto
import PBSentinel

/// Builders for observations and policies shared by the Sentinel tests.
enum SentinelFixtures {
    static let start = UnixTime(seconds: 1_735_689_600)

    static func keyID(_ number: UInt8) -> Bytes32 { Bytes32(unchecked: [UInt8](repeating: number, count: 32)) }

    static func address(_ number: UInt8) -> EthereumAddress {
        try! EthereumAddress(bytes: [UInt8](repeating: number, count: 20))
    }

    static func payment(
        key: UInt8 = 1, owner: UInt8 = 1, amount: UInt128 = 10_000, at time: UnixTime, service: String = "chat",
        payee: UInt8 = 9, clientIP: String? = "198.51.100.7", remaining: UInt128 = 50_000_000,
        totalLimit: UInt128 = 50_000_000
    ) -> PaymentObservation {
        PaymentObservation(
            keyID: keyID(key), owner: address(owner), service: service, payee: address(payee), amount: amount, time: time,
            clientIP: clientIP, remainingBeforePayment: remaining, totalLimit: totalLimit)
    }

    /// A policy of one rule built from its config form (amounts in USDC, 6 decimals).
    static func policy(
        _ conditions: [RuleConditionConfig], action: String = "block", severity: String = "medium", cooldownSeconds: Int64 = 0
    ) throws -> SentinelPolicy {
        try SentinelPolicy(
            config: SentinelPolicyConfig(rules: [
                SentinelRuleConfig(
                    id: "rule-under-test", message: "refused by the rule under test", when: conditions, action: action,
                    severity: severity, cooldownSeconds: cooldownSeconds)
            ]))
    }

    static func isBlocked(_ verdict: RiskVerdict) -> Bool {
        if case .block = verdict.decision { return true }
        return false
    }

    static func isFrozen(_ verdict: RiskVerdict) -> Bool {
        switch verdict.decision {
        case .freeze, .frozen: true
        default: false
        }
    }
}
