import PBCore
import PBCrypto
import Testing

private struct EIP191File: Decodable {
    struct Case: Decodable {
        let name: String
        let messageHex: String
        let messageText: String?
        let digest: String
        let privateKey: String
        let signature: String
        let signer: String
    }
    let cases: [Case]
}

@Test func personalMessageDigestsMatchEthAccount() throws {
    let file = try VectorFiles.load("eip191.json", as: EIP191File.self)
    #expect(file.cases.count >= 6)
    for vector in file.cases {
        #expect(try Hex.encode(EIP191.personalMessageDigest(bytes(vector.messageHex))) == vector.digest, "\(vector.name)")
        if let text = vector.messageText {
            #expect(Hex.encode(EIP191.personalMessageDigest(text)) == vector.digest, "\(vector.name)")
        }
    }
}

@Test func personalSignaturesMatchEthAccountAndRecoverTheSigner() throws {
    for vector in try VectorFiles.load("eip191.json", as: EIP191File.self).cases {
        let message = try bytes(vector.messageHex)
        let signature = try PrivateKey(hex: vector.privateKey).signPersonalMessage(message)
        #expect(signature.hex == vector.signature, "\(vector.name)")
        let recovered = try EIP191.recoverSigner(message: message, signature: Signature(hex: vector.signature))
        #expect(recovered.checksummed == vector.signer, "\(vector.name)")
    }
}

@Test func aPersonalSignatureDoesNotRecoverTheSignerForAnotherMessage() throws {
    for vector in try VectorFiles.load("eip191.json", as: EIP191File.self).cases {
        let altered = try bytes(vector.messageHex) + [0x20]
        let recovered = try? EIP191.recoverSigner(message: altered, signature: Signature(hex: vector.signature))
        #expect(recovered?.checksummed != vector.signer, "\(vector.name)")
    }
}
