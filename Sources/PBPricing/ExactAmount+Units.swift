/// Reading an exact amount back from its count of exact units (`unitsString`), for stores that persist statements
/// and carried remainders as decimal text.
extension ExactAmount {
    /// Parses the decimal digits of a count of exact units, as `unitsString` writes them; throws `invalidUsage` for
    /// anything else and `overflow` above 256 bits.
    public init(parsingUnits text: String, decimals: Int) throws(PricingError) {
        guard !text.isEmpty, text.utf8.count <= 78, text.utf8.allSatisfy({ (48...57).contains($0) }) else {
            throw .invalidUsage("'\(text.prefix(80))' is not a count of exact units")
        }
        var value = ExactAmount.zero(decimals: decimals)
        for digit in text.utf8 {
            value = try value.multiplied(by: 10).adding(ExactAmount(high: 0, low: UInt128(digit - 48), decimals: decimals))
        }
        self = value
    }
}
