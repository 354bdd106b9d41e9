/// Why a JSON-RPC call to an Ethereum node failed, in words a log or an operator can act on.
public struct EthereumRPCError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// No answer: connection refused, reset, timed out. Retried before it is reported.
        case transport(String)
        /// The node answered with an HTTP error status.
        case httpStatus(Int)
        /// A JSON-RPC error object (`code`, `message`), other than a revert.
        case node(code: Int, message: String)
        /// Execution reverted (geth's code 3): the decoded `Error(string)` reason when there is one, and the raw data.
        case reverted(reason: String?, data: [UInt8])
        /// The answer was not the JSON-RPC document it should be.
        case malformedResponse(String)
        /// A receipt did not arrive (or not with enough confirmations) in time.
        case receiptTimeout
    }

    public let method: String
    public let kind: Kind

    public init(method: String, kind: Kind) {
        self.method = method
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .transport(let detail): "\(method): no answer from the node (\(detail))"
        case .httpStatus(let status): "\(method): the node answered HTTP \(status)"
        case .node(let code, let message): "\(method): node error \(code): \(message.prefix(200))"
        case .reverted(let reason, _): "\(method): execution reverted" + (reason.map { ": \($0.prefix(200))" } ?? "")
        case .malformedResponse(let detail): "\(method): malformed answer (\(detail))"
        case .receiptTimeout: "\(method): no receipt in time"
        }
    }

    /// Only failures to get an answer are worth retrying; an answer, even an error, is final.
    var isRetryable: Bool {
        switch kind {
        case .transport: true
        case .httpStatus(let status): status == 429 || status >= 500
        default: false
        }
    }

    /// `Error(string)` revert data -> its reason (selector 0x08c379a0, then an ABI-encoded string).
    static func revertReason(_ data: [UInt8]) -> String? {
        guard data.count >= 68, data.prefix(4) == [0x08, 0xc3, 0x79, 0xa0] else { return nil }
        let lengthWord = data[36..<68]
        guard lengthWord.prefix(24).allSatisfy({ $0 == 0 }) else { return nil }
        let length = lengthWord.suffix(8).reduce(0) { $0 << 8 | Int($1) }
        guard length <= data.count - 68 else { return nil }
        return String(decoding: data[68..<68 + length], as: UTF8.self)
    }
}
