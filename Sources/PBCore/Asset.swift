/// A fungible token as money code needs it: a display symbol and how many decimal places one whole token has.
///
/// `decimals` is limited to `0...36` so that `10^decimals` (one whole token in base units) fits in `UInt128`.
public struct Asset: Hashable, Sendable, Codable, CustomStringConvertible {
    public static let decimalsRange = 0...36

    /// Display symbol such as `USDC`; 1...16 ASCII letters or digits.
    public let symbol: String
    /// Base units per whole token are `10^decimals`.
    public let decimals: Int

    /// USD Coin: 6 decimals, so one base unit is 0.000001 USDC.
    public static let usdc = Asset(uncheckedSymbol: "USDC", decimals: 6)
    /// Ether: 18 decimals (one base unit is one wei).
    public static let eth = Asset(uncheckedSymbol: "ETH", decimals: 18)

    public init(symbol: String, decimals: Int) throws(MoneyError) {
        guard Self.decimalsRange.contains(decimals) else { throw .decimalsOutOfRange(decimals) }
        guard (1...16).contains(symbol.utf8.count),
            symbol.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
        else { throw .invalidSymbol(symbol) }
        self.init(uncheckedSymbol: symbol, decimals: decimals)
    }

    private init(uncheckedSymbol symbol: String, decimals: Int) {
        self.symbol = symbol
        self.decimals = decimals
    }

    private enum CodingKeys: String, CodingKey { case symbol, decimals }

    /// Decoding validates like `init(symbol:decimals:)`: stored data is input too.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            symbol: container.decode(String.self, forKey: .symbol),
            decimals: container.decode(Int.self, forKey: .decimals)
        )
    }

    public var description: String { "\(symbol) (\(decimals) decimals)" }

    /// Parses a decimal string such as `"0.01"` into an amount of this asset.
    public func amount(_ text: String) throws(MoneyError) -> Amount { try Amount(parsing: text, asset: self) }

    /// Parses a per-unit price such as `"0.00000015"` for this asset.
    public func rate(_ text: String) throws(MoneyError) -> Rate { try Rate(parsing: text, asset: self) }
}
