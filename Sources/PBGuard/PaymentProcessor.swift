import PBCore
import PBCrypto
import PBProtocol
import PBStore

/// Verifies pb-session payments and charges them: docs/PROTOCOL.md section 10, checks 2 to 19, in order.
///
/// Checks that need no stored state (signatures, MACs, validity windows) run before the store is touched; the
/// stateful ones run inside the store's charge transaction through `ChargeDecider`.
public final class PaymentProcessor: Sendable {
    public let store: any GatewayStore
    public let domain: EIP712Domain
    public let gatewayKey: PrivateKey
    public let quoteTTLSeconds: UInt64
    public let maxWindowCredit: UInt128
    private let clock: any WallClock
    private let verifier: SessionVerifier
    private let decider: ChargeDecider
    private let quotes: QuoteSigner
    private let windowKeys: WindowKeyCache
    private let grants: GrantCache
    /// EIP-55 texts of the payees and payers receipts name.
    private let addressTexts = ChecksummedAddressCache()
    /// The CAIP-2 network of this gateway's receipts.
    private let network: Network
    /// Sentinel, judging each payment inside the charge's transaction; nil: no risk checks at all.
    public let risk: PaymentRiskGate?

    public init(
        store: any GatewayStore, gatewayKey: PrivateKey, domain: EIP712Domain, clock: any WallClock,
        quoteTTLSeconds: UInt64 = 60, maxWindowCredit: UInt128 = 1_000_000, risk: PaymentRiskGate? = nil
    ) {
        self.store = store
        self.risk = risk
        self.gatewayKey = gatewayKey
        self.domain = domain
        self.clock = clock
        self.quoteTTLSeconds = quoteTTLSeconds
        self.maxWindowCredit = maxWindowCredit
        self.verifier = SessionVerifier(expectedDomain: domain)
        self.decider = ChargeDecider(maxWindowCredit: maxWindowCredit)
        self.quotes = QuoteSigner(secret: gatewayKey.rawBytes)
        self.windowKeys = WindowKeyCache(gatewayKey: gatewayKey)
        self.grants = GrantCache()
        self.network = Network(rawValue: "eip155:\(domain.chainId ?? 0)")
    }

    public var now: UnixTime { clock.now }

    /// The x402 entry for one request of `service` at `price` base units.
    public func offer(
        service: ServiceRecord, price: UInt128, method: String, target: String, unit: String = "call",
        priceRule: String
    ) -> PaymentOffer {
        let unitPrice = (try? Amount(baseUnits: price, decimals: service.assetDecimals))?.decimalString ?? String(price)
        return offer(
            service: service, price: price, method: method, target: target, unit: unit, unitPrice: unitPrice,
            priceRule: .string(priceRule), expiresAt: UInt64(clamping: clock.now.seconds) + quoteTTLSeconds,
            terms: nil, holdSeconds: nil)
    }

    /// The x402 entry for one request priced by a route plan: the quote's amount (the hold, for
    /// authorize-then-capture), its breakdown as `priceRule`, its expiry, and a quote id over its terms.
    public func offer(service: ServiceRecord, quote: RouteQuote, method: String, target: String) -> PaymentOffer {
        offer(
            service: service, price: quote.amount, method: method, target: target, unit: quote.unitNames,
            unitPrice: quote.unitPrices, priceRule: quote.priceRule, expiresAt: quote.expiresAtSeconds,
            terms: quote.terms, holdSeconds: quote.holdSeconds)
    }

