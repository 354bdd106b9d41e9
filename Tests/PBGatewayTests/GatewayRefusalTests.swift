import Foundation
import NIOHTTP1
import PBCore
import PBCrypto
import PBGateway
import PBProtocol
import PBStore
import Testing

/// A request the gateway must refuse: how to get there, and what the answer must say.
struct RefusalCase: Sendable, CustomTestStringConvertible {
    let name: String
    let status: Int
    let code: String
    var setup: GrantSetup = .paidOnce
    var grant: @Sendable (GatewayFixture) -> SignedSessionGrant = { $0.grant() }
    /// Prepares whatever the case needs beyond `setup` (a freeze, an open window) and returns the refused request.
    let request: @Sendable (RefusalBench) async throws -> RefusedRequest

    var testDescription: String { name }

    /// Refusals of the payment gate carry an offer to pay with; 404 and management 401s have nothing to offer.
    var carriesOffer: Bool { !["not_found", "unauthorized"].contains(code) }
}

struct RefusedRequest: Sendable {
    var method: HTTPMethod = .POST
    var path: String = RefusalBench.path
    var headers: [(String, String)]

    static func paying(_ header: String) -> RefusedRequest { RefusedRequest(headers: [("PAYMENT-SIGNATURE", header)]) }
}

private let testStart = UInt64(SystemWallClock().now.seconds)

