import PBCore
import PBCrypto
import Testing

@Test func keccakOfEmptyAndAbc() {
    #expect(Hex.encode(Keccak256.hash([UInt8]())) == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
    #expect(Hex.encode(Keccak256.hash(Array("abc".utf8))) == "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")
}
