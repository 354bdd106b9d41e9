import PBCore
import PBPricing

/// One line of a session's statement: every charge line of the same rule (unit, kind, dimension, rate,
/// multiplier, tier, peak window, override) added up. A rental that ran 1 h off-peak and 2.5 h in the evening
/// window has two lines, whatever number of intervals it was charged in, and the lines' exact amounts add up to
/// the session's exact total.
public struct StatementLine: Hashable, Sendable {
    /// What makes two charge lines the same rule.
    struct Key: Hashable {
        let unit: String
        let kind: String
        let dimension: String?
        let rate: String?
        let multiplier: String
        let tier: Int?
        let peakWindow: String?
        let overrideId: String?

        init(_ line: ChargeLine) {
            unit = line.unit.name
            kind = line.kind.rawValue
            dimension = line.dimension.map { "\($0.key)=\($0.value)" }
            rate = line.rate?.decimalString
            multiplier = line.multiplier.decimalString
            tier = line.tier
            peakWindow = line.peakWindow
            overrideId = line.overrideId
        }

        init(
            unit: String, kind: String, dimension: String?, rate: String?, multiplier: String, tier: Int?,
            peakWindow: String?, overrideId: String?
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

    public var unit: String { key.unit }
    public var kind: String { key.kind }
    /// `gpu=H100` for a per-dimension price.
    public var dimension: String? { key.dimension }
    /// Decimal per configured unit; nil for a minimum line.
    public var rate: String? { key.rate }
    public var multiplier: String { key.multiplier }
    public var tier: Int? { key.tier }
    public var peakWindow: String? { key.peakWindow }
    public var overrideId: String? { key.overrideId }

    init(_ line: ChargeLine) {
        key = Key(line)
        quantity = line.quantity
        meteredQuantity = line.meteredQuantity
        exactAmount = line.exactAmount
    }

    /// Every field as stored.
    public init(
        unit: String, kind: String, dimension: String?, rate: String?, multiplier: String, tier: Int?,
        peakWindow: String?, overrideId: String?, quantity: UInt64, meteredQuantity: UInt64, exactAmount: ExactAmount
    ) {
        key = Key(
            unit: unit, kind: kind, dimension: dimension, rate: rate, multiplier: multiplier, tier: tier,
            peakWindow: peakWindow, overrideId: overrideId)
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