/// One case per check of docs/PROTOCOL.md section 10 and per kind of malformed input.
private let refusalCases: [RefusalCase] = [
    // Check 1 and 2: the header itself.
    RefusalCase(name: "no payment header", status: 402, code: "payment_required") { _ in RefusedRequest(headers: []) },
    RefusalCase(name: "X-PAYMENT only (x402 v1)", status: 400, code: "invalid_x402_version") { bench in
        RefusedRequest(headers: [("X-PAYMENT", try await bench.validHeader())])
    },
    RefusalCase(name: "not base64", status: 400, code: "invalid_payload") { _ in .paying("!!not*base64!!") },
    RefusalCase(name: "base64 of text that is not JSON", status: 400, code: "invalid_payload") { _ in
        .paying(MalformedInput.base64("pay me, gateway"))
    },
    RefusalCase(name: "a JSON array", status: 400, code: "invalid_payload") { _ in .paying(MalformedInput.base64("[2,{}]")) },
    RefusalCase(name: "accepted missing", status: 400, code: "invalid_payload") { bench in
        let payload = try JSONValue.parse(Data(base64Encoded: try await bench.validHeader())!.map { $0 })
        return .paying(MalformedInput.base64(MalformedInput.removing("accepted", from: payload).serialized()))
    },
    // 20,000 base64 characters: over the 16 KB limit, under what the HTTP server itself accepts.
    RefusalCase(name: "header over 16 KB", status: 431, code: "invalid_payload") { _ in
        .paying(String(repeating: "A", count: 20_000))
    },
    RefusalCase(name: "x402Version 1 in PAYMENT-SIGNATURE", status: 400, code: "invalid_x402_version") { bench in
        .paying(try bench.header(SessionPaymentPayload.voucher(grant: nil, voucher: try await bench.voucher()).jsonValue, x402Version: 1))
    },
    // Checks 3 to 5: the accepted requirements.
    RefusalCase(name: "scheme exact", status: 402, code: "unsupported_scheme") { bench in
        try await .paying(bench.tamperedOffer { $0.scheme = "exact" })
    },
    RefusalCase(name: "another network", status: 402, code: "invalid_network") { bench in
        try await .paying(bench.tamperedOffer { $0.network = Network(rawValue: "eip155:1") })
    },
    RefusalCase(name: "another payTo", status: 402, code: "pb_requirements_mismatch") { bench in
        try await .paying(bench.tamperedOffer { $0.payTo = PrivateKey.random().address.checksummed })
    },
    RefusalCase(name: "amount below the price", status: 402, code: "pb_requirements_mismatch") { bench in
        try await .paying(bench.tamperedOffer { $0.amount = "5000" })
    },
    // A client that lowers the amount and re-dates the quote still cannot forge the quote's MAC.
    RefusalCase(name: "edited quote", status: 402, code: "pb_requirements_mismatch") { bench in
        try await .paying(bench.tamperedOffer { accepted in
            accepted.amount = "5000"
            var extra = try! SessionRequirementsExtra(extra: accepted.extra)
            extra.quoteExpiresAt += 3_600
            accepted.extra = extra.jsonValue
        })
    },
    // A quote holds its price until quoteExpiresAt (the default 60 s TTL): honoured one second before, not at it.
    RefusalCase(name: "quote expired after a price change", status: 402, code: "pb_quote_expired") { bench in
        try await bench.changePrice(from: "0.01", to: "0.02")
        try bench.advanceClock(bySeconds: 59)
        try await bench.pay()
        try bench.advanceClock(bySeconds: 1)
        return .paying(try await bench.validHeader())
    },
    // Checks 6 and 7: the payload's shape and signatures.
    RefusalCase(name: "unknown payload type", status: 400, code: "invalid_payload") { bench in
        .paying(try bench.header(.object([("type", .string("transfer")), ("grantId", .string(bench.grant.digest.hex))])))
    },
    RefusalCase(name: "voucher without signature", status: 400, code: "invalid_payload") { bench in
        let payload = SessionPaymentPayload.voucher(grant: nil, voucher: try await bench.voucher()).jsonValue
        return .paying(try bench.header(MalformedInput.removing("signature", at: ["voucher"], from: payload)))
    },
    RefusalCase(name: "64-byte signature", status: 400, code: "pb_signature_malformed") { bench in
        let voucher = try await bench.voucher()
        return .paying(try bench.header(voucher.withSignature(Array(voucher.signatureBytes.prefix(64)))))
    },
    RefusalCase(name: "high-s signature", status: 400, code: "pb_signature_malformed") { bench in
        let voucher = try await bench.voucher()
        return .paying(try bench.header(voucher.withSignature(MalformedInput.highS(voucher.signatureBytes))))
    },
    // Checks 8 to 11: the grant and the voucher's signatures and validity.
    RefusalCase(name: "grant unknown", status: 402, code: "pb_grant_unknown", setup: .unregistered) { bench in
        .paying(try bench.header(try await bench.voucher()))
    },
    RefusalCase(
        name: "grant signed by a non-owner", status: 402, code: "pb_grant_signature_invalid", setup: .unregistered,
        grant: { $0.grant(signer: .random()) }
    ) { bench in .paying(try bench.header(try await bench.voucher(), includeGrant: true)) },
    RefusalCase(
        name: "grant signed for another chain", status: 402, code: "pb_grant_signature_invalid", setup: .unregistered,
        grant: { $0.grant(domain: PBSessionDomain.make(chainId: 1)) }
    ) { bench in .paying(try bench.header(try await bench.voucher(), includeGrant: true)) },
    RefusalCase(name: "voucher signed by another key", status: 402, code: "pb_voucher_signature_invalid") { bench in
        .paying(try bench.header(try await bench.voucher(signer: .random())))
    },
    RefusalCase(
        name: "expired grant", status: 402, code: "pb_grant_expired", setup: .unregistered,
        grant: { $0.grant(validAfter: testStart - 7_200, validUntil: testStart - 3_600) }
    ) { bench in .paying(try bench.header(try await bench.voucher(), includeGrant: true)) },
    RefusalCase(
        name: "grant not yet valid", status: 402, code: "pb_grant_not_yet_valid", setup: .unregistered,
        grant: { $0.grant(validAfter: testStart + 3_600) }
    ) { bench in .paying(try bench.header(try await bench.voucher(), includeGrant: true)) },
    RefusalCase(name: "expired voucher", status: 402, code: "pb_voucher_expired") { bench in
        // The gateway's (stopped) clock, not testStart: a global is set on first use, which may be after the clock.
        .paying(try bench.header(try await bench.voucher(validUntil: UInt64(bench.gateway.clock.now.seconds) - 1)))
    },
    // Checks 12 and 13: the key may still pay, this payee, for this service.
    RefusalCase(name: "frozen key", status: 403, code: "pb_key_frozen") { bench in
        try await bench.changeStatus("freeze")
        return .paying(try await bench.validHeader())
    },
    RefusalCase(name: "revoked grant", status: 403, code: "pb_grant_revoked") { bench in
        try await bench.changeStatus("revoke")
        return .paying(try await bench.validHeader())
    },
    RefusalCase(
        name: "voucher payee is not payTo", status: 403, code: "pb_payee_mismatch",
        grant: { $0.grant(payees: [$0.payee, otherPayee]) }
    ) { bench in .paying(try bench.header(try await bench.voucher(payee: otherPayee))) },
    RefusalCase(
        name: "grant excludes the payee", status: 403, code: "pb_payee_not_allowed", setup: .registered,
        grant: { $0.grant(payees: [otherPayee]) }
    ) { bench in .paying(try await bench.validHeader()) },
    RefusalCase(
        name: "grant excludes the chat service", status: 403, code: "pb_service_not_allowed", setup: .registered,
        grant: { $0.grant(services: ["search"]) }
    ) { bench in .paying(try await bench.validHeader()) },
    // Checks 14 to 19: this request, this price, this channel's state, the grant's limits.
    RefusalCase(name: "bound to another path", status: 402, code: "pb_request_binding_mismatch") { bench in
        let binding = RequestBinding.compute(method: "POST", target: "/v1/other")
        return .paying(try bench.header(try await bench.voucher(requestBinding: binding)))
    },
    RefusalCase(
        name: "price above perPaymentLimit", status: 402, code: "pb_per_payment_limit_exceeded", setup: .registered,
        grant: { $0.grant(perPaymentLimit: GatewayFixture.price / 2) }
    ) { bench in .paying(try await bench.validHeader()) },
    RefusalCase(
        name: "over the total limit", status: 402, code: "pb_limit_exceeded",
        grant: { $0.grant(totalLimit: GatewayFixture.price * 3 / 2) }
    ) { bench in .paying(try await bench.validHeader()) },
    RefusalCase(name: "window call with a wrong MAC", status: 402, code: "pb_call_mac_invalid") { bench in
        let window = try await bench.openWindow()
        return .paying(try bench.callHeader(window: window, callIndex: 1, mac: Bytes32.random().bytes))
    },
    RefusalCase(name: "window call for a window that is not open", status: 402, code: "pb_window_closed") { bench in
        let window = try await bench.openWindow()
        return .paying(try bench.callHeader(window: window, windowId: .random(), callIndex: 1))
    },
    RefusalCase(name: "window call past the window's credit", status: 402, code: "pb_window_exhausted") { bench in
        // A credit of two prices: the opening request takes one, call 1 the other.
        let window = try await bench.openWindow(credit: 2 * GatewayFixture.price)
        try await bench.payCall(window: window, callIndex: 1)
        return .paying(try bench.callHeader(window: window, callIndex: 2))
    },
    // The window lasts until its voucher's validUntil (600 s after opening): a call one second before is paid.
    RefusalCase(name: "window call at the window's validUntil", status: 402, code: "pb_window_expired") { bench in
        let window = try await bench.openWindow()
        try bench.advanceClock(bySeconds: 599)
        try await bench.payCall(window: window, callIndex: 1)
        try bench.advanceClock(bySeconds: 1)
        return .paying(try bench.callHeader(window: window, callIndex: 2))
    },
    RefusalCase(name: "window call index reused", status: 402, code: "pb_sequence_replayed") { bench in
        let window = try await bench.openWindow()
        let call = try bench.callHeader(window: window, callIndex: 1)
        try #require(try await bench.send([("PAYMENT-SIGNATURE", call)]).status == 200)
        return .paying(call)
    },
    RefusalCase(
        name: "second call within a minute at maxCallsPerMinute 1", status: 429, code: "pb_rate_limited",
        grant: { $0.grant(maxCallsPerMinute: 1) }
    ) { bench in .paying(try await bench.validHeader()) },
    RefusalCase(
        name: "over the period limit", status: 402, code: "pb_period_limit_exceeded",
        grant: { $0.grant(periodLimit: GatewayFixture.price * 3 / 2, periodSeconds: 3_600) }
    ) { bench in .paying(try await bench.validHeader()) },
    // Outside the payment gate.
    RefusalCase(name: "unknown path", status: 404, code: "not_found") { bench in
        RefusedRequest(path: "/v1/nothing-here", headers: [("PAYMENT-SIGNATURE", try await bench.validHeader())])
    },
    RefusalCase(name: "freeze without an API key", status: 401, code: "unauthorized") { bench in
        RefusedRequest(path: "/v1/grants/\(bench.grant.digest.hex)/freeze", headers: [])
    },
    RefusalCase(name: "freeze with a bad API key", status: 401, code: "unauthorized") { bench in
        RefusedRequest(
            path: "/v1/grants/\(bench.grant.digest.hex)/freeze", headers: [("Authorization", "Bearer pbk_test_not_a_key")])
    },
]

