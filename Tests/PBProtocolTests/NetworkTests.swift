import PBProtocol
import Testing

@Suite("Network: CAIP-2 and v1 legacy names")
struct NetworkTests {
    @Test(
        "v1 names map to the CAIP-2 ids the Python package uses",
        arguments: [
            ("base", "eip155:8453"), ("base-sepolia", "eip155:84532"), ("ethereum", "eip155:1"),
            ("polygon-amoy", "eip155:80002"), ("skale-base-sepolia", "eip155:1444673419"),
            ("solana", "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"),
            ("solana-devnet", "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1"),
        ])
    func legacyNames(name: String, caip2: String) {
        #expect(Network.fromV1Name(name)?.rawValue == caip2)
        #expect(Network(rawValue: caip2).v1Name == name)
        #expect(Network(rawValue: name).normalizedCAIP2?.rawValue == caip2)
    }

    @Test func unknownLegacyNameHasNoMapping() {
        #expect(Network.fromV1Name("base-mainnet") == nil)
        #expect(Network(rawValue: "base-mainnet").normalizedCAIP2 == nil)
    }

    @Test(
        "valid CAIP-2 ids parse",
        arguments: ["eip155:8453", "eip155:1", "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1", "tvm:-239", "cosmos:x_y-z"])
    func validCAIP2(id: String) throws {
        let network = try Network(caip2: id)
        #expect(network.isCAIP2)
        #expect(network.namespace.map { "\($0):\(network.reference ?? "")" } == id)
    }

    @Test(
        "invalid CAIP-2 ids are rejected",
        arguments: [
            "", "base-sepolia", "eip155", "eip155:", ":8453", "ei:1", "toolongnamespace:1", "EIP155:1",
            "eip155:*", "eip155:1:2", "eip155:" + String(repeating: "1", count: 33),
        ])
    func invalidCAIP2(id: String) {
        #expect(throws: Network.ParseError.self) { try Network(caip2: id) }
        #expect(!Network(rawValue: id).isCAIP2)
    }

    @Test func evmChainID() {
        #expect(Network.eip155(chainID: 84532).evmChainID == 84532)
        #expect(Network(rawValue: "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1").evmChainID == nil)
        #expect(Network(rawValue: "base").evmChainID == nil)
    }

    @Test func familyPatterns() {
        let base: Network = "eip155:8453"
        #expect(base.matches(pattern: "eip155:*"))
        #expect(base.matches(pattern: "eip155:8453"))
        #expect(!base.matches(pattern: "eip155:84532"))
        #expect(!base.matches(pattern: "solana:*"))
    }
}