    private func offer(
        service: ServiceRecord, price: UInt128, method: String, target: String, unit: String, unitPrice: String,
        priceRule: JSONValue, expiresAt: UInt64, terms: QuoteTerms?, holdSeconds: Int?
    ) -> PaymentOffer {
        let binding = RequestBinding.compute(method: method, target: target)
        let amount = String(price)
        // Each checksum costs a Keccak hash: computed once per offer, not once per use.
        let payTo = service.payee.checksummed, asset = service.asset.checksummed
        let quoteId = quotes.quoteId(
            amount: amount, payTo: payTo, asset: asset, network: service.network,
            service: service.id, requestBinding: binding, expiresAt: expiresAt,
            pricingTerms: terms?.authenticatedText ?? "")
        let extra = SessionRequirementsExtra(
            domain: domain, service: service.id, unit: unit, unitPrice: unitPrice, priceRule: priceRule,
            quoteId: quoteId, quoteExpiresAt: expiresAt, gatewayPublicKey: gatewayKey.publicKey,
            maxWindowCredit: maxWindowCredit, requestBinding: binding)
        let requirements = PaymentRequirements(
            scheme: SessionPaymentPayload.scheme, network: Network(rawValue: service.network),
            asset: asset, amount: amount, payTo: payTo, maxTimeoutSeconds: 60,
            extra: extra.jsonValue)
        return PaymentOffer(
            service: service, price: price, method: method, target: target, requestBinding: binding,
            requirements: requirements, extra: extra, terms: terms, holdSeconds: holdSeconds)
    }

    /// Checks and charges a decoded `PaymentPayload` against `offer`; `clientIP` (after the trusted-proxy rules) is
    /// for Sentinel's address conditions.
    public func process(_ payload: PaymentPayload, offer: PaymentOffer, clientIP: String? = nil) async -> PaymentOutcome {
        do {
            return try await charge(try await attempt(payload, offer: offer), clientIP: clientIP)
        } catch {
            return .refused(Self.refusal(for: error), channel: nil, earlierReceipt: nil)
        }
    }

    /// Checks 2 to 11 without charging (the facilitator's `/verify`): nil when the payment would be accepted so far.
    public func verify(_ payload: PaymentPayload, offer: PaymentOffer) async -> PaymentRefusal? {
        do {
            _ = try await attempt(payload, offer: offer)
            return nil
        } catch {
            return Self.refusal(for: error)
        }
    }

    /// Checks 2 to 11: the accepted requirements, the payload's shape, signatures or MAC, validity windows.
    private func attempt(_ payload: PaymentPayload, offer: PaymentOffer) async throws -> PaymentAttempt {
        let now = clock.now
        let priced = try acceptedOffer(payload, offer: offer, now: now)
        let session = try SessionPaymentPayload(payload: payload.payload, domain: domain)
        return try await verifiedAttempt(session, offer: priced, now: now)
    }

    /// A refusal as it is, anything else (a store fault) as a generic code that leaks no detail.
    private static func refusal(for error: any Error) -> PaymentRefusal {
        error as? PaymentRefusal ?? PaymentRefusal(.unexpectedVerifyError, "the gateway could not check the payment")
    }

    /// The owner who pays under a grant, for `VerifyResponse.payer`.
    public func payer(of payload: PaymentPayload) async -> EthereumAddress? {
        guard let session = try? SessionPaymentPayload(payload: payload.payload, domain: domain) else { return nil }
        switch session {
        case .voucher(let grant, let voucher):
            if let grant { return grant.message.owner }
            return try? await grantContent(voucher.message.grantId)?.message.owner
        case .call(let call):
            return try? await grantContent(call.grantId)?.message.owner
        }
    }

    /// Refunds a charged payment whose upstream call failed; a retry of the same payment may then be charged once.
    public func void(_ receiptId: Bytes32) async throws -> PaymentRecord? {
        try await store.voidPayment(receiptId, at: clock.now)
    }