private let otherPayee = PrivateKey.random().address

extension RefusalBench {
    /// A voucher-paying header whose `accepted` was edited after the gateway offered it.
    func tamperedOffer(_ edit: (inout PaymentRequirements) -> Void) async throws -> String {
        var accepted = offer
        edit(&accepted)
        return try header(SessionPaymentPayload.voucher(grant: nil, voucher: try await voucher()).jsonValue, accepted: accepted)
    }

    /// `POST /v1/grants/:id/freeze|unfreeze|revoke` with the admin key.
    func changeStatus(_ action: String) async throws {
        let response = try await gateway.admin(.POST, "/v1/grants/\(grant.digest.hex)/\(action)")
        try #require(response.status == 200, "\(action): \(response.body)")
    }
}

@Suite struct GatewayRefusalTests {
    @Test(arguments: refusalCases)
    func refusedWithTheDocumentedCodeAndNothingCharged(_ refusal: RefusalCase) async throws {
        let fixture = GatewayFixture()
        // Time stands still unless a case moves it, so expiries are exact and never depend on the machine's load.
        try await withGateway(fixture: fixture, clock: ManualWallClock(SystemWallClock().now)) { gateway in
            let bench = try await RefusalBench.make(
                fixture: fixture, gateway: gateway, grant: refusal.grant(fixture), setup: refusal.setup)
            let request = try await refusal.request(bench)
            let before = try await bench.snapshot()
            let response = try await gateway.send(request.method, request.path, headers: request.headers, body: "{}")
            #expect(response.status == refusal.status, "\(response.body)")
            #expect(try JSONValue.parse(response.body)["error"]?.stringValue == refusal.code, "\(response.body)")
            let offerHeader = response.headers.first(name: "PAYMENT-REQUIRED")
            if refusal.carriesOffer {
                let required = try PaymentHeaderCodec.decode(try #require(offerHeader), as: PaymentRequired.self)
                #expect(required.error == refusal.code)
                #expect(required.accepts.first?.scheme == "pb-session", "a refused client is told how to pay")
            } else {
                #expect(offerHeader == nil)
            }
            let after = try await bench.snapshot()
            #expect(after == before, "before: \(before)\nafter:  \(after)")
        }
    }

    /// A replayed header is not charged twice, and the client gets the receipt it already paid for.
    @Test func replayedVoucherGetsTheFirstReceiptAndIsNotChargedAgain() async throws {
        let fixture = GatewayFixture()
        try await withGateway(fixture: fixture) { gateway in
            let bench = try await RefusalBench.make(fixture: fixture, gateway: gateway, grant: fixture.grant(), setup: .unregistered)
            let first = try await bench.pay()
            let afterFirst = try await bench.snapshot()
            let replay = try await bench.send([("PAYMENT-SIGNATURE", first.header)])
            #expect(replay.status == 402)
            #expect(try JSONValue.parse(replay.body)["error"]?.stringValue == "pb_sequence_replayed")
            let required = try PaymentHeaderCodec.decode(
                try #require(replay.headers.first(name: "PAYMENT-REQUIRED")), as: PaymentRequired.self)
            #expect(required.error == "pb_sequence_replayed")
            let earlier = try PaymentHeaderCodec.decode(
                try #require(replay.headers.first(name: "PAYMENT-RESPONSE")), as: SettleResponse.self)
            // Same receipt and signature; member order is JSON's business, so compare as JSON values.
            #expect(earlier.amount == first.settle.amount)
            #expect(earlier.extra?.isEquivalent(to: first.settle.extra ?? .null) == true)
            #expect(try await bench.snapshot() == afterFirst)
            #expect(afterFirst.spent == GatewayFixture.price)
        }
    }

    /// A voucher that claims less than charged + price is refused with the gateway's view of the channel, so an
    /// honest client can resynchronise from the 402 alone.
    @Test func lowerCumulativeAmountIsRefusedWithTheGatewaysChannel() async throws {
        let fixture = GatewayFixture()
        try await withGateway(fixture: fixture) { gateway in
            let bench = try await RefusalBench.make(fixture: fixture, gateway: gateway, grant: fixture.grant(), setup: .paidOnce)
            let before = try await bench.snapshot()
            let stale = try await bench.voucher(cumulativeAmount: GatewayFixture.price)
            let response = try await bench.send([("PAYMENT-SIGNATURE", try bench.header(stale))])
            #expect(response.status == 402)
            #expect(try JSONValue.parse(response.body)["error"]?.stringValue == "pb_cumulative_mismatch")
            let required = try PaymentHeaderCodec.decode(
                try #require(response.headers.first(name: "PAYMENT-REQUIRED")), as: PaymentRequired.self)
            #expect(required.error == "pb_cumulative_mismatch")
            let extra = try SessionRequirementsExtra(extra: try #require(required.accepts.first).extra)
            let channel = try #require(extra.channel)
            #expect(channel.grantId == bench.grant.digest)
            #expect(channel.chargedCumulativeAmount == GatewayFixture.price)
            #expect(channel.lastSequence == 1)
            #expect(try await bench.snapshot() == before)
        }
    }
}
