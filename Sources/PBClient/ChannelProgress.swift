import PBCore
import PBCrypto
import PBProtocol

/// What the agent knows of one channel (its grant paying one payee), persisted between runs.
struct ChannelProgress: Sendable, Hashable {
    var chargedCumulativeAmount: UInt128 = 0
    var lastSequence: UInt64 = 0
    /// Whether this gateway has our grant (so later payloads can leave it out).
    var grantKnown = false
    var window: OpenWindow?
    /// The windows this client opened lately, the open one included (memory only, at most `recentWindowLimit`):
    /// receipts of a window's calls are MAC'd with its key and may arrive after the window was replaced.
    var recentWindows: [OpenWindow] = []
    static let recentWindowLimit = 8

    mutating func opened(_ window: OpenWindow) {
        self.window = window
        recentWindows.append(window)
        if recentWindows.count > Self.recentWindowLimit { recentWindows.removeFirst() }
    }

    struct OpenWindow: Sendable, Hashable {
        let windowId: Bytes32
        let ceiling: UInt128
        let validUntil: UInt64
        let gatewayPublicKey: [UInt8]
        var nextCallIndex: UInt64
        /// The channel's charged total when the window opened plus every price issued in it since: a call is only
        /// sent while this stays within the ceiling, so concurrent calls never overdraw the window.
        var reservedAmount: UInt128
    }

    var jsonValue: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("chargedCumulativeAmount", .string(String(chargedCumulativeAmount))),
            ("lastSequence", .string(String(lastSequence))),
            ("grantKnown", .bool(grantKnown)),
        ]
        if let window {
            members.append((
                "window",
                .object([
                    ("windowId", .string(window.windowId.hex)), ("ceiling", .string(String(window.ceiling))),
                    ("validUntil", .string(String(window.validUntil))),
                    ("gatewayPublicKey", .string(Hex.encode(window.gatewayPublicKey))),
                    ("nextCallIndex", .string(String(window.nextCallIndex))),
                    ("reservedAmount", .string(String(window.reservedAmount))),
                ])
            ))
        }
        return .object(members)
    }

    init() {}

    init?(jsonValue value: JSONValue) {
        guard let charged = value["chargedCumulativeAmount"]?.stringValue.flatMap({ UInt128($0) }),
            let sequence = value["lastSequence"]?.stringValue.flatMap({ UInt64($0) })
        else { return nil }
        chargedCumulativeAmount = charged
        lastSequence = sequence
        grantKnown = value["grantKnown"] == .bool(true)
        if let window = value["window"], let id = window["windowId"]?.stringValue.flatMap({ try? Bytes32(hex: $0) }),
            let ceiling = window["ceiling"]?.stringValue.flatMap({ UInt128($0) }),
            let validUntil = window["validUntil"]?.stringValue.flatMap({ UInt64($0) }),
            let key = window["gatewayPublicKey"]?.stringValue.flatMap({ try? Hex.decode($0) }),
            let next = window["nextCallIndex"]?.stringValue.flatMap({ UInt64($0) }),
            let reserved = window["reservedAmount"]?.stringValue.flatMap({ UInt128($0) })
        {
            // A window loaded from the state file is the open one: its receipts are checked with its key.
            opened(OpenWindow(
                windowId: id, ceiling: ceiling, validUntil: validUntil, gatewayPublicKey: key, nextCallIndex: next,
                reservedAmount: reserved))
        }
    }
}
