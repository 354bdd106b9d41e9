import PBCore
import PBCrypto
import PBEVM
import PBProtocol
import PBSettlement
import PBStore

/// Settlement on an EVM chain through the SessionKeyValidator contract (docs/CONTRACTS.md, "The EVM rail").
///
/// - `prepare` registers, in transactions of their own, the grants the contract does not know yet (they move no
///   money; waited for, so that the settlement's gas estimate sees them), then builds one `validateAndRecord` call
///   for the whole batch (`validateAndRecordOne` for a lone claim), estimates its gas (refused above `maxGasPerSettlement`), prices it (`EVMFeePolicy`),
///   assigns the nonce and signs it. The signed bytes are stored under "settle:<batch id>" before they are
///   returned: preparing the same batch again returns the same transaction.
/// - `broadcast` sends those bytes (after any stored lower nonce the node lacks); "already known" or a receipt is
///   success, so resending is harmless, and the contract pays each channel at most up to its voucher once.
/// - `status` reads the receipt once it is `confirmations` deep and returns, per claim, the channel's settled total
///   from the contract's `VoucherSettled` events (and, for skipped claims, its `settledAmount`).
///
/// The signer must be the payee's settler on the contract (`setSettler`), or the payee itself.
public final class EVMSettlementRail: SettlementRail {
    public let name = "evm"
    public let maximumClaimsPerBatch = 128
    public let configuration: EVMRailConfiguration
    public var signerAddress: EthereumAddress { allocator.signer.address }
    private let client: EthereumRPCClient
    private let allocator: EVMNonceAllocator
    private let feePolicy: EVMFeePolicy
    private let gate = SerialGate()
    /// How long `prepare` waits for a grant registration to be mined.
    static let registrationTimeoutSeconds: Int64 = 120

    /// `signer` comes from `configuration.loadSigner()` (a key file only its owner can read).
    public init(
        configuration: EVMRailConfiguration, signer: PrivateKey, store: any EVMTransactionStore,
        client: EthereumRPCClient? = nil, clock: any WallClock = SystemWallClock()
    ) {
        self.configuration = configuration
        let client = client ?? EthereumRPCClient(url: configuration.rpcURL, timeoutSeconds: configuration.rpcTimeoutSeconds)
        self.client = client
        allocator = EVMNonceAllocator(chainId: configuration.chainId, signer: signer, client: client, store: store, clock: clock)
        feePolicy = EVMFeePolicy(
            maximumFeePerGasWei: configuration.maximumFeePerGasWei,
            maximumPriorityFeePerGasWei: configuration.maximumPriorityFeePerGasWei)
    }

    /// At start: checks the node serves the configured chain and resends stored transactions the node lacks, lowest
    /// nonce first (a restart after "signed, not sent" leaves no gap). Returns how many were resent.
    @discardableResult
    public func start() async throws(EVMRailError) -> Int {
        try await gate.run { () async throws(EVMRailError) in try await self.allocator.reconcile() }
    }

    // MARK: SettlementRail

    public func prepare(_ batch: SettlementBatch) async throws -> PreparedSettlement {
        try await gate.run { () async throws(EVMRailError) in try await self.prepareAlone(batch) }
    }

    public func broadcast(_ prepared: PreparedSettlement, of batch: SettlementBatch) async throws {
        try await gate.run { () async throws(EVMRailError) in
            guard let record = try await self.allocator.recorded(Self.purpose(batch)),
                record.transactionHash.hex == prepared.reference.lowercased()
            else {
                throw EVMRailError.broadcastRefused(
                    transactionHash: prepared.reference, message: "not prepared by this rail's store for batch \(batch.batchId)")
            }
            try await self.allocator.send(record)
        }
    }

    public func status(of prepared: PreparedSettlement, of batch: SettlementBatch) async throws -> SettlementStatus {
        let hash: Bytes32
        do { hash = try Bytes32(hex: prepared.reference) } catch {
            throw EVMRailError.malformedReceipt(transactionHash: prepared.reference, detail: "not a transaction hash")
        }
        guard let receipt = try await rpc({ try await $0.transactionReceipt(hash) }) else {
            // Not mined. If the key's mined nonce passed ours, another transaction took it: this one never will be.
            guard let record = try await allocator.recorded(Self.purpose(batch)) else { return .pending }
            let mined = try await rpc { try await $0.transactionCount(of: self.signerAddress, block: "latest") }
            if mined > record.nonce {
                return .failed(reason: EVMRailError.nonceConsumed(nonce: record.nonce, transactionHash: hash.hex).description)
            }
            return .pending
        }
        let head = try await rpc { try await $0.blockNumber() }
        guard head >= receipt.blockNumber, head - receipt.blockNumber + 1 >= configuration.confirmations else {
            return .pending
        }
        guard receipt.succeeded else {
            return .failed(
                reason: "settlement transaction \(hash.hex) reverted in block \(receipt.blockNumber) (gas used \(receipt.gasUsed)); nothing was paid")
        }
        return .confirmed(settledCumulativeAmounts: try await settledAmounts(receipt, batch: batch))
    }

