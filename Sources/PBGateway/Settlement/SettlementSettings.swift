import Foundation
import PBCore
import PBSettlement

/// How the settlement worker runs: the `settlement:` section of pb.yaml, resolved to base units.
public struct SettlementSettings: Sendable {
    public var policy = SettlementPolicy()
    public var retry = SettlementRetryPolicy()
    public var intervalSeconds: Int64 = 15
    /// At most this many claims per settlement (and never more than the rail takes).
    public var batchSize = 128
    /// Bounds of one round: channels judged, open settlements driven, status polls of one settlement.
    public var candidatesPerRound = 1_000
    public var openSettlementsPerRound = 100
    public var statusPollsPerRound = 3
    public var statusPollDelayMilliseconds: Int64 = 200
    public var faultInjection = SettlementFaultInjection.none

    public init() {}
}

/// A test-only crash point: `PB_SETTLEMENT_CRASH_AT` read once when `pb serve` starts. The process kills itself
/// with SIGKILL (as `kill -9` would) right after that step of its first settlement, so a crash test can land
/// deterministically between storing a prepared settlement and broadcasting it, which random timing rarely hits
/// on the ledger rail (the two are microseconds apart). Unset in production.
public enum SettlementFaultInjection: String, Sendable, CaseIterable {
    case none
    /// After the settlement is recorded as due, before the rail prepares it.
    case afterCreate = "after-create"
    /// After the prepared settlement is stored, before it is broadcast.
    case afterPrepare = "after-prepare"
    /// After the broadcast, before its status is read and recorded.
    case afterBroadcast = "after-broadcast"
    /// After the confirmation is recorded.
    case afterConfirm = "after-confirm"

    public static let environmentKey = "PB_SETTLEMENT_CRASH_AT"

    public static func from(environment: [String: String]) throws(GatewayConfigurationError) -> SettlementFaultInjection {
        guard let text = environment[environmentKey], !text.isEmpty else { return .none }
        guard let point = SettlementFaultInjection(rawValue: text) else {
            throw GatewayConfigurationError(
                field: environmentKey, "'\(text)' is not one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return point
    }

    func crashIfAt(_ point: SettlementFaultInjection) {
        guard self != .none, self == point else { return }
        FileHandle.standardError.write(Data("pb: settlement crash point \(rawValue) reached, killing myself\n".utf8))
        kill(getpid(), SIGKILL)
    }
}
