import PBCore

/// Conversions between the validated pricing types and their configuration form (`PricePlanConfig`). Every error
/// names the config field at fault, relative to the plan (`prices[1].tiers[0].rate`).
extension PricePlan {
    public init(config: PricePlanConfig) throws(PricingError) {
        let decimals = config.decimals ?? 6
        guard Asset.decimalsRange.contains(decimals) else { throw .invalid("decimals", "\(decimals) is outside 0...36") }
        let symbol = config.asset ?? "USDC"
        let asset = try PricingError.naming("asset") { try Asset(symbol: symbol, decimals: decimals) }
        var schedule: PeakSchedule?
        let windowConfigs = config.peakWindows ?? []
        if let timeZone = config.timeZone {
            var windows: [PeakWindow] = []
            for (index, window) in windowConfigs.enumerated() {
                windows.append(try PricingError.naming("peakWindows[\(index)]") { try PeakWindow(config: window) })
            }
            schedule = try PeakSchedule(timeZone: timeZone, windows: windows)
        } else if !windowConfigs.isEmpty {
            throw .invalid("timeZone", "is required with peakWindows, e.g. Europe/Berlin or UTC")
        }
        var prices: [UnitPrice] = []
        for (index, price) in config.prices.enumerated() {
            prices.append(try PricingError.naming("prices[\(index)]") { try UnitPrice(config: price, decimals: decimals) })
        }
        try self.init(asset: asset, prices: prices, peakSchedule: schedule)
    }

    /// The configuration form; `PricePlan(config: plan.config) == plan`.
    public var config: PricePlanConfig {
        PricePlanConfig(
            asset: asset.symbol, decimals: asset.decimals, timeZone: peakSchedule?.timeZoneIdentifier,
            peakWindows: peakSchedule.map { $0.windows.map(\.config) }, prices: prices.map(\.config))
    }
}

