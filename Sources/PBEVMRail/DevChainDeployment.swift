import Foundation
import PBCore
import PBCrypto
import PBEVM
import PBProtocol

/// The test token and the SessionKeyValidator deployed on a local chain (chain/pb_devchain.py), and the owner and
/// payee steps around them: what the EVM rail's tests use, and what `pb demo chatbot --rail evm` needs.
///
/// Contracts are compiled by the pinned `vyper` (spec/tools/requirements.txt) from the repository's `contracts/`.
/// Every transaction is waited for and must succeed; this is a development tool, not the settlement path.
public struct DevChainDeployment: Sendable {
    public let client: EthereumRPCClient
    public let token: EthereumAddress
    public let escrow: EthereumAddress
    public let chainId: UInt64

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Compiles and deploys `contracts/test/TestUSDC.vy` (minter: `deployer`) and `contracts/SessionKeyValidator.vy`
    /// with `settlementPeriodSeconds` (3,600...365 days) from the repository at `repositoryRoot`.
    public static func deploy(
        client: EthereumRPCClient, deployer: PrivateKey, repositoryRoot: URL, settlementPeriodSeconds: UInt64 = 3_600
    ) async throws -> DevChainDeployment {
        let tokenCode = try compileVyper(repositoryRoot.appendingPathComponent("contracts/test/TestUSDC.vy"))
        let escrowCode = try compileVyper(repositoryRoot.appendingPathComponent("contracts/SessionKeyValidator.vy"))
            + (try ABI.encode([.uint(UInt128(settlementPeriodSeconds))], as: [.uint(bits: 256)]))
        let token = try await send(client, from: deployer, to: nil, data: tokenCode).contractAddress
        let escrow = try await send(client, from: deployer, to: nil, data: escrowCode).contractAddress
        guard let token, let escrow else { throw Failure(description: "a deployment returned no contract address") }
        return DevChainDeployment(client: client, token: token, escrow: escrow, chainId: try await client.chainId())
    }

