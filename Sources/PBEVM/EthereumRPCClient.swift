import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import PBCore
import PBCrypto
import Synchronization

/// A JSON-RPC client for an Ethereum node: what the EVM rail reads and sends. Any EVM chain works by URL.
///
/// Every call has a timeout; failures to get an answer (refused, reset, timed out, HTTP 429/5xx) are retried a
/// bounded number of times with doubling delays, an answer (even an error) never is. Sending the same signed
/// transaction again is harmless (same hash), so `sendRawTransaction` is retried like the rest. Holds no key.
public final class EthereumRPCClient: Sendable {
    public let url: String
    public let timeoutSeconds: Int64
    public let maximumAttempts: Int
    /// Answers larger than this are refused: a receipt or a block header is a few KB.
    public static let maximumResponseBytes = 4 << 20
    private let httpClient: HTTPClient
    private let requestIds = RequestIdSource()

    public init(url: String, httpClient: HTTPClient = .shared, timeoutSeconds: Int64 = 10, maximumAttempts: Int = 3) {
        precondition(maximumAttempts >= 1, "at least one attempt")
        self.url = url
        self.httpClient = httpClient
        self.timeoutSeconds = timeoutSeconds
        self.maximumAttempts = maximumAttempts
    }

    // MARK: Reading the chain

    public func chainId() async throws(EthereumRPCError) -> UInt64 {
        try Self.uint64(try await call("eth_chainId", []), method: "eth_chainId")
    }

    public func blockNumber() async throws(EthereumRPCError) -> UInt64 {
        try Self.uint64(try await call("eth_blockNumber", []), method: "eth_blockNumber")
    }

    public func balance(of address: EthereumAddress) async throws(EthereumRPCError) -> UInt128 {
        try Self.uint128(try await call("eth_getBalance", [.string(address.lowercased), .string("latest")]), method: "eth_getBalance")
    }

    /// The next nonce of `address`, counting transactions the node holds but has not mined (`pending`); with
    /// `block: "latest"`, only mined ones.
    public func transactionCount(of address: EthereumAddress, block: String = "pending") async throws(EthereumRPCError)
        -> UInt64
    {
        let result = try await call("eth_getTransactionCount", [.string(address.lowercased), .string(block)])
        return try Self.uint64(result, method: "eth_getTransactionCount")
    }

    public func maxPriorityFeePerGas() async throws(EthereumRPCError) -> UInt128 {
        try Self.uint128(try await call("eth_maxPriorityFeePerGas", []), method: "eth_maxPriorityFeePerGas")
    }

    /// The latest block's base fee, for EIP-1559's `maxFeePerGas`.
    public func latestBaseFeePerGas() async throws(EthereumRPCError) -> UInt128 {
        let block = try await call("eth_getBlockByNumber", [.string("latest"), .bool(false)])
        guard let baseFee = block["baseFeePerGas"] else {
            throw EthereumRPCError(method: "eth_getBlockByNumber", kind: .malformedResponse("no baseFeePerGas"))
        }
        return try Self.uint128(baseFee, method: "eth_getBlockByNumber")
    }

    public func estimateGas(from: EthereumAddress, to: EthereumAddress?, data: [UInt8], value: UInt128 = 0)
        async throws(EthereumRPCError) -> UInt64
    {
        let result = try await call("eth_estimateGas", [Self.callObject(from: from, to: to, data: data, value: value)])
        return try Self.uint64(result, method: "eth_estimateGas")
    }

    /// Executes a read-only call against the latest block (or the state after block `blockNumber`) and returns its
    /// output; a revert throws `.reverted`.
    public func call(to: EthereumAddress, data: [UInt8], from: EthereumAddress? = nil, blockNumber: UInt64? = nil)
        async throws(EthereumRPCError) -> [UInt8]
    {
        let block: JSONValue = blockNumber.map { Self.quantity(UInt128($0)) } ?? .string("latest")
        let result = try await call("eth_call", [Self.callObject(from: from, to: to, data: data, value: 0), block])
        return try Self.bytes(result, method: "eth_call")
    }

    // MARK: Sending

    public func sendRawTransaction(_ signed: SignedEIP1559Transaction) async throws(EthereumRPCError) -> Bytes32 {
        let result = try await call("eth_sendRawTransaction", [.string(signed.rawHex)])
        let hash = try Self.bytes(result, method: "eth_sendRawTransaction")
        guard hash.count == 32 else {
            throw EthereumRPCError(method: "eth_sendRawTransaction", kind: .malformedResponse("hash of \(hash.count) bytes"))
        }
        return Bytes32(unchecked: hash)
    }

