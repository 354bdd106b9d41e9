import PBCore
import PBCrypto
import Testing

/// A prepared key must give exactly the MAC of keying from scratch, for keys shorter than, equal to and longer than
/// SHA-256's 64-byte block (a longer key is hashed first), and be reusable for many messages.
@Suite struct PreparedHMACKeyTests {
    @Test(arguments: [0, 1, 32, 64, 65, 200])
    func matchesKeyingFromScratch(keyLength: Int) {
        var generator = SystemRandomNumberGenerator()
        let key = (0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let prepared = PreparedHMACKey(key: key)
        for messageLength in [0, 1, 55, 56, 64, 120, 1_000] {
            let message = (0..<messageLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(prepared.authenticationCode(for: message) == SHA256Functions.hmac(key: key, message: message))
        }
    }

    @Test func rfc4231TestCase2() {
        let prepared = PreparedHMACKey(key: Array("Jefe".utf8))
        let mac = prepared.authenticationCode(for: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "0x5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
