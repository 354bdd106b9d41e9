import PBCore
import PBCrypto
import PBTestSupport
import Testing

@testable import PBEVM

/// The `abi` cases of spec/vectors/evm.json, encoded by eth-abi.
struct ABIVector: CustomTestStringConvertible, Sendable {
    let name: String
    let types: [String]
    let values: [JSONValue]
    let encoded: String
    var testDescription: String { name }

    static let all: [ABIVector] = (RepositoryFiles.vectorDocument("evm.json")["abi"]?.arrayValues ?? []).map { entry in
        ABIVector(
            name: entry["name"]?.stringValue ?? "?", types: entry["types"]?.arrayValues?.compactMap(\.stringValue) ?? [],
            values: entry["values"]?.arrayValues ?? [], encoded: entry["encoded"]?.stringValue ?? "")
    }

    /// A vector value (integers and bytes written as strings) read as the ABI value of `type`.
    static func value(_ json: JSONValue, as type: ABI.ValueType) throws -> ABI.Value {
        switch type {
        case .uint: return .uint(try #require(json.stringValue.flatMap { UInt128($0) }))
        case .address: return .address(try EthereumAddress(try #require(json.stringValue)))
        case .bool: return .bool(json == .bool(true))
        case .bytes: return .bytes(try Hex.decode(try #require(json.stringValue)))
        case .fixedBytes: return .fixedBytes(try Hex.decode(try #require(json.stringValue)))
        case .string: return .string(try #require(json.stringValue))
        case .array(let element): return .array(try (json.arrayValues ?? []).map { try value($0, as: element) })
        case .tuple(let members):
            return .tuple(try zip(json.arrayValues ?? [], members).map { try value($0, as: $1) })
        }
    }
}

@Suite struct ABITests {
    @Test("ABI encoding matches eth-abi", arguments: ABIVector.all)
    func encodingMatchesTheReference(_ vector: ABIVector) throws {
        let types = try vector.types.map { try ABI.ValueType($0) }
        #expect(types.map(\.canonicalName) == vector.types, "types print back canonically")
        let values = try zip(vector.values, types).map { try ABIVector.value($0, as: $1) }
        #expect(Hex.encode(try ABI.encode(values, as: types)) == vector.encoded)
    }

    @Test func selectorsAreTheKeccakPrefixOfTheSignature() {
        #expect(Hex.encode(ABI.selector("transfer(address,uint256)")) == "0xa9059cbb")
        #expect(Hex.encode(ABI.selector("balanceOf(address)")) == "0x70a08231")
    }

    @Test func mismatchedValuesAreRefusedNamingThePath() throws {
        let types = try ["uint8", "(address,bytes32)"].map { try ABI.ValueType($0) }
        #expect(throws: ABI.ABIError.self) { try ABI.encode([.uint(256), .tuple([.address(.zero), .fixedBytes([1])])], as: types) }
        let error = try #require(throws: ABI.ABIError.self) {
            try ABI.encode([.uint(1), .tuple([.address(.zero), .fixedBytes([1])])], as: types)
        }
        #expect(error.message.contains("arguments.1.1"))
        #expect(throws: ABI.ABIError.self) { _ = try ABI.ValueType("uint7") }
        #expect(throws: ABI.ABIError.self) { _ = try ABI.ValueType("(uint8,(bool)") }
    }
}
