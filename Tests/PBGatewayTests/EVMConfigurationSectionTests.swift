import PBEVMRail
import Testing

@testable import PBGateway

/// The `evm:` section of pb.yaml: read into the EVM rail's configuration, errors naming `evm.<field>`.
@Suite struct EVMConfigurationSectionTests {
    static let section = """
        evm:
          chainId: 31337
          rpcUrl: https://node.example/v3/secret-api-key
          contract: "0x1111111111111111111111111111111111111111"
          token: "0x2222222222222222222222222222222222222222"
          signerKeyFile: /etc/pb/settlement.key
          confirmations: 3
          maxGasPerSettlement: 2000000
          maxFeePerGasWei: "100000000000"
        """

    @Test func theSectionIsReadExactly() throws {
        let evm = try #require(try GatewayConfiguration(yaml: Self.section).evm)
        #expect(evm.chainId == 31337)
        #expect(evm.contract.lowercased == "0x1111111111111111111111111111111111111111")
        #expect(evm.confirmations == 3)
        #expect(evm.maximumGasPerSettlement == 2_000_000)
        #expect(evm.maximumFeePerGasWei == 100_000_000_000)
        #expect(evm.maximumPriorityFeePerGasWei == 5_000_000_000)
        #expect(!evm.description.contains("secret-api-key"), "an RPC URL's path may hold an API key")
        #expect(try GatewayConfiguration(yaml: "chainId: 1").evm == nil)
    }

    @Test(arguments: [
        ("contract: \"0x1111111111111111111111111111111111111111\"", "contract: nope", "evm.contract"),
        ("rpcUrl: https://node.example/v3/secret-api-key", "rpcUrl: ftp://node", "evm.rpcUrl"),
        ("confirmations: 3", "confirmations: 0", "evm.confirmations"),
        ("confirmations: 3", "confirmation: 3", "evm.confirmation"),
        ("  signerKeyFile: /etc/pb/settlement.key\n", "", "evm.signerKeyFile"),
        ("maxFeePerGasWei: \"100000000000\"", "maxFeePerGasWei: \"1\"", "evm.maxPriorityFeePerGasWei"),
    ])
    func aBadValueIsRefusedNamingItsField(original: String, replacement: String, field: String) {
        #expect {
            _ = try GatewayConfiguration(yaml: Self.section.replacingOccurrences(of: original, with: replacement))
        } throws: { error in
            (error as? GatewayConfigurationError)?.field == field
        }
    }
}