    /// The receipt, or nil while the transaction is not mined.
    public func transactionReceipt(_ hash: Bytes32) async throws(EthereumRPCError) -> TransactionReceipt? {
        let result = try await call("eth_getTransactionReceipt", [.string(hash.hex)])
        if result == .null { return nil }
        return try Self.receipt(result, hash: hash)
    }

    /// Polls until the transaction is mined and `confirmations` blocks deep (1: mined), or `timeoutSeconds` pass.
    public func waitForReceipt(
        _ hash: Bytes32, confirmations: UInt64 = 1, pollIntervalMilliseconds: Int64 = 200, timeoutSeconds: Int64 = 120
    ) async throws(EthereumRPCError) -> TransactionReceipt {
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        while ContinuousClock.now < deadline {
            if let receipt = try await transactionReceipt(hash) {
                let head = try await blockNumber()
                if head >= receipt.blockNumber, head - receipt.blockNumber + 1 >= confirmations { return receipt }
            }
            do { try await Task.sleep(for: .milliseconds(pollIntervalMilliseconds)) } catch { break }
        }
        throw EthereumRPCError(method: "eth_getTransactionReceipt", kind: .receiptTimeout)
    }

    // MARK: The JSON-RPC exchange

    /// One JSON-RPC call, retried on transport failures; returns `result` or throws the node's error.
    public func call(_ method: String, _ params: [JSONValue]) async throws(EthereumRPCError) -> JSONValue {
        let body = JSONValue.object([
            ("jsonrpc", .string("2.0")), ("id", .number(String(requestIds.next()))), ("method", .string(method)),
            ("params", .array(params)),
        ]).serialized()
        var delayMilliseconds: Int64 = 100
        var attempt = 1
        while true {
            do {
                return try await exchange(method: method, body: body)
            } catch where error.isRetryable && attempt < maximumAttempts {
                try? await Task.sleep(for: .milliseconds(delayMilliseconds))
                delayMilliseconds *= 2
                attempt += 1
            }
        }
    }

    private func exchange(method: String, body: String) async throws(EthereumRPCError) -> JSONValue {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let text: String
        do {
            let response = try await httpClient.execute(request, timeout: .seconds(timeoutSeconds))
            guard response.status == .ok else {
                throw EthereumRPCError(method: method, kind: .httpStatus(Int(response.status.code)))
            }
            text = String(buffer: try await response.body.collect(upTo: Self.maximumResponseBytes))
        } catch let error as EthereumRPCError {
            throw error
        } catch {
            throw EthereumRPCError(method: method, kind: .transport(String(describing: error).prefix(200).description))
        }
        let document: JSONValue
        do { document = try JSONValue.parse(Array(text.utf8)) } catch {
            throw EthereumRPCError(method: method, kind: .malformedResponse("not JSON"))
        }
        if let failure = document["error"], failure != .null { throw Self.nodeError(failure, method: method) }
        guard let result = document["result"] else {
            throw EthereumRPCError(method: method, kind: .malformedResponse("neither result nor error"))
        }
        return result
    }

    private static func nodeError(_ failure: JSONValue, method: String) -> EthereumRPCError {
        guard case .number(let codeText) = failure["code"] ?? .null, let code = Int(codeText) else {
            return EthereumRPCError(method: method, kind: .malformedResponse("error without a code"))
        }
        let message = failure["message"]?.stringValue ?? ""
        if code == 3 || message.hasPrefix("execution reverted") {
            let data = (failure["data"]?.stringValue).flatMap { try? Hex.decode($0) } ?? []
            let reason = EthereumRPCError.revertReason(data) ?? (message.split(separator: ":", maxSplits: 1).dropFirst().first)
                .map { $0.trimmingPrefix(" ").description }
            return EthereumRPCError(method: method, kind: .reverted(reason: reason, data: data))
        }
        return EthereumRPCError(method: method, kind: .node(code: code, message: message))
    }
}

/// Request ids for JSON-RPC: unique per client, so a confused proxy cannot hand us another call's answer unseen.
private final class RequestIdSource: Sendable {
    private let counter = Mutex<UInt64>(0)

    func next() -> UInt64 {
        counter.withLock { value in
            value += 1
            return value
        }
    }
}
