import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PBCore
import PBCrypto
import PBProtocol
import Synchronization

/// The agent side of pb-session: holds a session key and its grant, answers 402s by itself, tracks and persists
/// what it has spent, and checks every receipt's gateway signature.
///
/// With credit windows (the default) one signed voucher pays for many calls, each authenticated by a MAC, and calls
/// may run concurrently; without them each call signs a voucher and calls to one payee are best made one at a time.
public final class PBClient: Sendable {
    public struct Options: Sendable {
        public var useCreditWindows = true
        /// Credit to open a window with (nil: as much as the gateway, the grant and its per-payment limit allow).
        public var windowCredit: UInt128?
        public var windowSeconds: UInt64 = 600
        public var timeoutSeconds: Int64 = 30
        public var maximumResponseBytes = 16 << 20
        /// Payment attempts per request. A refusal that only says another of this client's concurrent calls moved
        /// the channel first (window closed or replaced, cumulative or sequence taken) is retried after a short
        /// random pause, so that many concurrent calls on one channel settle instead of replacing each other's
        /// windows in lockstep; other refusals are retried at most twice.
        public var maximumPaymentAttempts = 8
        public init() {}
    }

    public let sessionKey: PrivateKey
    public let grant: SignedSessionGrant
    public let options: Options
    let stateFile: String?
    let httpClient: HTTPClient
    let state: Mutex<ClientState>
    /// Derived credit-window keys by window id (`windowKey(for:)`), as many as the windows a channel remembers
    /// and then some: an older window's key is derived again if ever needed.
    let windowKeys = CreditWindowKeyCache(capacity: 64)

    public init(
        sessionKey: PrivateKey, grant: SignedSessionGrant, stateFile: String? = nil, options: Options = Options(),
        httpClient: HTTPClient = .shared
    ) throws {
        guard sessionKey.address == grant.message.sessionKey else {
            throw PBClientError("the session key \(sessionKey.address) is not the grant's \(grant.message.sessionKey)")
        }
        self.sessionKey = sessionKey
        self.grant = grant
        self.options = options
        self.stateFile = stateFile
        self.httpClient = httpClient
        state = Mutex(try stateFile.map { try ClientState.load(from: $0, grantId: grant.digest) } ?? ClientState(grantId: grant.digest))
    }

    /// Charged so far under the grant, from the gateway's receipts.
    public var spent: UInt128 { state.withLock { $0.channels.values.reduce(0) { $0 + $1.chargedCumulativeAmount } } }
    public var remaining: UInt128 { grant.message.totalLimit - min(spent, grant.message.totalLimit) }

    /// Sends a request, paying when asked. Returns the final response (a refusal stays a 4xx/402 response with the
    /// gateway's JSON error); throws only when the gateway cannot be reached.
    public func send(
        method: String, url: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) async throws -> PaidResponse {
        guard let components = URLComponents(string: url), components.host != nil else {
            throw PBClientError("not an absolute URL: \(url.prefix(200))")
        }
        let target = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
            + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        let offerKey = "\(method.uppercased()) \(components.percentEncodedPath)"
        var paymentHeader = try state.withLock { state in
            try state.offers[offerKey].flatMap { try preparePayment($0, method: method, target: target, state: &state, onlyIfWindowOpen: true) }
        }
        var racesLost = 0
        for attempt in 0..<max(options.maximumPaymentAttempts, 3) {
            if racesLost > 0 {
                // 2-20 ms, growing with each race lost: the calls that won finish meanwhile.
                try await Task.sleep(for: .milliseconds(Int.random(in: 2...20) * min(racesLost, 4)))
            }
            let response = try await execute(method: method, url: url, headers: headers, body: body, payment: paymentHeader)
            guard response.status == 402, let required = response.paymentRequired else {
                var paid = response
                paid.receipt = try record(response)
                return paid
            }
            guard let entry = required.accepts.first(where: { $0.scheme == SessionPaymentPayload.scheme }),
                let extra = try? SessionRequirementsExtra(extra: entry.extra)
            else { return response }
            // Learning from the refusal and preparing the retry happen under one lock: with many calls in flight,
            // another call's older refusal could otherwise rewind the channel in between, and this retry would be
            // built from a state older than the one the gateway just sent it (and be refused again).
            let retry = try state.withLock { state -> (resumable: Bool, header: String?) in
                state.offers[offerKey] = entry
                guard state.absorb(refusal: required.error ?? "", entry: entry, extra: extra) else { return (false, nil) }
                return (true, try preparePayment(entry, method: method, target: target, state: &state, onlyIfWindowOpen: false))
            }
            guard retry.resumable else { return response }
            try persist()
            if ClientState.isChannelRace(required.error ?? "") {
                racesLost += 1
            } else if attempt - racesLost >= 2 {
                break
            }
            paymentHeader = retry.header
        }
        throw PBClientError("the gateway kept refusing the payment for \(method) \(url.prefix(200))")
    }