    // MARK: Preparing

    static func purpose(_ batch: SettlementBatch) -> String { "settle:" + batch.batchId }

    /// The order claims are sent in: by (asset, payee), so the contract pays consecutive claims of one payee with one
    /// transfer; ties keep the batch's order. `status` maps the contract's per-claim events back through it.
    static func sendingOrder(_ batch: SettlementBatch) -> [Int] {
        batch.claims.indices.sorted { left, right in
            let a = batch.claims[left], b = batch.claims[right]
            if a.grant.message.asset != b.grant.message.asset {
                return a.grant.message.asset.bytes.lexicographicallyPrecedes(b.grant.message.asset.bytes)
            }
            if a.payee != b.payee { return a.payee.bytes.lexicographicallyPrecedes(b.payee.bytes) }
            return left < right
        }
    }

    private func prepareAlone(_ batch: SettlementBatch) async throws(EVMRailError) -> PreparedSettlement {
        guard batch.claims.count <= maximumClaimsPerBatch else {
            throw .batchTooLarge(claims: batch.claims.count, maximum: maximumClaimsPerBatch)
        }
        for (index, claim) in batch.claims.enumerated() where claim.grant.message.asset != configuration.token {
            throw .claimInOtherAsset(index: index, asset: claim.grant.message.asset, token: configuration.token)
        }
        let callData: [UInt8]
        // A batch's call through the batch entry: what a lone claim was sent as before validateAndRecordOne, so a
        // transaction stored by that version is still recognised as this batch's.
        let batchEntryCallData: [UInt8]
        do {
            let order = Self.sendingOrder(batch)
            batchEntryCallData = try SessionKeyValidatorABI.validateAndRecord(
                order.map { (batch.claims[$0].voucher, batch.claims[$0].chargedCumulativeAmount) })
            // A lone claim goes through the single-claim entry: the same checks and payout for ~8.7k gas less.
            callData = order.count == 1
                ? try SessionKeyValidatorABI.validateAndRecordOne(
                    batch.claims[order[0]].voucher, charged: batch.claims[order[0]].chargedCumulativeAmount)
                : batchEntryCallData
        } catch { throw .estimationReverted(reason: "cannot encode the batch: \(error)") }
        if let existing = try await allocator.recorded(Self.purpose(batch)) {
            guard existing.contentDigest == EVMNonceAllocator.contentDigest(callData)
                || existing.contentDigest == EVMNonceAllocator.contentDigest(batchEntryCallData)
            else {
                throw .batchReusedForOtherClaims(batchId: batch.batchId)
            }
            return Self.prepared(existing, batch: batch)
        }
        var registered: Set<Bytes32> = []
        for claim in batch.claims where registered.insert(claim.grantId).inserted {
            try await registerIfUnknown(claim.grant)
        }
        let transaction = try await priced(callData: callData)
        return Self.prepared(try await allocator.signAndRecord(transaction, purpose: Self.purpose(batch)), batch: batch)
    }

    private static func prepared(_ record: EVMTransactionRecord, batch: SettlementBatch) -> PreparedSettlement {
        PreparedSettlement(batchId: batch.batchId, reference: record.transactionHash.hex, payload: record.rawTransaction)
    }

    /// A transaction to the contract with gas estimated (capped) and fees from the policy; nonce and chain id are
    /// set when it is signed.
    private func priced(callData: [UInt8]) async throws(EVMRailError) -> EIP1559Transaction {
        let estimate: UInt64
        do {
            estimate = try await client.estimateGas(from: signerAddress, to: configuration.contract, data: callData)
        } catch {
            if case .reverted(let reason, _) = error.kind { throw .estimationReverted(reason: reason ?? "no reason given") }
            throw .rpc(error)
        }
        let cap = configuration.maximumGasPerSettlement
        guard estimate <= cap else { throw .gasAboveCap(estimate: estimate, cap: cap) }
        let baseFee = try await rpc { try await $0.latestBaseFeePerGas() }
        let suggestedTip = try await rpc { try await $0.maxPriorityFeePerGas() }
        let fees = try feePolicy.fees(baseFeePerGasWei: baseFee, suggestedPriorityFeePerGasWei: suggestedTip)
        // A fifth more than the estimate: state may change a little between estimate and inclusion.
        return EIP1559Transaction(
            chainId: configuration.chainId, nonce: 0, maxPriorityFeePerGas: fees.priorityFeePerGasWei,
            maxFeePerGas: fees.maximumFeePerGasWei, gasLimit: min(estimate + estimate / 5, cap),
            to: configuration.contract, data: callData)
    }

