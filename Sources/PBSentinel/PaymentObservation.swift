import Foundation
import PBCore
import PBCrypto

/// One payment as Sentinel sees it, just before the gateway charges it: who pays, whom, for what, how much, when,
/// from where, and how much of the grant is left. The gateway builds it from the verified payment and the grant it
/// read for the charge (`GrantRecord`), so this module needs neither HTTP nor the store.
public struct PaymentObservation: Sendable, Hashable {
    /// The session grant's id: Sentinel's name for the key.
    public var keyID: Bytes32
    public var owner: EthereumAddress
    public var service: String
    public var payee: EthereumAddress
    /// The price, in base units.
    public var amount: UInt128
    public var time: UnixTime
    /// As the gateway saw it (after its trusted-proxy rules); nil when unknown.
    public var clientIP: String?
    /// What the grant had left before this payment, in base units.
    public var remainingBeforePayment: UInt128
    /// The grant's total limit, in base units.
    public var totalLimit: UInt128

    public init(
        keyID: Bytes32, owner: EthereumAddress, service: String, payee: EthereumAddress, amount: UInt128,
        time: UnixTime, clientIP: String? = nil, remainingBeforePayment: UInt128, totalLimit: UInt128
    ) {
        self.keyID = keyID
        self.owner = owner
        self.service = service
        self.payee = payee
        self.amount = amount
        self.time = time
        self.clientIP = clientIP
        self.remainingBeforePayment = remainingBeforePayment
        self.totalLimit = totalLimit
    }

    /// What the grant has left once this payment is charged.
    var remainingAfterPayment: UInt128 { remainingBeforePayment > amount ? remainingBeforePayment - amount : 0 }

    /// ln(1 + amount): the statistics work on logarithms because amounts are positive and right-skewed, and a
    /// tenfold jump should weigh the same at every price level. A `Double`: a statistic, not money.
    static func logarithm(of amount: UInt128) -> Double {
        // Below 2^64 (every real payment) the UInt64 conversion rounds exactly as the UInt128 one, without the generic
        // conversion path `Double(UInt128)` takes (the largest single cost of a judgement in a profile).
        log1p(amount <= UInt128(UInt64.max) ? Double(UInt64(truncatingIfNeeded: amount)) : Double(amount))
    }

    /// ln of the seconds between two payments, never below 10 ms (concurrent calls arrive "at once").
    static func logarithmOfGap(from previous: UnixTime, to time: UnixTime) -> Double {
        log(max(Double(time.milliseconds - previous.milliseconds), 10) / 1_000)
    }
}

/// A payment the gateway refused by its own checks (replayed sequence, bad MAC, exhausted limit...), reported so
/// that a storm of refusals on one key can freeze it.
public struct RefusalObservation: Sendable, Hashable {
    public var keyID: Bytes32
    public var owner: EthereumAddress
    /// The protocol's error code, e.g. `pb_sequence_replayed` (kept for the event's details).
    public var code: String
    public var time: UnixTime
    public var clientIP: String?

    public init(keyID: Bytes32, owner: EthereumAddress, code: String, time: UnixTime, clientIP: String? = nil) {
        self.keyID = keyID
        self.owner = owner
        self.code = code
        self.time = time
        self.clientIP = clientIP
    }
}

/// FNV-1a, 64 bits: a stable hash for remembering payees and services across restarts (`Hasher` is seeded per
/// process, so its values would not survive a snapshot).
enum StableHash {
    static func of<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// The first 8 bytes as a number: grant ids and addresses are already hash outputs, so they spread shards evenly.
    static func prefix(_ bytes: [UInt8]) -> UInt64 {
        bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
