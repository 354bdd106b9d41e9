import Foundation
import NIOHTTP1
import PBCore
import PBCrypto
import PBGateway
import PBProtocol
import PBStore
import Testing

/// What a refusal must leave untouched: the grant's spend and status, every payment the gateway holds, and the
/// channel the payment named. Two snapshots around a refused request must be equal.
struct StateSnapshot: Equatable, CustomStringConvertible {
    let spent: UInt128?
    let status: GrantStatus?
    let payments: [PaymentRecord]
    let channel: ChannelRecord?

    static func take(_ gateway: RunningGateway, channel key: ChannelKey) async throws -> StateSnapshot {
        let grant = try await gateway.store.grant(key.grantId)
        // All grants' payments, not just this one's: a refusal must not charge anyone.
        let payments = try await gateway.store.payments(grantId: nil, after: nil, limit: 500).items
        return StateSnapshot(
            spent: grant?.spent, status: grant?.status, payments: payments, channel: try await gateway.store.channel(key))
    }

    var description: String {
        let channelText = channel.map { "charged \($0.chargedCumulativeAmount) seq \($0.lastSequence) window \($0.window != nil)" }
        return "spent \(spent.map(String.init) ?? "-") status \(status?.rawValue ?? "-") "
            + "payments \(payments.map(\.status)) channel \(channelText ?? "-")"
    }
}

/// How far the grant got into the gateway before the refused request.
enum GrantSetup: Sendable {
    /// The gateway has never seen the grant.
    case unregistered
    /// Registered through `POST /v1/grants`, nothing paid (for grants no payment can pass).
    case registered
    /// Paid once for real (the grant included), so there is a charge, a sequence and a payment to protect.
    case paidOnce
}

/// A live gateway, one grant and the offer for `POST /v1/chat`: what each refusal case builds its request from.
struct RefusalBench: Sendable {
    static let path = "/v1/chat"

    let fixture: GatewayFixture
    let gateway: RunningGateway
    let grant: SignedSessionGrant
    /// `accepts[0]` of an unpaid request's `PAYMENT-REQUIRED`, exactly as a client would echo it.
    let offer: PaymentRequirements

    var channelKey: ChannelKey { ChannelKey(grantId: grant.digest, payee: fixture.payee) }
    var binding: Bytes32 { RequestBinding.compute(method: "POST", target: Self.path) }

