import PBCrypto
import Testing

@Test func errorDescriptionsTellTheCallerWhatWasWrong() {
    #expect(CryptoError.invalidRecoveryID(35).description.contains("EIP-155"))
    #expect(CryptoError.invalidRecoveryID(35).description.contains("35"))
    #expect(CryptoError.invalidSignatureLength(64).description.contains("64"))
    #expect(CryptoError.highS.description.contains("EIP-2"))
    #expect(CryptoError.invalidDigestLength(31).description.contains("31"))
    #expect(CryptoError.invalidRecoveryID(29) != CryptoError.invalidRecoveryID(30))
}