/// Encoded and decoded as `PricePlanConfig`, so a plan in JSON or YAML is the config format with decimal strings.
extension PricePlan: Codable {
    public init(from decoder: any Decoder) throws {
        try self.init(config: PricePlanConfig(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try config.encode(to: encoder)
    }
}

extension PeakWindow {
    public init(config: PeakWindowConfig) throws(PricingError) {
        var days: Set<DayOfWeek> = []
        for (index, name) in config.days.enumerated() {
            days.insert(try PricingError.naming("days[\(index)]") { try DayOfWeek(name: name) })
        }
        try self.init(
            name: config.name, days: days,
            from: PricingError.naming("from") { try TimeOfDay(parsing: config.from) },
            to: PricingError.naming("to") { try TimeOfDay(parsing: config.to) },
            multiplier: PricingError.naming("multiplier") { try Multiplier(parsing: config.multiplier) })
    }

    public var config: PeakWindowConfig {
        PeakWindowConfig(
            name: name, days: days.sorted().map(\.name), from: from.description, to: to.description,
            multiplier: multiplier.decimalString)
    }
}

extension UnitPrice {
    public init(config: UnitPriceConfig, decimals: Int) throws(PricingError) {
        let unit = try PricingError.naming("unit") { try PricingUnit(name: config.unit) }
        var dimension: DimensionValue?
        if let pairs = config.dimension {
            guard pairs.count == 1, let pair = pairs.first else {
                throw .invalid("dimension", "needs exactly one key: value, such as {gpu: H100}")
            }
            dimension = try DimensionValue(key: pair.key, value: pair.value)
        }
        let model = try Self.model(from: config, decimals: decimals)
        let minimum = try config.minimum.map { text throws(PricingError) in
            try PricingError.naming("minimum") { try Amount(parsing: text, decimals: decimals) }
        }
        try self.init(
            unit: unit, dimension: dimension, model: model, freeUnits: config.freeUnits ?? 0, minimum: minimum)
    }

    private static func model(from config: UnitPriceConfig, decimals: Int) throws(PricingError) -> ChargeModel {
        func rate(_ text: String?, _ field: String) throws(PricingError) -> Rate {
            guard let text else { throw .invalid(field, "is required by the \(config.model ?? "standard") model") }
            return try PricingError.naming(field) { try Rate(parsing: text, decimals: decimals) }
        }
        func rejectUnused(_ present: Bool, _ field: String) throws(PricingError) {
            if present { throw .invalid(field, "is not used by the \(config.model ?? "standard") model") }
        }
        let kind = config.model ?? "standard"
        switch ChargeModel.Kind(rawValue: kind) {
        case .standard?:
            try rejectUnused(config.tiers != nil, "tiers")
            try rejectUnused(config.packageSize != nil || config.packagePrice != nil, "packageSize")
            return .standard(rate: try rate(config.rate, "rate"))
        case .graduated?, .volume?:
            try rejectUnused(config.rate != nil, "rate")
            try rejectUnused(config.packageSize != nil || config.packagePrice != nil, "packageSize")
            var tiers: [PriceTier] = []
            for (index, tier) in (config.tiers ?? []).enumerated() {
                let flatFee = try tier.flatFee.map { text throws(PricingError) in
                    try PricingError.naming("tiers[\(index)].flatFee") { try Amount(parsing: text, decimals: decimals) }
                }
                tiers.append(PriceTier(upTo: tier.upTo, rate: try rate(tier.rate, "tiers[\(index)].rate"), flatFee: flatFee))
            }
            return kind == "graduated" ? try .graduated(tiers: tiers) : try .volume(tiers: tiers)
        case .package?:
            try rejectUnused(config.rate != nil, "rate")
            try rejectUnused(config.tiers != nil, "tiers")
            guard let size = config.packageSize else { throw .invalid("packageSize", "is required by the package model") }
            return try .package(size: size, price: rate(config.packagePrice, "packagePrice"))
        case nil:
            throw .invalid("model", "'\(kind)' is not standard, graduated, volume or package")
        }
    }

    public var config: UnitPriceConfig {
        UnitPriceConfig(
            unit: unit.name, dimension: dimension.map { [$0.key: $0.value] },
            model: model.kind == .standard ? nil : model.kind.rawValue, rate: model.rate?.decimalString,
            tiers: model.tiers.isEmpty
                ? nil
                : model.tiers.map {
                    PriceTierConfig(upTo: $0.upTo, rate: $0.rate.decimalString, flatFee: $0.flatFee?.decimalString)
                },
            packageSize: model.packageSize, packagePrice: model.packagePrice?.decimalString,
            freeUnits: freeUnits == 0 ? nil : freeUnits, minimum: minimum?.decimalString)
    }
}

extension RateOverride {
    /// Builds an override from its management-API form; `decimals` are the asset's, for an absolute `price`.
    public init(config: RateOverrideConfig, decimals: Int) throws(PricingError) {
        let unit = try config.unit.map { name throws(PricingError) in
            try PricingError.naming("unit") { try PricingUnit(name: name) }
        }
        let adjustment: Adjustment
        switch (config.multiplier, config.price) {
        case (let text?, nil):
            adjustment = .multiplier(try PricingError.naming("multiplier") { try Multiplier(parsing: text) })
        case (nil, let text?):
            adjustment = .price(try PricingError.naming("price") { try Rate(parsing: text, decimals: decimals) })
        default:
            throw .invalid("multiplier", "give exactly one of multiplier and price")
        }
        try self.init(
            id: config.id, service: config.service, route: config.route, unit: unit, adjustment: adjustment,
            notBefore: config.notBeforeMilliseconds.map(UnixTime.init(milliseconds:)),
            notAfter: config.notAfterMilliseconds.map(UnixTime.init(milliseconds:)))
    }

    public var config: RateOverrideConfig {
        var config = RateOverrideConfig(
            id: id, service: service, route: route, unit: unit?.name, notBeforeMilliseconds: notBefore?.milliseconds,
            notAfterMilliseconds: notAfter?.milliseconds)
        switch adjustment {
        case .multiplier(let multiplier): config.multiplier = multiplier.decimalString
        case .price(let rate): config.price = rate.decimalString
        }
        return config
    }
}
