import PBCore
import PBPricing
import PBStore

/// The machine-readable `extra.priceRule` of a 402 and the text its quote id authenticates.
///
/// ```json
/// {"route": "POST /v1/chat", "capture": "hold", "usage": {"input_token": "4000", "output_token": "1000"},
///  "dimensions": {}, "quotedAt": "1767225600000", "expiresAt": "1767225660000", "overrides": [],
///  "lines": [{"unit": "input_token", "kind": "usage", "quantity": "4000", "rate": "0.000002", "multiplier": "1",
///             "amount": "0.008"}, …],
///  "exactTotal": "0.016", "amount": "16000"}
/// ```
extension QuoteTerms {
    /// The dimension values, the instant and the overrides, in one fixed serialization: what the quote id's MAC
    /// covers besides the amount, so that a payment on an earlier quote is priced (and captured) on exactly these.
    public var authenticatedText: String {
        let dimensionsJSON = JSONValue.object(dimensions.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
        return [
            dimensionsJSON.serialized(), String(quotedAtMilliseconds), JSONValue.array(overrides.map(Self.json)).serialized(),
        ].joined(separator: "\n")
    }

    static func json(_ override: RateOverrideConfig) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("id", .string(override.id))]
        if let service = override.service { members.append(("service", .string(service))) }
        if let route = override.route { members.append(("route", .string(route))) }
        if let unit = override.unit { members.append(("unit", .string(unit))) }
        if let multiplier = override.multiplier { members.append(("multiplier", .string(multiplier))) }
        if let price = override.price { members.append(("price", .string(price))) }
        if let notBefore = override.notBeforeMilliseconds { members.append(("notBefore", .string(String(notBefore)))) }
        if let notAfter = override.notAfterMilliseconds { members.append(("notAfter", .string(String(notAfter)))) }
        return .object(members)
    }

    /// The instant and overrides of an echoed `priceRule`, or nil when it does not have them in the gateway's form.
    /// (Whether they are genuine is the quote id's business.)
    static func quotedTerms(in priceRule: JSONValue) -> (quotedAt: Int64, overrides: [RateOverrideConfig])? {
        guard let quotedText = priceRule["quotedAt"]?.stringValue, let quotedAt = Int64(quotedText),
            let items = priceRule["overrides"]?.arrayValues
        else { return nil }
        var overrides: [RateOverrideConfig] = []
        for item in items {
            guard let id = item["id"]?.stringValue else { return nil }
            func text(_ key: String) -> String? { item[key]?.stringValue }
            overrides.append(RateOverrideConfig(
                id: id, service: text("service"), route: text("route"), unit: text("unit"), multiplier: text("multiplier"),
                price: text("price"), notBeforeMilliseconds: text("notBefore").flatMap { Int64($0) },
                notAfterMilliseconds: text("notAfter").flatMap { Int64($0) }))
        }
        return (quotedAt, overrides)
    }
}

extension RouteQuote {
    /// The rule that produced the price, for the 402's `extra.priceRule`.
    public var priceRule: JSONValue {
        .object([
            ("route", .string(terms.route)),
            ("capture", .string(holdSeconds == nil ? "call" : "hold")),
            ("usage", .object(terms.usage.sorted { $0.key < $1.key }.map { ($0.key, .string(String($0.value))) })),
            ("dimensions", .object(terms.dimensions.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("quotedAt", .string(String(terms.quotedAtMilliseconds))),
            ("expiresAt", .string(String(expiresAt.milliseconds))),
            ("overrides", .array(terms.overrides.map(QuoteTerms.json))),
            ("lines", .array(charge.lines.map(Self.json))),
            ("exactTotal", .string(charge.exactTotal.decimalString)),
            ("amount", .string(String(amount))),
        ])
    }

    static func json(_ line: ChargeLine) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("unit", .string(line.unit.name)), ("kind", .string(line.kind.rawValue)),
            ("quantity", .string(String(line.quantity))),
        ]
        if let dimension = line.dimension { members.append(("dimension", .string(dimension.description))) }
        if let rate = line.rate { members.append(("rate", .string(rate.decimalString))) }
        members.append(("multiplier", .string(line.multiplier.decimalString)))
        if let tier = line.tier { members.append(("tier", .string(String(tier)))) }
        if let peakWindow = line.peakWindow { members.append(("peakWindow", .string(peakWindow))) }
        if let overrideId = line.overrideId { members.append(("override", .string(overrideId))) }
        members.append(("amount", .string(line.exactAmount.decimalString)))
        return .object(members)
    }

    /// The units priced, comma-separated (`call`, `input_token,output_token`), for `extra.unit`.
    public var unitNames: String {
        terms.usage.keys.sorted().joined(separator: ",")
    }

    /// Each unit's rate times its multiplier, in the order of `unitNames`, for `extra.unitPrice`.
    public var unitPrices: String {
        terms.usage.keys.sorted().map { name in
            guard let line = charge.lines.first(where: { $0.unit.name == name && $0.rate != nil }), let rate = line.rate
            else { return "0" }
            let (high, low) = rate.scaledUnits.multipliedFullWidth(by: line.multiplier.trillionths)
            guard high == 0 else { return rate.decimalString }
            return DecimalString.format(
                low, fractionDigits: rate.decimals + Rate.scaleDigits + Multiplier.storedFractionDigits, trimmed: true)
        }.joined(separator: ",")
    }
}
