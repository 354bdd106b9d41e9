/// Keccak-256 as Ethereum uses it: the original Keccak padding (0x01), not NIST SHA3-256 (0x06).
///
/// No Keccak library is available on this machine, so this is a plain implementation of Keccak-f[1600]
/// with a 1088-bit rate. It is checked against published vectors and eth-hash in `spec/vectors/keccak.json`.
public enum Keccak256 {
    /// Bytes absorbed per permutation: (1600 - 2 * 256) / 8.
    public static let rateBytes = 136
    public static let digestBytes = 32

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0) }
    }

    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        if let digest = bytes.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) {
            return digest
        }
        return hash(Array(bytes))
    }

    public static func hash(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 25) { state in
            state.initialize(repeating: 0)
            var offset = 0
            // Absorb every full block.
            while input.count - offset >= rateBytes {
                for lane in 0..<(rateBytes / 8) {
                    state[lane] ^= input.loadUnaligned(fromByteOffset: offset + lane * 8, as: UInt64.self).littleEndian
                }
                permute(state)
                offset += rateBytes
            }
            // Last (possibly empty) block with Keccak padding: 0x01 ... 0x80.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: rateBytes) { block in
                block.initialize(repeating: 0)
                let remaining = input.count - offset
                for index in 0..<remaining { block[index] = input[offset + index] }
                block[remaining] ^= 0x01
                block[rateBytes - 1] ^= 0x80
                let raw = UnsafeRawBufferPointer(block)
                for lane in 0..<(rateBytes / 8) {
                    state[lane] ^= raw.loadUnaligned(fromByteOffset: lane * 8, as: UInt64.self).littleEndian
                }
            }
            permute(state)
            var digest = [UInt8](repeating: 0, count: digestBytes)
            for lane in 0..<4 {
                let word = state[lane].littleEndian
                for byte in 0..<8 { digest[lane * 8 + byte] = UInt8(truncatingIfNeeded: word >> (8 * byte)) }
            }
            return digest
        }
    }

    private static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808a, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808b, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008a, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000a,
        0x0000_0000_8000_808b, 0x8000_0000_0000_008b, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800a, 0x8000_0000_8000_000a,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]
    private static let rotations: [UInt64] = [
        1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
    ]
    private static let piLanes: [Int] = [
        10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
    ]

    @inline(__always)
    private static func rotateLeft(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }

    /// Keccak-f[1600]: 24 rounds of theta, rho, pi, chi, iota over 25 lanes.
    private static func permute(_ state: UnsafeMutableBufferPointer<UInt64>) {
        roundConstants.withUnsafeBufferPointer { constants in
            rotations.withUnsafeBufferPointer { rotation in
                piLanes.withUnsafeBufferPointer { pi in
                    for round in 0..<24 {
                        // Theta
                        let c0 = state[0] ^ state[5] ^ state[10] ^ state[15] ^ state[20]
                        let c1 = state[1] ^ state[6] ^ state[11] ^ state[16] ^ state[21]
                        let c2 = state[2] ^ state[7] ^ state[12] ^ state[17] ^ state[22]
                        let c3 = state[3] ^ state[8] ^ state[13] ^ state[18] ^ state[23]
                        let c4 = state[4] ^ state[9] ^ state[14] ^ state[19] ^ state[24]
                        let d0 = c4 ^ rotateLeft(c1, 1)
                        let d1 = c0 ^ rotateLeft(c2, 1)
                        let d2 = c1 ^ rotateLeft(c3, 1)
                        let d3 = c2 ^ rotateLeft(c4, 1)
                        let d4 = c3 ^ rotateLeft(c0, 1)
                        var row = 0
                        while row < 25 {
                            state[row] ^= d0
                            state[row + 1] ^= d1
                            state[row + 2] ^= d2
                            state[row + 3] ^= d3
                            state[row + 4] ^= d4
                            row += 5
                        }
                        // Rho and pi
                        var carried = state[1]
                        for step in 0..<24 {
                            let lane = pi[step]
                            let next = state[lane]
                            state[lane] = rotateLeft(carried, rotation[step])
                            carried = next
                        }
                        // Chi
                        row = 0
                        while row < 25 {
                            let a0 = state[row], a1 = state[row + 1], a2 = state[row + 2]
                            let a3 = state[row + 3], a4 = state[row + 4]
                            state[row] = a0 ^ (~a1 & a2)
                            state[row + 1] = a1 ^ (~a2 & a3)
                            state[row + 2] = a2 ^ (~a3 & a4)
                            state[row + 3] = a3 ^ (~a4 & a0)
                            state[row + 4] = a4 ^ (~a0 & a1)
                            row += 5
                        }
                        // Iota
                        state[0] ^= constants[round]
                    }
                }
            }
        }
    }
}
