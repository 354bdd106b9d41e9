import PBCore
import PBPricing

/// Why a usage report was refused: which key or value is wrong. Nothing is captured from a refused report.
public struct UsageReportError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The offending key (`output_tokens`), or empty for the report as a whole.
    public let field: String
    public let message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// The usage an upstream (the `PB-Usage` response header) or a merchant (the capture API) reports for a held
/// payment: metered quantities by unit.
///
/// Keys are unit names (`input_token`, `second`, `custom:frame`), and the built-in ones may be plural
/// (`input_tokens`, `seconds`). Values are whole numbers without sign, exponent or leading zeros; a time unit's
/// value is in its unit (`seconds=90`) or, with an `ms` suffix, in milliseconds (`seconds=1500ms`). A key may
/// appear once.
public struct ReportedUsage: Hashable, Sendable {
    /// Metered quantities: counts, or milliseconds for time units.
    public let quantities: [PricingUnit: UInt64]

    public init(_ quantities: [PricingUnit: UInt64]) {
        self.quantities = quantities
    }

    /// The header's name.
    public static let headerName = "PB-Usage"
    /// Longer reports are refused: a usage header names a handful of units.
    public static let maximumHeaderBytes = 1_024

    /// Parses `input_tokens=1234;output_tokens=567` (spaces around `;` and `=` are allowed).
    public init(header: String) throws(UsageReportError) {
        guard header.utf8.count <= Self.maximumHeaderBytes else {
            throw UsageReportError(field: "", "is longer than \(Self.maximumHeaderBytes) bytes")
        }
        var quantities: [PricingUnit: UInt64] = [:]
        for item in header.split(separator: ";", omittingEmptySubsequences: false) {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(pair[0]).trimmingSpaces
            guard pair.count == 2, !key.isEmpty else {
                throw UsageReportError(field: key, "expected key=value pairs separated by ';', such as input_tokens=1234")
            }
            try Self.add(key: key, value: String(pair[1]).trimmingSpaces, to: &quantities)
        }
        self.init(quantities)
    }

    /// Reads the capture API's `usage` object, `{"input_tokens": "1234", "output_tokens": 567}`; values are decimal
    /// strings or whole JSON numbers. Errors name the field under `path`.
    public init(json: JSONValue, path: String = "usage") throws(UsageReportError) {
        guard let members = json.objectMembers, !members.isEmpty else {
            throw UsageReportError(field: path, "must be an object of unit: quantity, such as {\"input_tokens\": \"1234\"}")
        }
        var quantities: [PricingUnit: UInt64] = [:]
        for (key, value) in members {
            let text: String
            switch value {
            case .string(let string): text = string
            case .number(let literal): text = literal
            default: throw UsageReportError(field: "\(path).\(key)", "must be a whole number")
            }
            do { try Self.add(key: key, value: text, to: &quantities) } catch {
                throw UsageReportError(field: "\(path).\(error.field)", error.message)
            }
        }
        self.init(quantities)
    }

    /// The unit a report or a hold names: a unit's name, or the plural of a built-in one.
    public static func unit(named key: String) throws(UsageReportError) -> PricingUnit {
        if let unit = try? PricingUnit(name: key) { return unit }
        if key.hasSuffix("s"), !key.hasPrefix(PricingUnit.customPrefix), let unit = try? PricingUnit(name: String(key.dropLast())) {
            return unit
        }
        throw UsageReportError(field: key, "is not a unit (input_tokens, output_tokens, calls, seconds, bytes, custom:NAME, …)")
    }

    private static func add(key: String, value: String, to quantities: inout [PricingUnit: UInt64]) throws(UsageReportError) {
        let unit = try unit(named: key)
        guard quantities[unit] == nil else { throw UsageReportError(field: key, "appears twice") }
        quantities[unit] = try quantity(value, of: unit, field: key)
    }

    /// A whole number, in milliseconds with an `ms` suffix for time units.
    static func quantity(_ text: String, of unit: PricingUnit, field: String) throws(UsageReportError) -> UInt64 {
        var digits = Substring(text)
        let inMilliseconds = unit.isTime && digits.hasSuffix("ms")
        if inMilliseconds { digits = digits.dropLast(2) }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (48...57).contains($0) }), digits == "0" || !digits.hasPrefix("0"),
            let value = UInt64(digits)
        else {
            throw UsageReportError(
                field: field, "'\(text.prefix(40))' is not a whole number\(unit.isTime ? " (or milliseconds with 'ms')" : "")")
        }
        guard !inMilliseconds, let perUnit = unit.millisecondsPerUnit else { return value }
        let (metered, overflow) = value.multipliedReportingOverflow(by: perUnit)
        guard !overflow else { throw UsageReportError(field: field, "'\(text.prefix(40))' is too large") }
        return metered
    }

    /// Unit name to quantity, the form holds and captures are stored in.
    public var byName: [String: UInt64] {
        Dictionary(uniqueKeysWithValues: quantities.map { ($0.key.name, $0.value) })
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
