import PBCore
import PBCrypto
import PBProtocol

/// One payment channel: a grant paying one payee.
public struct ChannelKey: Sendable, Hashable, CustomStringConvertible {
    public let grantId: Bytes32
    public let payee: EthereumAddress

    public init(grantId: Bytes32, payee: EthereumAddress) {
        self.grantId = grantId
        self.payee = payee
    }

    public var description: String { "\(grantId.hex)/\(payee.lowercased)" }
}

/// The gateway's state of a channel (docs/PROTOCOL.md, section 5).
public struct ChannelRecord: Sendable, Hashable {
    public let key: ChannelKey
    /// What the gateway has actually charged on this channel, net of voids.
    public var chargedCumulativeAmount: UInt128
    public var lastSequence: UInt64
    /// The highest-sequence voucher accepted: what settlement will claim against.
    public var latestVoucher: SignedPaymentVoucher?
    /// The open credit window, if the latest voucher opened one.
    public var window: CreditWindow?

    public init(
        key: ChannelKey, chargedCumulativeAmount: UInt128 = 0, lastSequence: UInt64 = 0,
        latestVoucher: SignedPaymentVoucher? = nil, window: CreditWindow? = nil
    ) {
        self.key = key
        self.chargedCumulativeAmount = chargedCumulativeAmount
        self.lastSequence = lastSequence
        self.latestVoucher = latestVoucher
        self.window = window
    }

    /// What a refusal tells the client so it can resynchronise.
    public var state: ChannelState {
        ChannelState(grantId: key.grantId, chargedCumulativeAmount: chargedCumulativeAmount, lastSequence: lastSequence)
    }
}

/// An open credit window: the voucher's ceiling, and which call indexes have been used.
public struct CreditWindow: Sendable, Hashable {
    /// Calls this far below the highest index seen are refused as too old (docs/PROTOCOL.md, section 8).
    public static let replayWindowCalls: UInt64 = 1_024

    public let windowId: Bytes32
    public let sequence: UInt64
    /// The voucher's cumulative amount: charges in the window may raise the channel's total up to here.
    public let ceiling: UInt128
    public let validUntil: UInt64
    /// The session key's compressed public key, from which the gateway derives the window key.
    public let sessionPublicKey: [UInt8]
    public private(set) var highestCallIndex: UInt64
    /// Bit i of word w marks index `highestCallIndex - (64 * w + i)` as used.
    public private(set) var usedCalls: [UInt64]

    public init(
        windowId: Bytes32, sequence: UInt64, ceiling: UInt128, validUntil: UInt64, sessionPublicKey: [UInt8],
        highestCallIndex: UInt64 = 0, usedCalls: [UInt64]? = nil
    ) {
        self.windowId = windowId
        self.sequence = sequence
        self.ceiling = ceiling
        self.validUntil = validUntil
        self.sessionPublicKey = sessionPublicKey
        self.highestCallIndex = highestCallIndex
        self.usedCalls = usedCalls ?? [UInt64](repeating: 0, count: Int(Self.replayWindowCalls / 64))
        precondition(self.usedCalls.count == Int(Self.replayWindowCalls / 64), "replay bitmap has a fixed size")
    }

    /// Whether `callIndex` may still be used: not seen, and not older than the replay window.
    public func isFresh(_ callIndex: UInt64) -> Bool {
        guard callIndex > 0 else { return false }
        if callIndex > highestCallIndex { return true }
        let age = highestCallIndex - callIndex
        guard age < Self.replayWindowCalls else { return false }
        return usedCalls[Int(age / 64)] & (1 << (age % 64)) == 0
    }

    /// Marks `callIndex` used, sliding the window forward when it is the newest.
    public mutating func markUsed(_ callIndex: UInt64) {
        precondition(isFresh(callIndex), "a call index is used once")
        if callIndex > highestCallIndex {
            shift(by: callIndex - highestCallIndex)
            highestCallIndex = callIndex
        }
        let age = highestCallIndex - callIndex
        usedCalls[Int(age / 64)] |= 1 << (age % 64)
    }

    /// Ages every used index by `distance`: a left shift of the 1,024-bit map (word 0 holds the youngest).
    private mutating func shift(by distance: UInt64) {
        guard distance < Self.replayWindowCalls else {
            usedCalls = usedCalls.map { _ in 0 }
            return
        }
        // In place, from the oldest word down, so each word is read before it is overwritten (every call of a window
        // shifts the map by one; a fresh array per call was an allocation on the hot path).
        let wordShift = Int(distance / 64), bitShift = distance % 64
        for target in stride(from: usedCalls.count - 1, through: 0, by: -1) {
            guard target >= wordShift else {
                usedCalls[target] = 0
                continue
            }
            let source = target - wordShift
            var word = usedCalls[source] << bitShift
            if bitShift > 0, source > 0 { word |= usedCalls[source - 1] >> (64 - bitShift) }
            usedCalls[target] = word
        }
    }
}