    static func make(
        fixture: GatewayFixture, gateway: RunningGateway, grant: SignedSessionGrant, setup: GrantSetup
    ) async throws -> RefusalBench {
        let unpaid = try await gateway.send(.POST, path)
        let required = try PaymentHeaderCodec.decode(
            try #require(unpaid.headers.first(name: "PAYMENT-REQUIRED")), as: PaymentRequired.self)
        let bench = RefusalBench(
            fixture: fixture, gateway: gateway, grant: grant, offer: try #require(required.accepts.first))
        switch setup {
        case .unregistered: break
        case .registered: try await bench.register()
        case .paidOnce: _ = try await bench.pay()
        }
        return bench
    }

    func snapshot() async throws -> StateSnapshot { try await StateSnapshot.take(gateway, channel: channelKey) }

    func send(_ headers: [(String, String)]) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        try await gateway.send(.POST, Self.path, headers: headers, body: "{}")
    }

    func register() async throws {
        let response = try await gateway.admin(.POST, "/v1/grants", body: grant.documentJSON.serialized())
        try #require(response.status == 201, "registering the grant: \(response.body)")
    }

    /// A voucher that continues the channel as the gateway sees it (charged + price, last sequence + 1) unless told
    /// otherwise, signed by the agent.
    func voucher(
        cumulativeAmount: UInt128? = nil, sequence: UInt64? = nil, requestBinding: Bytes32? = nil,
        payee: EthereumAddress? = nil, validUntil: UInt64? = nil, signer: PrivateKey? = nil
    ) async throws -> SignedPaymentVoucher {
        let channel = try await gateway.store.channel(channelKey)
        let now = UInt64(gateway.clock.now.seconds)
        let voucher = PaymentVoucher(
            grantId: grant.digest, payee: payee ?? fixture.payee,
            cumulativeAmount: cumulativeAmount ?? (channel?.chargedCumulativeAmount ?? 0) + GatewayFixture.price,
            sequence: sequence ?? (channel?.lastSequence ?? 0) + 1, requestBinding: requestBinding ?? binding,
            validUntil: validUntil ?? now + 600)
        return SignedPaymentVoucher.sign(voucher, domain: fixture.domain, with: signer ?? fixture.agent)
    }

    /// `PAYMENT-SIGNATURE` for `payload`, echoing the offer (or `accepted`, for cases that tamper with it).
    func header(_ payload: JSONValue, accepted: PaymentRequirements? = nil, x402Version: Int = 2) throws -> String {
        try PaymentHeaderCodec.encode(PaymentPayload(x402Version: x402Version, accepted: accepted ?? offer, payload: payload))
    }

    func header(_ voucher: SignedPaymentVoucher, includeGrant: Bool = false) throws -> String {
        try header(SessionPaymentPayload.voucher(grant: includeGrant ? grant : nil, voucher: voucher).jsonValue)
    }

    /// A correct single payment for the next call.
    func validHeader(includeGrant: Bool = true) async throws -> String {
        try header(try await voucher(), includeGrant: includeGrant)
    }

    /// Pays one call for real; returns the header and the `PAYMENT-RESPONSE` it earned.
    @discardableResult
    func pay() async throws -> (header: String, settle: SettleResponse) {
        let header = try await validHeader()
        let response = try await send([("PAYMENT-SIGNATURE", header)])
        try #require(response.status == 200, "the priming payment: \(response.body)")
        let settle = try PaymentHeaderCodec.decode(
            try #require(response.headers.first(name: "PAYMENT-RESPONSE")), as: SettleResponse.self)
        return (header, settle)
    }

    /// Opens a credit window (paying its first call) and returns the agent's window key.
    func openWindow(credit: UInt128 = 100 * GatewayFixture.price) async throws -> CreditWindowKey {
        let charged = try await gateway.store.channel(channelKey)?.chargedCumulativeAmount ?? 0
        let opening = try await voucher(cumulativeAmount: charged + credit, requestBinding: .zero)
        let response = try await send([("PAYMENT-SIGNATURE", try header(opening, includeGrant: true))])
        try #require(response.status == 200, "opening the window: \(response.body)")
        return CreditWindowKey(
            sessionKey: fixture.agent, gatewayPublicKey: fixture.gatewayKey.publicKey, windowId: opening.digest)
    }

    /// Pays call `callIndex` of `window` for real.
    func payCall(window: CreditWindowKey, callIndex: UInt64) async throws {
        let response = try await send([("PAYMENT-SIGNATURE", try callHeader(window: window, callIndex: callIndex))])
        try #require(response.status == 200, "call \(callIndex) of the window: \(response.body)")
    }

    /// Moves the gateway's time forward, for the cases about expiry.
    func advanceClock(bySeconds seconds: Int64) throws {
        let clock = try #require(gateway.clock as? ManualWallClock, "the gateway must run on a ManualWallClock")
        clock.advance(bySeconds: seconds)
    }

    /// Reprices every paid route of the chat service through the management API (as a merchant would).
    func changePrice(from oldPrice: String, to newPrice: String) async throws {
        let chat = try JSONValue.parse(try await gateway.admin(.GET, "/v1/services/chat").body).serialized()
        let repriced = chat.replacingOccurrences(of: #""price":"\#(oldPrice)""#, with: #""price":"\#(newPrice)""#)
        let response = try await gateway.admin(.PUT, "/v1/services/chat", body: repriced)
        try #require(response.status == 200, "repricing: \(response.body)")
    }

    /// A call inside `window`, with the right MAC for this request unless `mac` is given.
    func callHeader(window: CreditWindowKey, windowId: Bytes32? = nil, callIndex: UInt64, mac: [UInt8]? = nil) throws
        -> String
    {
        let mac = mac ?? window.mac(callIndex: callIndex, requestBinding: binding, amount: GatewayFixture.price)
        let call = SessionCall(grantId: grant.digest, windowId: windowId ?? window.windowId, callIndex: callIndex, mac: mac)
        return try header(SessionPaymentPayload.call(call).jsonValue)
    }
}

/// Raw header values and payload surgery for the malformed-input cases.
enum MalformedInput {
    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// `value` without the member `key` of the object found by following `path`.
    static func removing(_ key: String, at path: [String] = [], from value: JSONValue) -> JSONValue {
        guard let members = value.objectMembers else { return value }
        guard let first = path.first else { return .object(members.filter { $0.key != key }) }
        return .object(members.map { member in
            member.key == first
                ? (key: member.key, value: removing(key, at: Array(path.dropFirst()), from: member.value)) : member
        })
    }

    /// The same signature with s replaced by n - s (and v flipped): valid for the same key, but not low-s (EIP-2).
    static func highS(_ signature: [UInt8]) -> [UInt8] {
        let order: [UInt8] = Hex.decodeUnchecked("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
        var s = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for index in stride(from: 31, through: 0, by: -1) {
            var difference = Int(order[index]) - Int(signature[32 + index]) - borrow
            borrow = difference < 0 ? 1 : 0
            if difference < 0 { difference += 256 }
            s[index] = UInt8(difference)
        }
        return Array(signature[0..<32]) + s + [signature[64] == 27 ? 28 : 27]
    }
}

extension Hex {
    /// For literals in tests only.
    static func decodeUnchecked(_ text: String) -> [UInt8] { try! decode(text) }
}

extension SignedPaymentVoucher {
    /// The same message with other signature bytes, for the malformed-signature cases.
    func withSignature(_ bytes: [UInt8]) -> SignedPaymentVoucher {
        SignedPaymentVoucher(message: message, domain: domain, signatureBytes: bytes)
    }
}
