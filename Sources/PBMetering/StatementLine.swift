import PBCore
import PBPricing

/// One line of a session's statement: every charge line of the same rule (unit, kind, dimension, rate,
/// multiplier, tier, peak window, override) added up. A rental that ran 1 h off-peak and 2.5 h in the evening
/// window has two lines, whatever number of intervals it was charged in, and the lines' exact amounts add up to
/// the session's exact total.
public struct StatementLine: Hashable, Sendable {
    /// What makes two charge lines the same rule: the line's own values, compared without formatting any of them
    /// (formatting rates as text on every merge cost most of an event's recording time).
    struct Key: Hashable {
        let unit: PricingUnit
        let kind: ChargeLine.Kind
        let dimension: DimensionValue?
        let rate: Rate?
        let multiplier: Multiplier
        let tier: Int?
        let peakWindow: String?
        let overrideId: String?

        init(_ line: ChargeLine) {
            unit = line.unit
            kind = line.kind
            dimension = line.dimension
            rate = line.rate
            multiplier = line.multiplier
            tier = line.tier
            peakWindow = line.peakWindow
            overrideId = line.overrideId
        }

        init(
            unit: PricingUnit, kind: ChargeLine.Kind, dimension: DimensionValue?, rate: Rate?, multiplier: Multiplier,
            tier: Int?, peakWindow: String?, overrideId: String?
        ) {
            self.unit = unit
            self.kind = kind
            self.dimension = dimension
            self.rate = rate
            self.multiplier = multiplier
            self.tier = tier
            self.peakWindow = peakWindow
            self.overrideId = overrideId
        }
    }

    let key: Key
    /// What the rate multiplies, summed (metered units, packages, 1 per fee or minimum).
    public private(set) var quantity: UInt64
    /// Metered usage covered: counts, or milliseconds for time units.
    public private(set) var meteredQuantity: UInt64
    public private(set) var exactAmount: ExactAmount

    public var unit: String { key.unit.name }
    public var kind: String { key.kind.rawValue }
    /// `gpu=H100` for a per-dimension price.
    public var dimension: String? { key.dimension?.description }
    /// Decimal per configured unit; nil for a minimum line.
    public var rate: String? { key.rate?.decimalString }
    public var multiplier: String { key.multiplier.decimalString }
    public var tier: Int? { key.tier }
    public var peakWindow: String? { key.peakWindow }
    public var overrideId: String? { key.overrideId }

    init(_ line: ChargeLine) {
        key = Key(line)
        quantity = line.quantity
        meteredQuantity = line.meteredQuantity
        exactAmount = line.exactAmount
    }

    /// Every field as stored (the strings as the accessors write them); throws for a value no line could have.
    public init(
        unit: String, kind: String, dimension: String?, rate: String?, multiplier: String, tier: Int?,
        peakWindow: String?, overrideId: String?, quantity: UInt64, meteredQuantity: UInt64, exactAmount: ExactAmount
    ) throws(MeteringError) {
        guard let lineKind = ChargeLine.Kind(rawValue: kind) else { throw .invalid("kind", "'\(kind)' is not a line kind") }
        let pair = dimension?.split(separator: "=", maxSplits: 1).map(String.init)
        if let pair, pair.count != 2 { throw .invalid("dimension", "'\(dimension ?? "")' is not key=value") }
        var parsedRate: Rate?
        if let rate {
            do { parsedRate = try Rate(parsing: rate, decimals: exactAmount.decimals) } catch { throw .invalid("rate", "\(error)") }
        }
        do throws(PricingError) {
            key = Key(
                unit: try PricingUnit(name: unit), kind: lineKind,
                dimension: try pair.map { (pair) throws(PricingError) in try DimensionValue(key: pair[0], value: pair[1]) },
                rate: parsedRate, multiplier: try Multiplier(parsing: multiplier), tier: tier, peakWindow: peakWindow,
                overrideId: overrideId)
        } catch { throw .invalid("statement line", error.description) }
        self.quantity = quantity
        self.meteredQuantity = meteredQuantity
        self.exactAmount = exactAmount
    }

    mutating func add(_ line: ChargeLine) throws(MeteringError) {
        let (newQuantity, quantityOverflow) = quantity.addingReportingOverflow(line.quantity)
        let (newMetered, meteredOverflow) = meteredQuantity.addingReportingOverflow(line.meteredQuantity)
        guard !quantityOverflow, !meteredOverflow else { throw .overflow }
        do { exactAmount = try exactAmount.adding(line.exactAmount) } catch { throw .overflow }
        quantity = newQuantity
        meteredQuantity = newMetered
    }
}
