import PBCore
import PBCrypto
import Testing

/// The precomputed-pad HMAC must be HMAC-SHA256 exactly: RFC 4231's vectors, agreement with the keyed-per-message
/// implementation for keys on both sides of the 64-byte block, and the same answers from many threads at once.
@Suite struct HMACSHA256KeyTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let key: [UInt8]
        let message: [UInt8]
        let mac: String
        var testDescription: String { name }
    }

    /// RFC 4231 section 4: test cases 1, 2, 3, 4, 6 and 7 (5 truncates its output, which we never do).
    static let vectors: [Vector] = [
        Vector(
            name: "case 1", key: [UInt8](repeating: 0x0B, count: 20), message: Array("Hi There".utf8),
            mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        Vector(
            name: "case 2", key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8),
            mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        Vector(
            name: "case 3", key: [UInt8](repeating: 0xAA, count: 20), message: [UInt8](repeating: 0xDD, count: 50),
            mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        Vector(
            name: "case 4", key: Array(1...25), message: [UInt8](repeating: 0xCD, count: 50),
            mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        Vector(
            name: "case 6", key: [UInt8](repeating: 0xAA, count: 131),
            message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        Vector(
            name: "case 7", key: [UInt8](repeating: 0xAA, count: 131),
            message: Array(
                ("This is a test using a larger than block-size key and a larger than block-size data. The key needs to "
                    + "be hashed before being used by the HMAC algorithm.").utf8),
            mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ]

    @Test(arguments: vectors)
    func rfc4231(vector: Vector) {
        let key = HMACSHA256Key(vector.key)
        #expect(Hex.encode(key.authenticationCode(for: vector.message), prefix: false) == vector.mac)
        // The same key value gives the same MAC again: the stored pads are not consumed by a MAC.
        #expect(Hex.encode(key.authenticationCode(for: vector.message), prefix: false) == vector.mac)
        #expect(key.isValid(try! Hex.decode(vector.mac), for: vector.message))
    }

    @Test func agreesWithTheKeyedPerMessageHMACForKeysAroundTheBlockSize() {
        var generator = SystemRandomNumberGenerator()
        for keyLength in [0, 1, 31, 32, 63, 64, 65, 127, 200] {
            let key = (0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let precomputed = HMACSHA256Key(key)
            for messageLength in [0, 1, 55, 56, 64, 119, 1_000] {
                let message = (0..<messageLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
                #expect(precomputed.authenticationCode(for: message) == SHA256Functions.hmac(key: key, message: message))
            }
        }
    }

    @Test func oneKeyUsedFromManyTasksAtOnceGivesEveryTaskTheRightMAC() async {
        let key = HMACSHA256Key(Array("a window key shared by every call".utf8))
        let reference = Array("a window key shared by every call".utf8)
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for task in 0..<16 {
                group.addTask {
                    var wrong = 0
                    for index in 0..<500 {
                        let message = Array("call \(task)-\(index)".utf8)
                        if key.authenticationCode(for: message) != SHA256Functions.hmac(key: reference, message: message) {
                            wrong += 1
                        }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
}

/// Continuing from the pads' hash states must pad and count every message length as hashing whole does: under the
/// empty key, HMAC(m) = SHA256(0x5c × 64 ‖ SHA256(0x36 × 64 ‖ m)), computed here by whole-message hashing.
@Suite struct HMACContinuationTests {
    @Test func aMACEqualsTheWholeMessageHashOfPadAndMessageForEveryLengthAcrossTwoBlocks() {
        // HMAC(key 0…0, m) = SHA256(0x5c*64 ‖ SHA256(0x36*64 ‖ m)): checks the padding at every message length.
        let key = HMACSHA256Key([])
        for length in 0...140 {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let inner = SHA256Functions.hash([UInt8](repeating: 0x36, count: 64) + message)
            let expected = SHA256Functions.hash([UInt8](repeating: 0x5C, count: 64) + inner)
            #expect(key.authenticationCode(for: message) == expected, "message length \(length)")
        }
    }
}
