import PBCore
import PBCrypto
import PBEVMRail
import PBTestSupport
import Testing

@testable import PBEVM

/// The client against a real chain (py-evm behind chain/pb_devchain.py), over a loopback socket.
@Suite struct EthereumRPCClientTests {
    static let chainId: UInt64 = 31337
    let sender = PrivateKey.random()

    /// A transaction from `sender` with its next nonce and fees the chain accepts.
    func transaction(_ client: EthereumRPCClient, to: EthereumAddress?, value: UInt128 = 0, data: [UInt8] = [],
                     chainId: UInt64 = chainId) async throws -> EIP1559Transaction {
        let tip = try await client.maxPriorityFeePerGas()
        let baseFee = try await client.latestBaseFeePerGas()
        return EIP1559Transaction(
            chainId: chainId, nonce: try await client.transactionCount(of: sender.address), maxPriorityFeePerGas: tip,
            maxFeePerGas: baseFee * 2 + tip, gasLimit: 200_000, to: to, value: value, data: data)
    }

    @Test func aTransferMovesExactlyTheValueAndTheFee() async throws {
        let chain = try await DevChain(repositoryRoot: RepositoryFiles.root, funded: [sender.address])
        let client = EthereumRPCClient(url: chain.url)
        #expect(try await client.chainId() == Self.chainId)
        let recipient = PrivateKey.random().address
        let before = try await client.balance(of: sender.address)
        let signed = try await transaction(client, to: recipient, value: 1_000_000_000_000_000_000).signed(with: sender)
        let hash = try await client.sendRawTransaction(signed)
        #expect(hash == signed.hash)
        let receipt = try await client.waitForReceipt(hash, pollIntervalMilliseconds: 20, timeoutSeconds: 30)
        #expect(receipt.succeeded)
        #expect(receipt.gasUsed == 21_000)
        #expect(try await client.balance(of: recipient) == 1_000_000_000_000_000_000)
        let fee = UInt128(receipt.gasUsed) * receipt.effectiveGasPrice
        #expect(try await client.balance(of: sender.address) == before - 1_000_000_000_000_000_000 - fee)
        #expect(try await client.transactionCount(of: sender.address) == 1)
    }

    @Test func aDeployedContractSeesThisChainsId() async throws {
        let chain = try await DevChain(repositoryRoot: RepositoryFiles.root, funded: [sender.address])
        let client = EthereumRPCClient(url: chain.url)
        // Init code deploying a runtime that returns CHAINID (what EIP-712 domains checked on chain rely on).
        let initCode = try Hex.decode("0x66465f5260205ff35f5260076019f3")
        let gas = try await client.estimateGas(from: sender.address, to: nil, data: initCode)
        #expect(gas > 21_000 && gas < 200_000)
        let signed = try await transaction(client, to: nil, data: initCode).signed(with: sender)
        let receipt = try await client.waitForReceipt(
            try await client.sendRawTransaction(signed), pollIntervalMilliseconds: 20, timeoutSeconds: 30)
        let contract = try #require(receipt.contractAddress)
        let output = try await client.call(to: contract, data: [])
        #expect(output == [UInt8](repeating: 0, count: 30) + [0x7a, 0x69])
    }

    @Test func aSignatureForAnotherChainIsRefusedAndNothingIsSpent() async throws {
        let chain = try await DevChain(repositoryRoot: RepositoryFiles.root, funded: [sender.address])
        let client = EthereumRPCClient(url: chain.url)
        let before = try await client.balance(of: sender.address)
        let signed = try await transaction(client, to: PrivateKey.random().address, value: 1, chainId: 1)
            .signed(with: sender)
        let error = await #expect(throws: EthereumRPCError.self) { _ = try await client.sendRawTransaction(signed) }
        guard case .node(let code, let message) = error?.kind else {
            Issue.record("expected a node error, got \(String(describing: error))")
            return
        }
        #expect(code == -32000)
        #expect(message.contains("invalid chain id 1"))
        #expect(try await client.balance(of: sender.address) == before)
        #expect(try await client.transactionCount(of: sender.address) == 0)
    }

    @Test func revertsCarryTheirReasonAndMinedRevertsReportFailure() async throws {
        let chain = try await DevChain(repositoryRoot: RepositoryFiles.root, funded: [sender.address])
        let client = EthereumRPCClient(url: chain.url)
        let reverting = Self.revertingCode(reason: "settlement paused")
        let callObject = EthereumRPCClient.callObject(from: sender.address, to: nil, data: reverting, value: 0)
        let error = await #expect(throws: EthereumRPCError.self) {
            _ = try await client.call("eth_call", [callObject, .string("latest")])
        }
        guard case .reverted(let reason, let data) = error?.kind else {
            Issue.record("expected a revert, got \(String(describing: error))")
            return
        }
        #expect(reason == "settlement paused")
        #expect(EthereumRPCError.revertReason(data) == "settlement paused", "the raw Error(string) data is kept")
        let signed = try await transaction(client, to: nil, data: reverting).signed(with: sender)
        let receipt = try await client.waitForReceipt(
            try await client.sendRawTransaction(signed), pollIntervalMilliseconds: 20, timeoutSeconds: 30)
        #expect(!receipt.succeeded)
    }

    @Test func noAnswerIsATransportErrorAfterTheRetries() async throws {
        // A port nobody listens on: the OS gives it and it is closed again at once.
        let client = EthereumRPCClient(url: "http://127.0.0.1:9", timeoutSeconds: 2, maximumAttempts: 2)
        let error = await #expect(throws: EthereumRPCError.self) { _ = try await client.chainId() }
        guard case .transport = error?.kind else {
            Issue.record("expected a transport error, got \(String(describing: error))")
            return
        }
    }

    @Test func anUnknownTransactionTimesOutWaiting() async throws {
        let chain = try await DevChain(repositoryRoot: RepositoryFiles.root, funded: [])
        let client = EthereumRPCClient(url: chain.url)
        let error = await #expect(throws: EthereumRPCError.self) {
            _ = try await client.waitForReceipt(Bytes32.random(), pollIntervalMilliseconds: 50, timeoutSeconds: 1)
        }
        #expect(error?.kind == .receiptTimeout)
    }

    /// Init code that reverts with Error(string) `reason` (written to memory word by word, then REVERT).
    static func revertingCode(reason: String) -> [UInt8] {
        let text = Array(reason.utf8)
        var payload: [UInt8] = [0x08, 0xc3, 0x79, 0xa0] + word(32) + word(UInt64(text.count)) + text
        payload += [UInt8](repeating: 0, count: (32 - text.count % 32) % 32)
        let size = payload.count
        payload += [UInt8](repeating: 0, count: (32 - payload.count % 32) % 32)
        var code: [UInt8] = []
        for offset in stride(from: 0, to: payload.count, by: 32) {
            code += [0x7f] + payload[offset..<offset + 32] + [0x60, UInt8(offset), 0x52]
        }
        return code + [0x60, UInt8(size), 0x5f, 0xfd]
    }

    static func word(_ value: UInt64) -> [UInt8] {
        [UInt8](repeating: 0, count: 24) + (0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}
