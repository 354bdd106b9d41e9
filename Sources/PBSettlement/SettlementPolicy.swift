import PBCore
import PBCrypto

/// Why a channel is due for settlement now. A channel may be due for several reasons at once; all are recorded.
public enum SettlementDueReason: String, Sendable, Hashable, CaseIterable, Codable {
    /// The unsettled amount reached the threshold (the seed's 10 U).
    case threshold
    /// The oldest unsettled charge has waited longer than the maximum age.
    case maxAge = "max_age"
    /// A metering or stream session on the channel stopped: settle what it charged.
    case sessionStopped = "session_stopped"
    /// The grant expires within the margin: a voucher must be settled while the grant is still valid.
    case grantExpiring = "grant_expiring"
}

/// What the policy needs to know about one channel.
public struct ChannelSettlementView: Sendable, Hashable {
    public let payee: EthereumAddress
    /// Charged on the channel and not yet settled (what a claim would pay, at most).
    public let unsettledAmount: UInt128
    /// When the oldest charge not yet settled was made; nil when the store cannot tell (then age is not judged).
    public let oldestUnsettledChargeAt: UnixTime?
    /// The grant's `validUntil`, seconds since 1970.
    public let grantValidUntilSeconds: UInt64
    /// A session on the channel stopped since the last settlement.
    public let sessionStopped: Bool

    public init(
        payee: EthereumAddress, unsettledAmount: UInt128, oldestUnsettledChargeAt: UnixTime?,
        grantValidUntilSeconds: UInt64, sessionStopped: Bool = false
    ) {
        self.payee = payee
        self.unsettledAmount = unsettledAmount
        self.oldestUnsettledChargeAt = oldestUnsettledChargeAt
        self.grantValidUntilSeconds = grantValidUntilSeconds
        self.sessionStopped = sessionStopped
    }
}

/// When a channel's accumulated charges are settled: the accumulator's rule (docs/SETTLEMENT.md).
///
/// A channel with nothing unsettled is never due, whatever else holds: a settlement of zero would cost a
/// transaction (on a chain, gas) and pay nothing.
public struct SettlementPolicy: Sendable, Hashable {
    /// 10 U in base units of a 6-decimal stablecoin: the seed's threshold.
    public static let defaultThresholdBaseUnits: UInt128 = 10_000_000

    /// The threshold for payees without one of their own, in base units.
    public var thresholdBaseUnits: UInt128
    /// Per payee (from the services that pay it), in base units; wins over `thresholdBaseUnits`.
    public var payeeThresholdsBaseUnits: [EthereumAddress: UInt128]
    /// A charge waits at most this long before its channel is settled, whatever the amount.
    public var maxAgeSeconds: Int64
    /// Settle this long before the grant's `validUntil` at the latest.
    public var grantExpiryMarginSeconds: Int64

    public init(
        thresholdBaseUnits: UInt128 = defaultThresholdBaseUnits,
        payeeThresholdsBaseUnits: [EthereumAddress: UInt128] = [:], maxAgeSeconds: Int64 = 86_400,
        grantExpiryMarginSeconds: Int64 = 3_600
    ) {
        precondition(maxAgeSeconds > 0 && grantExpiryMarginSeconds >= 0, "ages are positive")
        self.thresholdBaseUnits = thresholdBaseUnits
        self.payeeThresholdsBaseUnits = payeeThresholdsBaseUnits
        self.maxAgeSeconds = maxAgeSeconds
        self.grantExpiryMarginSeconds = grantExpiryMarginSeconds
    }

    public func threshold(for payee: EthereumAddress) -> UInt128 {
        payeeThresholdsBaseUnits[payee] ?? thresholdBaseUnits
    }

    /// Every reason `channel` is due at `now`, in `SettlementDueReason.allCases` order; empty when it is not due.
    public func dueReasons(for channel: ChannelSettlementView, at now: UnixTime) -> [SettlementDueReason] {
        guard channel.unsettledAmount > 0 else { return [] }
        var reasons: [SettlementDueReason] = []
        if channel.unsettledAmount >= threshold(for: channel.payee) { reasons.append(.threshold) }
        if let oldest = channel.oldestUnsettledChargeAt, now.milliseconds - oldest.milliseconds > maxAgeSeconds * 1000 {
            reasons.append(.maxAge)
        }
        if channel.sessionStopped { reasons.append(.sessionStopped) }
        let validUntil = Int64(clamping: channel.grantValidUntilSeconds)
        if now.seconds >= validUntil - min(validUntil, grantExpiryMarginSeconds) { reasons.append(.grantExpiring) }
        return reasons
    }
}

/// How a channel whose settlement failed is retried: after a doubling delay, at most `maxAttempts` times in a row;
/// then it is parked (kept, listed, not retried) until an operator looks at it.
public struct SettlementRetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    public var firstDelaySeconds: Int64
    public var maxDelaySeconds: Int64

    public init(maxAttempts: Int = 5, firstDelaySeconds: Int64 = 30, maxDelaySeconds: Int64 = 3_600) {
        precondition(maxAttempts >= 1 && firstDelaySeconds >= 0 && maxDelaySeconds >= firstDelaySeconds, "bounds")
        self.maxAttempts = maxAttempts
        self.firstDelaySeconds = firstDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
    }

    /// When the next attempt may start after `failedAttempts` consecutive failures; nil parks the channel.
    public func retryAt(afterFailedAttempts failedAttempts: Int, now: UnixTime) -> UnixTime? {
        guard failedAttempts < maxAttempts else { return nil }
        let exponent = min(max(failedAttempts - 1, 0), 30)
        let (doubled, overflow) = firstDelaySeconds.multipliedReportingOverflow(by: 1 << exponent)
        return now.adding(seconds: overflow ? maxDelaySeconds : min(maxDelaySeconds, doubled))
    }
}
