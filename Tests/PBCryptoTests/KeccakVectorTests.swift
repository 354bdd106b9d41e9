import PBCore
import PBCrypto
import Testing

private struct KeccakFile: Decodable {
    struct Input: Decodable {
        let hex: String?
        let repeatByteHex: String?
        let count: Int?
    }
    struct Case: Decodable {
        let name: String
        let input: Input
        let digest: String
    }
    let cases: [Case]
}

@Test func keccakMatchesEveryVectorIncludingBlockBoundariesAndOneMillionBytes() throws {
    let file = try VectorFiles.load("keccak.json", as: KeccakFile.self)
    #expect(file.cases.count >= 18)
    for vector in file.cases {
        let message: [UInt8]
        if let hex = vector.input.hex {
            message = try bytes(hex)
        } else {
            let byteHex = try #require(vector.input.repeatByteHex)
            let byte = try #require(try bytes(byteHex).first)
            message = [UInt8](repeating: byte, count: try #require(vector.input.count))
        }
        #expect(Hex.encode(Keccak256.hash(message)) == vector.digest, "\(vector.name)")
    }
}
