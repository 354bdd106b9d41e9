import PBCore
import PBPricing

/// The stored form of a session: one JSON document (times in milliseconds, amounts as digit strings, the plan in
/// its config form). Decoding validates like the initialisers do: a stored document is input too.
extension MeterSession: Codable {
    private enum CodingKeys: String, CodingKey {
        case id, accountId, grantId, payee, service, plan, metering, state, stopReason, startedAt, updatedAt, stoppedAt
        case meteredUntil, meteredQuantities, carrier, lines, usageEventCount
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let plan = try container.decode(PricePlan.self, forKey: .plan)
        let stoppedAt = try container.decodeIfPresent(Int64.self, forKey: .stoppedAt)
        var funding: GrantFunding?
        if let grantId = try container.decodeIfPresent(Bytes32.self, forKey: .grantId) {
            funding = try GrantFunding(grantId: grantId, payee: try container.decode(String.self, forKey: .payee))
        }
        self.init(
            id: try container.decode(String.self, forKey: .id),
            accountId: try container.decode(String.self, forKey: .accountId), funding: funding,
            service: try container.decode(String.self, forKey: .service), plan: plan,
            timeMetering: try container.decodeIfPresent(TimeMetering.self, forKey: .metering),
            state: try SessionState(
                name: container.decode(String.self, forKey: .state),
                reason: container.decodeIfPresent(String.self, forKey: .stopReason)),
            startedAt: UnixTime(milliseconds: try container.decode(Int64.self, forKey: .startedAt)),
            updatedAt: UnixTime(milliseconds: try container.decode(Int64.self, forKey: .updatedAt)),
            stoppedAt: stoppedAt.map(UnixTime.init(milliseconds:)),
            meteredUntil: UnixTime(milliseconds: try container.decode(Int64.self, forKey: .meteredUntil)),
            meteredQuantities: try container.decode([String: UInt64].self, forKey: .meteredQuantities),
            carrier: try container.decode(ChargeCarrier.self, forKey: .carrier),
            statementLines: try container.decode([StatementLine].self, forKey: .lines),
            usageEventCount: try container.decode(UInt64.self, forKey: .usageEventCount))
        guard GrantFunding.isGrantAccount(accountId) == (funding != nil), (funding?.accountId ?? accountId) == accountId
        else { throw MeteringError.invalid("session", "stored session \(id) names a funding that is not its account") }
        guard carrier.asset == plan.asset, statementLines.allSatisfy({ $0.exactAmount.decimals == plan.asset.decimals })
        else { throw MeteringError.invalid("session", "stored session \(id) mixes assets") }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(accountId, forKey: .accountId)
        try container.encodeIfPresent(funding?.grantId, forKey: .grantId)
        try container.encodeIfPresent(funding?.payee, forKey: .payee)
        try container.encode(service, forKey: .service)
        try container.encode(plan, forKey: .plan)
        try container.encodeIfPresent(timeMetering, forKey: .metering)
        try container.encode(state.name, forKey: .state)
        try container.encodeIfPresent(state.stopReason?.rawValue, forKey: .stopReason)
        try container.encode(startedAt.milliseconds, forKey: .startedAt)
        try container.encode(updatedAt.milliseconds, forKey: .updatedAt)
        try container.encodeIfPresent(stoppedAt?.milliseconds, forKey: .stoppedAt)
        try container.encode(meteredUntil.milliseconds, forKey: .meteredUntil)
        try container.encode(meteredQuantities, forKey: .meteredQuantities)
        try container.encode(carrier, forKey: .carrier)
        try container.encode(statementLines, forKey: .lines)
        try container.encode(usageEventCount, forKey: .usageEventCount)
    }
}

extension TimeMetering: Codable {
    private enum CodingKeys: String, CodingKey { case unit, intervalSeconds, dimensions }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            unit: PricingUnit(name: container.decode(String.self, forKey: .unit)),
            intervalSeconds: container.decode(Int64.self, forKey: .intervalSeconds),
            dimensions: container.decodeIfPresent([String: String].self, forKey: .dimensions) ?? [:])
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(unit.name, forKey: .unit)
        try container.encode(intervalSeconds, forKey: .intervalSeconds)
        if !dimensions.isEmpty { try container.encode(dimensions, forKey: .dimensions) }
    }
}

/// `exactUnits` is the exact count as digits (`ExactAmount.unitsString`), with the asset's decimals beside it.
extension StatementLine: Codable {
    private enum CodingKeys: String, CodingKey {
        case unit, kind, dimension, rate, multiplier, tier, peakWindow, overrideId, quantity, meteredQuantity
        case exactUnits, decimals
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            unit: try container.decode(String.self, forKey: .unit), kind: try container.decode(String.self, forKey: .kind),
            dimension: try container.decodeIfPresent(String.self, forKey: .dimension),
            rate: try container.decodeIfPresent(String.self, forKey: .rate),
            multiplier: try container.decode(String.self, forKey: .multiplier),
            tier: try container.decodeIfPresent(Int.self, forKey: .tier),
            peakWindow: try container.decodeIfPresent(String.self, forKey: .peakWindow),
            overrideId: try container.decodeIfPresent(String.self, forKey: .overrideId),
            quantity: try container.decode(UInt64.self, forKey: .quantity),
            meteredQuantity: try container.decode(UInt64.self, forKey: .meteredQuantity),
            exactAmount: try ExactAmount(
                parsingUnits: container.decode(String.self, forKey: .exactUnits),
                decimals: container.decode(Int.self, forKey: .decimals)))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(unit, forKey: .unit)
        try container.encode(kind, forKey: .kind)
        try container.encodeIfPresent(dimension, forKey: .dimension)
        try container.encodeIfPresent(rate, forKey: .rate)
        try container.encode(multiplier, forKey: .multiplier)
        try container.encodeIfPresent(tier, forKey: .tier)
        try container.encodeIfPresent(peakWindow, forKey: .peakWindow)
        try container.encodeIfPresent(overrideId, forKey: .overrideId)
        try container.encode(quantity, forKey: .quantity)
        try container.encode(meteredQuantity, forKey: .meteredQuantity)
        try container.encode(exactAmount.unitsString, forKey: .exactUnits)
        try container.encode(exactAmount.decimals, forKey: .decimals)
    }
}