    /// Registers an owner-signed grant the contract does not know, once ("register:<grant id>"), and waits for it.
    /// A grant the contract would refuse (bad signature, another domain) is left unregistered: its claims are then
    /// skipped by the contract as "grant unknown" and pay nothing, while the rest of the batch settles.
    private func registerIfUnknown(_ grant: SignedSessionGrant) async throws(EVMRailError) {
        let known: [UInt8]
        do { known = try await client.call(to: configuration.contract, data: try SessionKeyValidatorABI.getGrant(grant.digest)) } catch {
            if let rpcError = error as? EthereumRPCError, case .reverted = rpcError.kind {
                throw .estimationReverted(reason: "getGrant reverted: is evm.contract a SessionKeyValidator?")
            }
            throw .rpc(error as? EthereumRPCError ?? EthereumRPCError(method: "eth_call", kind: .malformedResponse("\(error)")))
        }
        guard known.count >= 32, known.prefix(32).allSatisfy({ $0 == 0 }) else { return }
        let purpose = "register:" + grant.digest.hex
        var record = try await allocator.recorded(purpose)
        if record == nil {
            let transaction: EIP1559Transaction
            do {
                transaction = try await priced(callData: try SessionKeyValidatorABI.registerSessionGrant(grant))
            } catch let error as EVMRailError {
                if case .estimationReverted = error { return }
                throw error
            } catch {
                throw .estimationReverted(reason: "cannot encode the grant: \(error)")
            }
            record = try await allocator.signAndRecord(transaction, purpose: purpose)
        }
        guard let record else { return }
        try await allocator.send(record)
        _ = try await rpc {
            try await $0.waitForReceipt(
                record.transactionHash, pollIntervalMilliseconds: self.configuration.receiptPollIntervalMilliseconds,
                timeoutSeconds: Self.registrationTimeoutSeconds)
        }
    }

    // MARK: Reading the outcome

    /// Per claim in batch order: the channel's settled total after the transaction. The contract emits exactly one
    /// VoucherSettled or VoucherRejected per claim, in sending order.
    private func settledAmounts(_ receipt: TransactionReceipt, batch: SettlementBatch) async throws(EVMRailError) -> [UInt128] {
        let hash = receipt.transactionHash.hex
        let events = receipt.logs.filter {
            $0.address == configuration.contract
                && ($0.topics.first == SessionKeyValidatorABI.voucherSettledTopic
                    || $0.topics.first == SessionKeyValidatorABI.voucherRejectedTopic)
        }
        let order = Self.sendingOrder(batch)
        guard events.count == order.count else {
            throw .malformedReceipt(transactionHash: hash, detail: "\(events.count) claim events for \(order.count) claims")
        }
        var amounts = [UInt128](repeating: 0, count: batch.claims.count)
        for (event, index) in zip(events, order) {
            let claim = batch.claims[index]
            guard event.topics.count == 3, event.topics[1] == claim.grantId,
                Array(event.topics[2].bytes.suffix(20)) == claim.payee.bytes
            else { throw .malformedReceipt(transactionHash: hash, detail: "claim \(index)'s event names another channel") }
            if event.topics[0] == SessionKeyValidatorABI.voucherSettledTopic {
                // data: sequence, settledCumulativeAmount, paid
                guard event.data.count == 96, let total = SessionKeyValidatorABI.uint128(word: event.data[32..<64]) else {
                    throw .malformedReceipt(transactionHash: hash, detail: "VoucherSettled data of \(event.data.count) bytes")
                }
                amounts[index] = total
            } else {
                amounts[index] = try await settledAmount(claim, atBlock: receipt.blockNumber)
            }
        }
        return amounts
    }

    /// A skipped claim's channel total, read from the contract as of the settlement's block.
    private func settledAmount(_ claim: SettlementClaim, atBlock block: UInt64) async throws(EVMRailError) -> UInt128 {
        let output: [UInt8]
        do {
            output = try await client.call(
                to: configuration.contract,
                data: try SessionKeyValidatorABI.settledAmount(grantId: claim.grantId, payee: claim.payee), blockNumber: block)
        } catch {
            throw .rpc(error as? EthereumRPCError ?? EthereumRPCError(method: "eth_call", kind: .malformedResponse("\(error)")))
        }
        guard output.count == 32, let amount = SessionKeyValidatorABI.uint128(word: output[0..<32]) else {
            throw .malformedReceipt(transactionHash: "", detail: "settledAmount answered \(output.count) bytes")
        }
        return amount
    }

    private func rpc<Value: Sendable>(_ body: (EthereumRPCClient) async throws -> Value) async throws(EVMRailError)
        -> Value
    {
        do { return try await body(client) } catch let error as EthereumRPCError { throw .rpc(error) } catch {
            throw .rpc(EthereumRPCError(method: "eth", kind: .malformedResponse(String(describing: error))))
        }
    }
}
