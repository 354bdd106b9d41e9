import Foundation
import PBCore
import PBMetering
import PBPricing

/// The metering API's JSON: money as decimal strings of whole tokens (with base units beside totals), times as
/// Unix milliseconds, exact statement amounts also as their count of exact units.
enum MeteringJSON {
    static func money(_ amount: Amount) -> JSONValue { .string(amount.decimalString) }

    static func time(_ time: UnixTime?) -> JSONValue { time.map { .number(String($0.milliseconds)) } ?? .null }

    static func text(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }

    static func account(_ account: Account, depletesAt: UnixTime?) -> JSONValue {
        .object([
            ("id", .string(account.id)), ("asset", .string(account.asset.symbol)),
            ("decimals", .number(String(account.asset.decimals))), ("balance", money(account.balance)),
            ("balanceBaseUnits", .string(String(account.balance.baseUnits))), ("toppedUp", money(account.toppedUp)),
            ("spent", money(account.spent)), ("lowBalanceFraction", .string(account.lowBalance.fractionString)),
            ("lowBalanceReference", account.lowBalance.fixedReference.map(money) ?? .null),
            ("lowBalanceThreshold", money(account.lowBalanceThreshold)), ("lowBalanceAlerted", .bool(account.lowBalanceAlerted)),
            ("predictedDepletionAt", time(depletesAt)), ("createdAt", time(account.createdAt)),
            ("updatedAt", time(account.updatedAt)),
        ])
    }

    static func topUp(_ topUp: TopUp) -> JSONValue {
        .object([
            ("id", .string(topUp.id)), ("accountId", .string(topUp.accountId)), ("amount", money(topUp.amount)),
            ("balanceAfter", money(topUp.balanceAfter)), ("at", time(topUp.at)),
        ])
    }

    static func event(_ event: MeteringEvent) -> JSONValue {
        .object([
            ("id", .string(event.id)), ("type", .string(event.kind.rawValue)), ("accountId", .string(event.accountId)),
            ("sessionId", text(event.sessionId)), ("at", time(event.at)), ("balance", money(event.balance)),
            ("threshold", event.threshold.map(money) ?? .null), ("reason", text(event.reason?.rawValue)),
        ])
    }

    static func session(_ session: MeterSession, statement: Statement?, depletesAt: UnixTime?) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("id", .string(session.id)), ("accountId", .string(session.accountId)),
            ("grantId", text(session.funding?.grantId.hex)), ("payee", text(session.funding?.payee)),
            ("service", .string(session.service)),
            ("state", .string(session.state.name)), ("stopReason", text(session.state.stopReason?.rawValue)),
            ("status", .string(session.state.description)), ("metering", metering(session.timeMetering)),
            ("startedAt", time(session.startedAt)), ("stoppedAt", time(session.stoppedAt)),
            ("meteredUntil", time(session.timeMetering == nil ? nil : session.meteredUntil)),
            ("charged", money(session.charged)), ("chargedBaseUnits", .string(String(session.charged.baseUnits))),
            ("usageEventCount", .number(String(session.usageEventCount))), ("predictedDepletionAt", time(depletesAt)),
            ("plan", plan(session.plan)),
        ]
        if let statement { members.append(("statement", self.statement(statement))) }
        return .object(members)
    }

    static func statement(_ statement: Statement) -> JSONValue {
        .object([
            ("lines", .array(statement.lines.map(line))), ("exactTotal", .string(statement.exactTotal.decimalString)),
            ("exactTotalUnits", .string(statement.exactTotal.unitsString)), ("charged", money(statement.charged)),
            ("remainder", .string(statement.remainder.decimalString)),
            ("remainderUnits", .string(statement.remainder.unitsString)),
            ("topUps", .array(statement.topUps.map(topUp))), ("balance", money(statement.balance)),
        ])
    }

    static func line(_ line: StatementLine) -> JSONValue {
        .object([
            ("unit", .string(line.unit)), ("kind", .string(line.kind)), ("dimension", text(line.dimension)),
            ("rate", text(line.rate)), ("multiplier", .string(line.multiplier)),
            ("tier", line.tier.map { .number(String($0)) } ?? .null), ("peakWindow", text(line.peakWindow)),
            ("overrideId", text(line.overrideId)), ("quantity", .number(String(line.quantity))),
            ("meteredQuantity", .number(String(line.meteredQuantity))), ("amount", .string(line.exactAmount.decimalString)),
            ("exactUnits", .string(line.exactAmount.unitsString)),
        ])
    }

    static func usage(_ recorded: RecordedUsage) -> JSONValue {
        let usage = recorded.usage
        return .object([
            ("id", .string(usage.id)), ("at", time(usage.at)),
            ("quantities", .object(usage.quantities.map { ($0.unit.name, .number(String($0.quantity))) })),
            ("dimensions", .object(usage.dimensions.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("collected", money(recorded.collected)),
        ])
    }

    static func metering(_ metering: TimeMetering?) -> JSONValue {
        guard let metering else { return .null }
        return .object([
            ("unit", .string(metering.unit.name)), ("intervalSeconds", .number(String(metering.intervalSeconds))),
            ("dimensions", .object(metering.dimensions.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
        ])
    }

    /// The plan in its config form, as `PricePlanConfig` encodes it.
    static func plan(_ plan: PricePlan) -> JSONValue {
        guard let data = try? JSONEncoder().encode(plan.config), let value = try? JSONValue.parse([UInt8](data)) else {
            return .null
        }
        return value
    }
}