    private func preparePayment(
        _ entry: PaymentRequirements, method: String, target: String, state: inout ClientState, onlyIfWindowOpen: Bool
    ) throws -> String? {
        guard let extra = try? SessionRequirementsExtra(extra: entry.extra), let price = UInt128(entry.amount) else {
            throw PBClientError("the gateway's pb-session offer is malformed")
        }
        let payee = try EthereumAddress(entry.payTo)
        state.gateways[payee.lowercased] = extra.gatewayPublicKey.address
        let binding = RequestBinding.compute(method: method, target: target)
        let now = UInt64(clamping: SystemWallClock().now.seconds)
        var channel = state.channels[payee.lowercased] ?? ChannelProgress()
        defer { state.channels[payee.lowercased] = channel }
        let payload: SessionPaymentPayload
        if options.useCreditWindows, var window = channel.window, now < window.validUntil,
            window.reservedAmount + price <= window.ceiling
        {
            let callIndex = window.nextCallIndex
            window.nextCallIndex += 1
            window.reservedAmount += price
            channel.window = window
            let key = try windowKey(for: window)
            payload = .call(SessionCall(
                grantId: grant.digest, windowId: window.windowId, callIndex: callIndex,
                mac: key.mac(callIndex: callIndex, requestBinding: binding, amount: price)))
        } else {
            guard !onlyIfWindowOpen else { return nil }
            payload = try voucherPayload(
                price: price, payee: payee, binding: binding, extra: extra, channel: &channel, now: now)
        }
        let paymentPayload = PaymentPayload(accepted: entry, payload: payload.jsonValue)
        return try PaymentHeaderCodec.encode(paymentPayload)
    }

    private func voucherPayload(
        price: UInt128, payee: EthereumAddress, binding: Bytes32, extra: SessionRequirementsExtra,
        channel: inout ChannelProgress, now: UInt64
    ) throws -> SessionPaymentPayload {
        let limits = grant.message
        let charged = channel.chargedCumulativeAmount
        var ceiling = charged + price
        var requestBinding = binding
        let validUntil = min(now + options.windowSeconds, limits.validUntil - 1)
        if options.useCreditWindows {
            var credit = min(options.windowCredit ?? extra.maxWindowCredit, extra.maxWindowCredit, limits.totalLimit - min(charged, limits.totalLimit))
            if limits.perPaymentLimit > 0 { credit = min(credit, limits.perPaymentLimit) }
            if credit >= price {
                ceiling = charged + credit
                requestBinding = .zero
            }
        }
        channel.lastSequence += 1
        let voucher = PaymentVoucher(
            grantId: grant.digest, payee: payee, cumulativeAmount: ceiling, sequence: channel.lastSequence,
            requestBinding: requestBinding, validUntil: validUntil)
        let signed = SignedPaymentVoucher.sign(voucher, domain: extra.domain, with: sessionKey)
        if requestBinding.isZero {
            channel.opened(ChannelProgress.OpenWindow(
                windowId: signed.digest, ceiling: ceiling, validUntil: validUntil,
                gatewayPublicKey: extra.gatewayPublicKey.compressedBytes, nextCallIndex: 1, reservedAmount: charged + price))
        } else {
            channel.window = nil
        }
        let includedGrant = channel.grantKnown ? nil : grant
        return .voucher(grant: includedGrant, voucher: signed)
    }
}

extension PBClient {
    /// The window's key, derived once per window (an ECDH, ~55 µs) rather than once per call and per receipt:
    /// both happen under the state lock, so concurrent calls would otherwise queue behind repeated derivations.
    func windowKey(for window: ChannelProgress.OpenWindow) throws -> CreditWindowKey {
        try windowKeys.key(windowId: window.windowId) {
            CreditWindowKey(
                sessionKey: sessionKey, gatewayPublicKey: try PublicKey(bytes: window.gatewayPublicKey),
                windowId: window.windowId)
        }
    }
}