    /// `vyper -f bytecode <file>`: init code, constructor arguments to be appended.
    public static func compileVyper(_ file: URL) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["vyper", "-f", "bytecode", file.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure(description: "vyper failed on \(file.path)") }
        return try Hex.decode(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Sends `data` to `to` (nil: deploys) from `key` with its next nonce, waits for the receipt, requires success.
    @discardableResult
    public static func send(_ client: EthereumRPCClient, from key: PrivateKey, to: EthereumAddress?, data: [UInt8])
        async throws -> TransactionReceipt
    {
        let estimate = try await client.estimateGas(from: key.address, to: to, data: data)
        let tip = try await client.maxPriorityFeePerGas()
        let transaction = EIP1559Transaction(
            chainId: try await client.chainId(), nonce: try await client.transactionCount(of: key.address),
            maxPriorityFeePerGas: tip, maxFeePerGas: try await client.latestBaseFeePerGas() * 2 + tip,
            gasLimit: estimate + estimate / 5, to: to, data: data)
        let receipt = try await client.waitForReceipt(
            try await client.sendRawTransaction(transaction.signed(with: key)), pollIntervalMilliseconds: 20,
            timeoutSeconds: 120)
        guard receipt.succeeded else {
            throw Failure(description: "transaction to \(to.map(\.description) ?? "a new contract") reverted")
        }
        return receipt
    }

    /// The owner mints `amount` of the test token to itself, approves the escrow and deposits it.
    public func fundEscrow(owner: PrivateKey, amount: UInt128) async throws {
        let amountValue: (ABI.ValueType, ABI.Value) = (.uint(bits: 256), .uint(amount))
        try await Self.send(client, from: owner, to: token, data: try ABI.callData("mint", [(.address, .address(owner.address)), amountValue]))
        try await Self.send(client, from: owner, to: token, data: try ABI.callData("approve", [(.address, .address(escrow)), amountValue]))
        try await Self.send(client, from: owner, to: escrow, data: try ABI.callData("deposit", [(.address, .address(token)), amountValue]))
    }

    /// The owner registers its grant on chain (`createSessionKey`) and reserves the grant's whole limit from its
    /// escrow (`reserveGrant`). Returns the gas of the two transactions.
    @discardableResult
    public func registerAndReserve(_ grant: SignedSessionGrant, owner: PrivateKey) async throws -> (register: UInt64, reserve: UInt64) {
        let register = try await Self.send(client, from: owner, to: escrow, data: try SessionKeyValidatorABI.createSessionKey(grant.message))
        let reserve = try await Self.send(client, from: owner, to: escrow, data: try SessionKeyValidatorABI.reserveGrant(grant.digest))
        return (register.gasUsed, reserve.gasUsed)
    }

    /// What a reserved grant still holds for its payees.
    public func reservedAmount(_ grantId: Bytes32) async throws -> UInt128 {
        let output = try await client.call(to: escrow, data: try SessionKeyValidatorABI.reservedAmount(grantId))
        guard output.count == 32, let amount = SessionKeyValidatorABI.uint128(word: output[0..<32]) else {
            throw Failure(description: "reservedAmount answered \(output.count) bytes")
        }
        return amount
    }

    /// The test token's `mint`, sent by `minter`.
    public func mint(_ amount: UInt128, to holder: EthereumAddress, by minter: PrivateKey) async throws {
        try await Self.send(
            client, from: minter, to: token,
            data: try ABI.callData("mint", [(.address, .address(holder)), (.uint(bits: 256), .uint(amount))]))
    }

    /// One x402 `exact` payment on this chain: `holder` signs an EIP-3009 `transferWithAuthorization` of `amount` to
    /// `payee` and `relayer` (the facilitator) submits it. Returns its gas, the baseline settlements are compared to.
    public func exactPaymentGas(
        from holder: PrivateKey, to payee: EthereumAddress, amount: UInt128, relayer: PrivateKey, validBefore: UInt64
    ) async throws -> UInt64 {
        let word: ABI.ValueType = .uint(bits: 256), hash: ABI.ValueType = .fixedBytes(count: 32)
        let domainSeparator = Keccak256.hash(try ABI.encode(
            [
                .fixedBytes(Keccak256.hash(Array("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)".utf8))),
                .fixedBytes(Keccak256.hash(Array("USDC".utf8))), .fixedBytes(Keccak256.hash(Array("2".utf8))),
                .uint(UInt128(chainId)), .address(token),
            ],
            as: [hash, hash, hash, word, .address]))
        let nonce = Bytes32.random().bytes
        let structHash = Keccak256.hash(try ABI.encode(
            [
                .fixedBytes(Keccak256.hash(Array(
                    "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)".utf8))),
                .address(holder.address), .address(payee), .uint(amount), .uint(0), .uint(UInt128(validBefore)),
                .fixedBytes(nonce),
            ],
            as: [hash, .address, .address, word, word, word, hash]))
        let signature = try holder.sign(digest: Keccak256.hash([0x19, 0x01] + domainSeparator + structHash)).bytes
        let callData = try ABI.callData("transferWithAuthorization", [
            (.address, .address(holder.address)), (.address, .address(payee)), (word, .uint(amount)), (word, .uint(0)),
            (word, .uint(UInt128(validBefore))), (hash, .fixedBytes(nonce)),
            (.uint(bits: 8), .uint(UInt128(signature[64] < 27 ? signature[64] + 27 : signature[64]))),
            (hash, .fixedBytes(Array(signature[0..<32]))), (hash, .fixedBytes(Array(signature[32..<64]))),
        ])
        return try await Self.send(client, from: relayer, to: token, data: callData).gasUsed
    }

    /// The payee lets `settler` (the gateway's settlement key) submit its claims.
    public func allowSettler(payee: PrivateKey, settler: EthereumAddress) async throws {
        try await Self.send(client, from: payee, to: escrow, data: try SessionKeyValidatorABI.setSettler(settler, enabled: true))
    }

    public func tokenBalance(of holder: EthereumAddress) async throws -> UInt128 {
        let output = try await client.call(to: token, data: try ABI.callData("balanceOf", [(.address, .address(holder))]))
        guard output.count == 32, let balance = SessionKeyValidatorABI.uint128(word: output[0..<32]) else {
            throw Failure(description: "balanceOf answered \(output.count) bytes")
        }
        return balance
    }
}
