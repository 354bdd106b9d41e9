import PBCore
import PBCrypto

/// Hex quantities and data as JSON-RPC writes them, read strictly.
extension EthereumRPCClient {
    static func uint128(_ value: JSONValue, method: String) throws(EthereumRPCError) -> UInt128 {
        guard let text = value.stringValue, text.hasPrefix("0x"), text.count > 2, text.count <= 34,
            let parsed = UInt128(text.dropFirst(2), radix: 16)
        else { throw EthereumRPCError(method: method, kind: .malformedResponse("not a 128-bit hex quantity")) }
        return parsed
    }

    static func uint64(_ value: JSONValue, method: String) throws(EthereumRPCError) -> UInt64 {
        let wide = try uint128(value, method: method)
        guard let narrow = UInt64(exactly: wide) else {
            throw EthereumRPCError(method: method, kind: .malformedResponse("quantity above 64 bits"))
        }
        return narrow
    }

    static func bytes(_ value: JSONValue, method: String) throws(EthereumRPCError) -> [UInt8] {
        guard let text = value.stringValue, text.hasPrefix("0x"), let bytes = try? Hex.decode(text) else {
            throw EthereumRPCError(method: method, kind: .malformedResponse("not 0x-prefixed hex data"))
        }
        return bytes
    }

    static func quantity(_ value: UInt128) -> JSONValue { .string("0x" + String(value, radix: 16)) }

    static func callObject(from: EthereumAddress?, to: EthereumAddress?, data: [UInt8], value: UInt128) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        if let from { members.append(("from", .string(from.lowercased))) }
        if let to { members.append(("to", .string(to.lowercased))) }
        members.append(("data", .string(Hex.encode(data))))
        if value > 0 { members.append(("value", quantity(value))) }
        return .object(members)
    }

    static func receipt(_ value: JSONValue, hash: Bytes32) throws(EthereumRPCError) -> TransactionReceipt {
        let method = "eth_getTransactionReceipt"
        func field(_ name: String) throws(EthereumRPCError) -> JSONValue {
            guard let member = value[name] else {
                throw EthereumRPCError(method: method, kind: .malformedResponse("receipt without \(name)"))
            }
            return member
        }
        var contract: EthereumAddress?
        if let text = value["contractAddress"]?.stringValue {
            contract = try? EthereumAddress(text)
        }
        return TransactionReceipt(
            transactionHash: hash, blockNumber: try uint64(try field("blockNumber"), method: method),
            succeeded: try uint64(try field("status"), method: method) == 1,
            gasUsed: try uint64(try field("gasUsed"), method: method),
            effectiveGasPrice: (try? uint128(try field("effectiveGasPrice"), method: method)) ?? 0,
            contractAddress: contract, logs: try (value["logs"]?.arrayValues ?? []).map { (entry) throws(EthereumRPCError) in
                try log(entry, method: method)
            })
    }

    static func log(_ value: JSONValue, method: String) throws(EthereumRPCError) -> TransactionLog {
        guard let addressText = value["address"]?.stringValue, let address = try? EthereumAddress(addressText) else {
            throw EthereumRPCError(method: method, kind: .malformedResponse("log without an address"))
        }
        var topics: [Bytes32] = []
        for topic in value["topics"]?.arrayValues ?? [] {
            let bytes = try Self.bytes(topic, method: method)
            guard bytes.count == 32 else {
                throw EthereumRPCError(method: method, kind: .malformedResponse("topic of \(bytes.count) bytes"))
            }
            topics.append(Bytes32(unchecked: bytes))
        }
        return TransactionLog(address: address, topics: topics, data: try Self.bytes(value["data"] ?? .null, method: method))
    }
}