    /// Checks 2 to 5: version, scheme, network, and that `accepted` is what this gateway offers (or an unexpired
    /// quote it issued earlier for this request, whose price is then honoured).
    func acceptedOffer(_ payload: PaymentPayload, offer: PaymentOffer, now: UnixTime) throws(PaymentRefusal) -> PaymentOffer {
        guard payload.x402Version == 2 else {
            throw PaymentRefusal(.invalidX402Version, "x402Version \(payload.x402Version) is not supported; use 2")
        }
        let accepted = payload.accepted
        guard accepted.scheme == SessionPaymentPayload.scheme else {
            throw PaymentRefusal(.unsupportedScheme, "scheme \(accepted.scheme.prefix(40)) is not accepted here; use pb-session")
        }
        guard accepted.network == offer.requirements.network else {
            throw PaymentRefusal(.invalidNetwork, "network \(accepted.network) is not \(offer.requirements.network)")
        }
        guard Self.equalIgnoringASCIICase(accepted.asset, offer.requirements.asset),
            Self.equalIgnoringASCIICase(accepted.payTo, offer.requirements.payTo)
        else {
            throw PaymentRefusal(.pbRequirementsMismatch, "accepted asset or payTo differ from what this route asks")
        }
        if accepted.amount == offer.requirements.amount { return offer }
        // An earlier quote: genuine only for this request's dimension values and the instant and overrides its
        // priceRule names, which then price the payment (and a hold's capture) instead of today's oracle.
        let quoted = try? SessionRequirementsExtra(extra: accepted.extra)
        var terms = offer.terms
        if var current = terms, let rule = quoted?.priceRule, let earlier = QuoteTerms.quotedTerms(in: rule) {
            current.quotedAtMilliseconds = earlier.quotedAt
            current.overrides = earlier.overrides
            terms = current
        }
        guard let quoted,
            quotes.isGenuine(
                accepted, extra: quoted, requestBinding: offer.requestBinding,
                pricingTerms: terms?.authenticatedText ?? ""),
            let price = UInt128(accepted.amount)
        else {
            throw PaymentRefusal(
                .pbRequirementsMismatch, "accepted amount \(accepted.amount.prefix(40)) is not the price \(offer.price)")
        }
        guard UInt64(clamping: now.seconds) < quoted.quoteExpiresAt else {
            throw PaymentRefusal(.pbQuoteExpired, "quote \(quoted.quoteId) expired at \(quoted.quoteExpiresAt)")
        }
        return PaymentOffer(
            service: offer.service, price: price, method: offer.method, target: offer.target,
            requestBinding: offer.requestBinding, requirements: accepted, extra: quoted, terms: terms,
            holdSeconds: offer.holdSeconds)
    }

