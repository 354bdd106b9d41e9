import CSecp256k1

/// The one libsecp256k1 context the process uses.
///
/// libsecp256k1 documents every function that takes a `const secp256k1_context*` as safe to call from any thread
/// at once. The only mutation, randomization, happens in `init`, before `shared` is published (Swift runs a static
/// initializer exactly once), so sharing the pointer across tasks is sound; that is what `@unchecked` asserts.
final class Secp256k1Context: @unchecked Sendable {
    static let shared = Secp256k1Context()

    let pointer: OpaquePointer

    private init() {
        guard let context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)) else {
            fatalError("secp256k1_context_create failed")
        }
        // Blinding the signing tables with secret randomness protects keys against timing and power side channels.
        var generator = SystemRandomNumberGenerator()
        var seed = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        guard secp256k1_context_randomize(context, &seed) == 1 else {
            fatalError("secp256k1_context_randomize failed")
        }
        pointer = context
    }

    deinit { secp256k1_context_destroy(pointer) }
}

/// The curve order n and n/2 as 32 big-endian bytes; byte-wise order equals numeric order at fixed width.
enum Secp256k1Order {
    static let n: [UInt8] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
        0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
    ]
    static let halfN: [UInt8] = [
        0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
    ]

    /// True when the 32 big-endian bytes are in 1..<n.
    static func isValidScalar(_ scalar: UnsafeRawBufferPointer) -> Bool {
        scalar.contains { $0 != 0 } && scalar.lexicographicallyPrecedes(n)
    }

    /// True when the 32 big-endian bytes exceed n/2.
    static func isHigh(_ scalar: UnsafeRawBufferPointer) -> Bool {
        halfN.lexicographicallyPrecedes(scalar)
    }
}
