import PBCore
@testable import PBCrypto
import Testing

private struct Secp256k1File: Decodable {
    struct Signed: Decodable {
        let privateKey: String
        let digest: String
        let signature: String
        let signer: String
        let uncompressedPublicKey: String
    }
    struct Malformed: Decodable {
        let name: String
        let signature: String
        let digest: String
        let reason: String
    }
    let signatures: [Signed]
    let malformed: [Malformed]
}

private func loadFile() throws -> Secp256k1File {
    try VectorFiles.load("secp256k1.json", as: Secp256k1File.self)
}

@Test func signaturesEqualEthAccountByteForByte() throws {
    let file = try loadFile()
    #expect(file.signatures.count >= 20)
    for vector in file.signatures {
        let signature = try PrivateKey(hex: vector.privateKey).sign(digest: bytes(vector.digest))
        #expect(signature.hex == vector.signature, "key \(vector.privateKey), digest \(vector.digest)")
        #expect(try Signature(hex: vector.signature) == signature)
    }
}

@Test func recoveryGivesTheSignerAndItsPublicKey() throws {
    for vector in try loadFile().signatures {
        let signature = try Signature(hex: vector.signature)
        let digest = try bytes(vector.digest)
        #expect(try signature.recoverAddress(digest: digest).checksummed == vector.signer)
        #expect(try Hex.encode(signature.recoverPublicKey(digest: digest).uncompressedBytes) == vector.uncompressedPublicKey)
    }
}

@Test func verificationAcceptsTheSignerOnlyForTheSignedDigest() throws {
    let vectors = try loadFile().signatures
    for (index, vector) in vectors.enumerated() {
        let signer = try PublicKey(hex: vector.uncompressedPublicKey)
        let signature = try Signature(hex: vector.signature)
        var otherDigest = try bytes(vector.digest)
        otherDigest[31] ^= 0x01
        let stranger = try PublicKey(hex: vectors[(index + 2) % vectors.count].uncompressedPublicKey)
        #expect(try signer.isValidSignature(signature, digest: bytes(vector.digest)))
        #expect(!signer.isValidSignature(signature, digest: otherDigest))
        #expect(try stranger == signer || !stranger.isValidSignature(signature, digest: bytes(vector.digest)))
        #expect(!signer.isValidSignature(signature, digest: Array(otherDigest.prefix(31))))
    }
}

@Test func aTamperedDigestRecoversADifferentAddress() throws {
    for vector in try loadFile().signatures {
        var digest = try bytes(vector.digest)
        digest[0] ^= 0x80
        // Recovery may also fail outright (no point for that r); either way the signer is not confirmed.
        let recovered = try? Signature(hex: vector.signature).recoverAddress(digest: digest)
        #expect(recovered?.checksummed != vector.signer)
    }
}

@Test func everyMalformedSignatureIsRejectedForItsReason() throws {
    let file = try loadFile()
    #expect(file.malformed.count >= 10)
    for vector in file.malformed {
        let raw = try bytes(vector.signature)
        let expected: CryptoError
        switch vector.reason {
        case "highS": expected = .highS
        case "invalidRecoveryID": expected = .invalidRecoveryID(raw[64])
        case "invalidR": expected = .invalidR
        case "invalidS": expected = .invalidS
        case "invalidSignatureLength": expected = .invalidSignatureLength(raw.count)
        default:
            Issue.record("unknown reason \(vector.reason) in \(vector.name)")
            continue
        }
        #expect(throws: expected, "\(vector.name)") { try Signature(bytes: raw) }
    }
}

@Test func recoveryIDsZeroAndOneAreAcceptedLike27And28() throws {
    for vector in try loadFile().signatures {
        var raw = try bytes(vector.signature)
        let ethereumForm = try Signature(bytes: raw)
        raw[64] -= 27
        let rawForm = try Signature(bytes: raw)
        #expect(rawForm == ethereumForm)
        #expect(rawForm.recoveryID == raw[64])
        #expect(rawForm.hex == vector.signature, "output always uses v = 27/28")
        #expect(try rawForm.recoverAddress(digest: bytes(vector.digest)).checksummed == vector.signer)
    }
}

@Test func componentsSplitAsRSV() throws {
    let vector = try #require(try loadFile().signatures.first)
    let raw = try bytes(vector.signature)
    let signature = try Signature(bytes: raw)
    #expect(signature.r == Array(raw[0..<32]))
    #expect(signature.s == Array(raw[32..<64]))
    #expect(signature.v == raw[64])
    #expect(signature.bytes == raw)
}

@Test func theHighSTwinOfAValidSignatureDoesNotVerify() throws {
    // Parsing refuses high s, so build the twin internally to prove verification refuses it as well.
    let vector = try #require(try loadFile().signatures.first)
    let signature = try Signature(hex: vector.signature)
    let order = try bytes("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
    var highS = [UInt8](repeating: 0, count: 32)
    var borrow = 0
    for index in (0..<32).reversed() {
        let difference = Int(order[index]) - Int(signature.s[index]) - borrow
        highS[index] = UInt8((difference + 256) % 256)
        borrow = difference < 0 ? 1 : 0
    }
    let twin = Signature(compactBytes: signature.r + highS, recoveryID: 1 - signature.recoveryID)
    let signer = try PublicKey(hex: vector.uncompressedPublicKey)
    #expect(try signer.isValidSignature(signature, digest: bytes(vector.digest)))
    #expect(try !signer.isValidSignature(twin, digest: bytes(vector.digest)))
    #expect(throws: CryptoError.highS) { try Signature(bytes: twin.bytes) }
}

@Test func digestsMustBe32Bytes() throws {
    let key = try PrivateKey(hex: "0x0000000000000000000000000000000000000000000000000000000000000001")
    #expect(throws: CryptoError.invalidDigestLength(31)) { try key.sign(digest: [UInt8](repeating: 1, count: 31)) }
    let signature = try key.sign(digest: [UInt8](repeating: 1, count: 32))
    #expect(throws: CryptoError.invalidDigestLength(33)) {
        try signature.recoverAddress(digest: [UInt8](repeating: 1, count: 33))
    }
}

@Test func concurrentSigningAndRecoveryShareOneContextSafely() async throws {
    let vectors = try loadFile().signatures
    let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<8 {
            group.addTask {
                var mismatches = 0
                for vector in vectors {
                    let digest = try bytes(vector.digest)
                    let signature = try PrivateKey(hex: vector.privateKey).sign(digest: digest)
                    if signature.hex != vector.signature { mismatches += 1 }
                    if try signature.recoverAddress(digest: digest).checksummed != vector.signer { mismatches += 1 }
                }
                return mismatches
            }
        }
        return try await group.reduce(0, +)
    }
    #expect(mismatches == 0)
}