    /// Hex addresses compare without their checksum's case; compared in place, since lowercasing both copies of
    /// two addresses was four string allocations per paid call.
    static func equalIgnoringASCIICase(_ left: String, _ right: String) -> Bool {
        guard left.utf8.count == right.utf8.count else { return false }
        let lower = { (byte: UInt8) -> UInt8 in byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
        // On the strings' contiguous bytes (native strings always have them); zipping the UTF-8 views cost ~10x.
        let compared = left.utf8.withContiguousStorageIfAvailable { leftBytes in
            right.utf8.withContiguousStorageIfAvailable { rightBytes in
                for index in 0..<leftBytes.count where lower(leftBytes[index]) != lower(rightBytes[index]) { return false }
                return true
            }
        }
        return compared.flatMap { $0 } ?? zip(left.utf8, right.utf8).allSatisfy { lower($0) == lower($1) }
    }

    /// Checks 6 to 11, 13 (payee) and 14: everything that needs no lock.
    func verifiedAttempt(_ session: SessionPaymentPayload, offer: PaymentOffer, now: UnixTime) async throws -> PaymentAttempt {
        let nowSeconds = UInt64(clamping: now.seconds)
        switch session {
        case .voucher(let includedGrant, let signedVoucher):
            let grant = try await verifiedGrant(included: includedGrant, grantId: signedVoucher.message.grantId, now: now)
            let voucher = try verifier.verify(voucher: signedVoucher, grant: grant, now: nowSeconds).get()
            guard voucher.voucher.payee.lowercased == offer.requirements.payTo.lowercased() else {
                throw PaymentRefusal(.pbPayeeMismatch, "voucher pays \(voucher.voucher.payee), this route pays \(offer.requirements.payTo)")
            }
            let channel = ChannelKey(grantId: grant.grantId, payee: voucher.voucher.payee)
            if voucher.voucher.opensCreditWindow {
                return PaymentAttempt(kind: .windowOpening(voucher), channel: channel, offer: offer, now: now)
            }
            guard voucher.voucher.requestBinding == offer.requestBinding else {
                throw PaymentRefusal(.pbRequestBindingMismatch, "voucher is bound to another request than \(offer.method) \(offer.target)")
            }
            return PaymentAttempt(kind: .singlePayment(voucher), channel: channel, offer: offer, now: now)
        case .call(let call):
            // `accepted.payTo` was checked against the route's payee (check 5), so the service's parsed address is
            // the payee: no hex parsing and checksum hashing per call.
            let channelKey = ChannelKey(grantId: call.grantId, payee: offer.service.payee)
            // The MAC only needs the window's key; whether the window is still the channel's open one is checked
            // again under the charge's lock, so a cached key saves a store read per call.
            let key: CreditWindowKey
            if let cached = windowKeys.cachedKey(windowId: call.windowId) {
                key = cached
            } else {
                guard let window = try await store.channel(channelKey)?.window, window.windowId == call.windowId else {
                    throw PaymentRefusal(.pbWindowClosed, "window \(call.windowId) is not open on this channel")
                }
                key = try windowKeys.key(windowId: window.windowId, sessionPublicKey: window.sessionPublicKey)
            }
            guard key.isValidMAC(call.mac, callIndex: call.callIndex, requestBinding: offer.requestBinding, amount: offer.price) else {
                throw PaymentRefusal(.pbCallMACInvalid, "call MAC does not match this window, call index, request and price")
            }
            return PaymentAttempt(kind: .windowCall(call), channel: channelKey, offer: offer, now: now)
        }
    }

    /// Checks 8, 9 and 11 for the grant: included (verified, then registered) or already registered.
    private func verifiedGrant(included: SignedSessionGrant?, grantId: Bytes32, now: UnixTime) async throws -> VerifiedGrant {
        let nowSeconds = UInt64(clamping: now.seconds)
        if let included {
            let verified = try verifier.verify(grant: included, now: nowSeconds).get()
            if grants.grant(verified.grantId) == nil {
                _ = try await store.registerGrant(included, at: now)
                grants.insert(included)
            }
            return verified
        }
        let signed: SignedSessionGrant
        if let cached = grants.grant(grantId) {
            signed = cached
        } else if let stored = try await store.grant(grantId) {
            signed = stored.signed
            grants.insert(signed)
        } else {
            throw PaymentRefusal(.pbGrantUnknown, "grant \(grantId) is not registered here: include it in the payload")
        }
        try SessionVerifier.checkValidity(of: signed.message, now: nowSeconds)
        return VerifiedGrant(previouslyVerified: signed)
    }

    /// Checks 12 to 19, Sentinel and the charge, in one store transaction.
    func charge(_ attempt: PaymentAttempt, clientIP: String? = nil) async throws -> PaymentOutcome {
        let grant = try await grantContent(attempt.channel.grantId)
        var windowCall: WindowCallReference?
        if case .windowCall(let call) = attempt.kind {
            windowCall = WindowCallReference(windowId: call.windowId, callIndex: call.callIndex)
        }
        let request = ChargeRequest(
            channel: attempt.channel, receiptId: attempt.receiptId,
            rateWindowStart: (grant?.message.maxCallsPerMinute ?? 1) > 0 ? attempt.now.adding(seconds: -60) : nil,
            periodStart: grant.map { ChargeDecider.periodStart(of: $0.message, at: attempt.now) } ?? nil,
            windowCall: windowCall)
        let decider = self.decider
        let decision: ChargeDecision
        if let risk, risk.isEnabled {
            let freeze = FreezeNote()
            decision = try await store.charge(request) { context in
                Self.decide(attempt, context: context, decider: decider, risk: risk, clientIP: clientIP, freeze: freeze)
            }
            if case .key(let grantId)? = freeze.value, case .refuse(let refusal, _) = decision {
                // Stored, so that check 12 refuses the key from now on, after a restart too, until someone unfreezes it.
                _ = try await store.updateGrantStatus(grantId, to: .frozen, reason: refusal.message, at: attempt.now)
            }
        } else {
            decision = try await store.charge(request) { context in decider.decide(attempt, context: context) }
        }
        switch decision {
        case .charge(let mutation):
            if case .windowOpening(let voucher) = attempt.kind {
                _ = try? windowKeys.key(windowId: voucher.voucherId, sessionPublicKey: voucher.sessionPublicKey.compressedBytes)
            }
            var windowKey: CreditWindowKey?
            if case .windowCall(let call) = attempt.kind, call.callIndex % Self.signedReceiptInterval != 0 {
                windowKey = windowKeys.cachedKey(windowId: call.windowId)
            }
            let settlement = receiptSettlement(for: mutation.payment, payer: grant?.message.owner, windowKey: windowKey)
            return .paid(PaidPayment(record: mutation.payment, receipt: settlement))
        case .duplicate(let existing):
            return .refused(
                PaymentRefusal(.pbSequenceReplayed, "this payment was already charged (receipt \(existing.receiptId))"),
                channel: nil, earlierReceipt: settleResponse(for: existing, payer: grant?.message.owner))
        case .refuse(let refusal, let channel):
            return .refused(refusal, channel: channel, earlierReceipt: nil)
        }
    }

    /// The protocol's checks, then Sentinel on a payment they accept: a refusal by either writes nothing.
    private static func decide(
        _ attempt: PaymentAttempt, context: ChargeContext, decider: ChargeDecider, risk: PaymentRiskGate,
        clientIP: String?, freeze: FreezeNote
    ) -> ChargeDecision {
        let decision = decider.decide(attempt, context: context)
        guard let grant = context.grant else { return decision }
        switch decision {
        case .charge:
            guard let refused = risk.judge(attempt, grant: grant, clientIP: clientIP) else { return decision }
            if let subject = refused.freezes { freeze.set(subject) }
            // No channel state: the client is not out of step, its payment was refused as it stands.
            return .refuse(refused.refusal, nil)
        case .refuse(let refusal, _):
            risk.recordRefusal(refusal, grant: grant, at: attempt.now, clientIP: clientIP)
            return decision
        case .duplicate:
            return decision
        }
    }

    private func grantContent(_ grantId: Bytes32) async throws -> SignedSessionGrant? {
        if let cached = grants.grant(grantId) { return cached }
        guard let stored = try await store.grant(grantId) else { return nil }
        grants.insert(stored.signed)
        return stored.signed
    }

    /// Inside a credit window, every call whose index is a multiple of this gets a signed receipt and the others a
    /// receipt MAC'd with the window key (docs/PROTOCOL.md, section 9): an ECDSA signature costs ~50 µs, a MAC ~2.
    /// Receipts are cumulative, so each signed one also vouches for the charged total of the calls before it.
    public static let signedReceiptInterval: UInt64 = 64

    /// The `PAYMENT-RESPONSE` for a charged payment: the receipt signed by the gateway key, or MAC'd with
    /// `windowKey` when one is given (a call inside a credit window).
    public func settleResponse(
        for payment: PaymentRecord, payer: EthereumAddress?, windowKey: CreditWindowKey? = nil
    ) -> SettleResponse {
        receiptSettlement(for: payment, payer: payer, windowKey: windowKey).settleResponse
    }

    /// The same as its parts, from which the proxy writes the header without building the response.
    public func receiptSettlement(
        for payment: PaymentRecord, payer: EthereumAddress?, windowKey: CreditWindowKey? = nil
    ) -> ReceiptSettlement {
        let authenticator: ReceivedReceipt.Authenticator = windowKey.map { key in
            .windowMAC(key.receiptMAC(payment.receipt, domain: domain))
        } ?? .signature(SignedPaymentReceipt.sign(payment.receipt, domain: domain, with: gatewayKey).signatureBytes)
        return ReceiptSettlement(
            receipt: payment.receipt, authenticator: authenticator, payeeText: addressTexts.checksummed(payment.receipt.payee),
            payerText: payer.map(addressTexts.checksummed), network: network)
    }
}
