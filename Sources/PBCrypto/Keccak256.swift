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
    @inline(__always)
    private static func rotateLeft(_ value: UInt64, _ count: UInt64) -> UInt64 {
        // Masking shifts: the smart shifts `<<`/`>>` check for over-wide counts on every call.
        (value &<< count) | (value &>> (64 &- count))
    }

    /// Keccak-f[1600]: 24 rounds of theta, rho, pi, chi, iota.
    ///
    /// Lanes live in 25 local variables (`aXY` is lane x + 5y) so the compiler keeps them in registers; the
    /// rho and pi steps are written out lane by lane with their rotation offsets. This is generated, straight-line
    /// code on purpose: the loop form with index tables was four times slower, and Keccak runs several times on
    /// every paid request (EIP-712 digests, address derivation).
    private static func permute(_ state: UnsafeMutableBufferPointer<UInt64>) {
        precondition(state.count == 25)
        roundConstants.withUnsafeBufferPointer { constants in
            var a00 = state[0]
            var a10 = state[1]
            var a20 = state[2]
            var a30 = state[3]
            var a40 = state[4]
            var a01 = state[5]
            var a11 = state[6]
            var a21 = state[7]
            var a31 = state[8]
            var a41 = state[9]
            var a02 = state[10]
            var a12 = state[11]
            var a22 = state[12]
            var a32 = state[13]
            var a42 = state[14]
            var a03 = state[15]
            var a13 = state[16]
            var a23 = state[17]
            var a33 = state[18]
            var a43 = state[19]
            var a04 = state[20]
            var a14 = state[21]
            var a24 = state[22]
            var a34 = state[23]
            var a44 = state[24]
            for round in 0..<24 {
                let c0 = a00 ^ a01 ^ a02 ^ a03 ^ a04
                let c1 = a10 ^ a11 ^ a12 ^ a13 ^ a14
                let c2 = a20 ^ a21 ^ a22 ^ a23 ^ a24
                let c3 = a30 ^ a31 ^ a32 ^ a33 ^ a34
                let c4 = a40 ^ a41 ^ a42 ^ a43 ^ a44
                let d0 = c4 ^ rotateLeft(c1, 1)
                let d1 = c0 ^ rotateLeft(c2, 1)
                let d2 = c1 ^ rotateLeft(c3, 1)
                let d3 = c2 ^ rotateLeft(c4, 1)
                let d4 = c3 ^ rotateLeft(c0, 1)
                let b00 = (a00 ^ d0)
                let b13 = rotateLeft(a01 ^ d0, 36)
                let b21 = rotateLeft(a02 ^ d0, 3)
                let b34 = rotateLeft(a03 ^ d0, 41)
                let b42 = rotateLeft(a04 ^ d0, 18)
                let b02 = rotateLeft(a10 ^ d1, 1)
                let b10 = rotateLeft(a11 ^ d1, 44)
                let b23 = rotateLeft(a12 ^ d1, 10)
                let b31 = rotateLeft(a13 ^ d1, 45)
                let b44 = rotateLeft(a14 ^ d1, 2)
                let b04 = rotateLeft(a20 ^ d2, 62)
                let b12 = rotateLeft(a21 ^ d2, 6)
                let b20 = rotateLeft(a22 ^ d2, 43)
                let b33 = rotateLeft(a23 ^ d2, 15)
                let b41 = rotateLeft(a24 ^ d2, 61)
                let b01 = rotateLeft(a30 ^ d3, 28)
                let b14 = rotateLeft(a31 ^ d3, 55)
                let b22 = rotateLeft(a32 ^ d3, 25)
                let b30 = rotateLeft(a33 ^ d3, 21)
                let b43 = rotateLeft(a34 ^ d3, 56)
                let b03 = rotateLeft(a40 ^ d4, 27)
                let b11 = rotateLeft(a41 ^ d4, 20)
                let b24 = rotateLeft(a42 ^ d4, 39)
                let b32 = rotateLeft(a43 ^ d4, 8)
                let b40 = rotateLeft(a44 ^ d4, 14)
                a00 = b00 ^ (~b10 & b20)
                a10 = b10 ^ (~b20 & b30)
                a20 = b20 ^ (~b30 & b40)
                a30 = b30 ^ (~b40 & b00)
                a40 = b40 ^ (~b00 & b10)
                a01 = b01 ^ (~b11 & b21)
                a11 = b11 ^ (~b21 & b31)
                a21 = b21 ^ (~b31 & b41)
                a31 = b31 ^ (~b41 & b01)
                a41 = b41 ^ (~b01 & b11)
                a02 = b02 ^ (~b12 & b22)
                a12 = b12 ^ (~b22 & b32)
                a22 = b22 ^ (~b32 & b42)
                a32 = b32 ^ (~b42 & b02)
                a42 = b42 ^ (~b02 & b12)
                a03 = b03 ^ (~b13 & b23)
                a13 = b13 ^ (~b23 & b33)
                a23 = b23 ^ (~b33 & b43)
                a33 = b33 ^ (~b43 & b03)
                a43 = b43 ^ (~b03 & b13)
                a04 = b04 ^ (~b14 & b24)
                a14 = b14 ^ (~b24 & b34)
                a24 = b24 ^ (~b34 & b44)
                a34 = b34 ^ (~b44 & b04)
                a44 = b44 ^ (~b04 & b14)
                a00 ^= constants[round]
            }
            state[0] = a00
            state[1] = a10
            state[2] = a20
            state[3] = a30
            state[4] = a40
            state[5] = a01
            state[6] = a11
            state[7] = a21
            state[8] = a31
            state[9] = a41
            state[10] = a02
            state[11] = a12
            state[12] = a22
            state[13] = a32
            state[14] = a42
            state[15] = a03
            state[16] = a13
            state[17] = a23
            state[18] = a33
            state[19] = a43
            state[20] = a04
            state[21] = a14
            state[22] = a24
            state[23] = a34
            state[24] = a44
        }
    }
}
