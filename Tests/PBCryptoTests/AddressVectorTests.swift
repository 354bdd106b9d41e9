import PBCore
import PBCrypto
import Testing

private struct AddressFile: Decodable {
    struct Key: Decodable {
        let privateKey: String
        let uncompressedPublicKey: String
        let compressedPublicKey: String
        let address: String
    }
    struct Example: Decodable {
        let input: String
        let checksummed: String
    }
    struct Invalid: Decodable {
        let input: String
        let reason: String
    }
    let keys: [Key]
    let eip55: [Example]
    let invalid: [Invalid]
}

@Test func privateKeysDeriveTheSamePublicKeysAndAddressesAsEthAccount() throws {
    let file = try VectorFiles.load("addresses.json", as: AddressFile.self)
    #expect(file.keys.count >= 10)
    for vector in file.keys {
        let key = try PrivateKey(hex: vector.privateKey)
        #expect(Hex.encode(key.publicKey.uncompressedBytes) == vector.uncompressedPublicKey)
        #expect(Hex.encode(key.publicKey.compressedBytes) == vector.compressedPublicKey)
        #expect(key.address.checksummed == vector.address)
        #expect(key.hex == vector.privateKey, "the key file round trip must give the same secret")
    }
}

@Test func compressedAndUncompressedEncodingsParseToTheSameKey() throws {
    let file = try VectorFiles.load("addresses.json", as: AddressFile.self)
    for vector in file.keys {
        let compressed = try PublicKey(hex: vector.compressedPublicKey)
        let uncompressed = try PublicKey(hex: vector.uncompressedPublicKey)
        #expect(compressed == uncompressed)
        #expect(compressed.address.checksummed == vector.address)
    }
}

@Test func malformedPublicKeysAreRejected() throws {
    let file = try VectorFiles.load("addresses.json", as: AddressFile.self)
    var offCurve = try bytes(file.keys[0].uncompressedPublicKey)
    offCurve[64] ^= 1
    for candidate in [offCurve, Array(offCurve.prefix(64)), [UInt8](repeating: 0, count: 33), []] {
        #expect(throws: CryptoError.invalidPublicKey) { try PublicKey(bytes: candidate) }
    }
}

@Test func eip55ExamplesFromTheEIPParseAndChecksum() throws {
    let file = try VectorFiles.load("addresses.json", as: AddressFile.self)
    for example in file.eip55 {
        #expect(try EthereumAddress(example.input).checksummed == example.checksummed)
    }
}

@Test func invalidAddressStringsAreRejected() throws {
    let file = try VectorFiles.load("addresses.json", as: AddressFile.self)
    #expect(Set(file.invalid.map(\.reason)) == ["badChecksum", "wrongDigitCount", "notHex", "missingPrefix"])
    for vector in file.invalid {
        #expect(throws: EthereumAddress.ParseError.self, "\(vector.reason): \(vector.input)") {
            try EthereumAddress(vector.input)
        }
    }
}

@Test func privateKeysOutsideOneToNMinusOneAreRejected() throws {
    let order = try bytes("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
    let candidates: [[UInt8]] = [
        [UInt8](repeating: 0, count: 32), order, [UInt8](repeating: 0xff, count: 32),
        [UInt8](repeating: 1, count: 31), [UInt8](repeating: 1, count: 33),
    ]
    for candidate in candidates {
        #expect(throws: CryptoError.invalidPrivateKey) { try PrivateKey(bytes: candidate) }
    }
    #expect(throws: CryptoError.self) { try PrivateKey(hex: "0xzz") }
}

@Test func printingAPrivateKeyShowsTheAddressAndNeverTheSecret() throws {
    let key = try PrivateKey(hex: "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
    let secretDigits = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
    var dumped = ""
    dump(key, to: &dumped)
    let renderings = ["\(key)", String(describing: key), String(reflecting: key), dumped, "\([key])"]
    for rendering in renderings {
        #expect(!rendering.lowercased().contains(secretDigits), "secret leaked: \(rendering)")
        #expect(!rendering.lowercased().contains(secretDigits.prefix(16)), "secret leaked: \(rendering)")
        #expect(rendering.contains(key.address.checksummed), "no address in: \(rendering)")
    }
}

@Test func randomKeysAreDistinctAndUsable() throws {
    let first = PrivateKey.random()
    let second = PrivateKey.random()
    #expect(first.rawBytes != second.rawBytes)
    let digest = Keccak256.hash(Array("random".utf8))
    #expect(try first.sign(digest: digest).recoverAddress(digest: digest) == first.address)
    #expect(try PrivateKey(bytes: first.rawBytes).address == first.address)
}
