import PBTestSupport
import Foundation
import PBCore
import PBCrypto
import Testing

@testable import PBEVM

/// spec/vectors/evm.json, written by spec/tools/gen_evm_vectors.py with eth-account and its rlp package.
struct EVMVectors: Decodable {
    struct Item: Decodable {
        let bytes: String?
        let list: [Item]?

        var rlp: RLP.Item {
            if let list { return .list(list.map(\.rlp)) }
            return .bytes((try? Hex.decode(bytes ?? "")) ?? [])
        }
    }

    struct RLPCase: Decodable, CustomTestStringConvertible {
        let name: String
        let item: Item
        let encoded: String
        var testDescription: String { name }
    }

    struct TransactionCase: Decodable, CustomTestStringConvertible {
        let name, privateKey, sender, chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit: String
        let to: String?
        let value, data, signingHash, raw, hash: String
        var testDescription: String { name }
    }

    let rlp: [RLPCase]
    let eip1559: [TransactionCase]

    // Read once for all parameterised cases; a missing file stops the run (every case would fail anyway).
    static let file: EVMVectors = try! RepositoryFiles.vectors("evm.json")
}

@Suite struct EVMVectorTests {
    @Test("RLP encodes like the reference and decodes back", arguments: EVMVectors.file.rlp)
    func rlpMatchesTheReference(_ vector: EVMVectors.RLPCase) throws {
        let encoded = RLP.encode(vector.item.rlp)
        #expect(Hex.encode(encoded) == vector.encoded)
        #expect(try RLP.decode(encoded) == vector.item.rlp)
    }

    @Test("EIP-1559 transactions sign byte for byte like eth-account", arguments: EVMVectors.file.eip1559)
    func transactionsMatchTheReference(_ vector: EVMVectors.TransactionCase) throws {
        let key = try PrivateKey(hex: vector.privateKey)
        #expect(key.address.checksummed == vector.sender)
        let transaction = EIP1559Transaction(
            chainId: try #require(UInt64(vector.chainId)), nonce: try #require(UInt64(vector.nonce)),
            maxPriorityFeePerGas: try #require(UInt128(vector.maxPriorityFeePerGas)),
            maxFeePerGas: try #require(UInt128(vector.maxFeePerGas)), gasLimit: try #require(UInt64(vector.gasLimit)),
            to: try vector.to.map { try EthereumAddress($0) }, value: try #require(UInt128(vector.value)),
            data: try Hex.decode(vector.data))
        #expect(Hex.encode(transaction.signingHash) == vector.signingHash)
        let signed = transaction.signed(with: key)
        #expect(signed.rawHex == vector.raw)
        #expect(signed.hash.hex == vector.hash)
    }

    @Test func nonCanonicalOrTruncatedRLPIsRefused() {
        for bad in ["0x8100", "0xb800", "0xb90001", "0xc2", "0x83646f", "0x8001", "0xf90000"] {
            #expect(throws: RLP.DecodingError.self, "\(bad)") { _ = try RLP.decode(try Hex.decode(bad)) }
        }
    }

    @Test func revertReasonsAreDecodedFromErrorString() throws {
        let data = try Hex.decode(
            "0x08c379a0" + "0000000000000000000000000000000000000000000000000000000000000020"
                + "0000000000000000000000000000000000000000000000000000000000000002"
                + "6e6f000000000000000000000000000000000000000000000000000000000000")
        #expect(EthereumRPCError.revertReason(data) == "no")
        #expect(EthereumRPCError.revertReason(Array(data.prefix(40))) == nil)
        #expect(EthereumRPCError.revertReason([0xde, 0xad, 0xbe, 0xef]) == nil)
    }
}
