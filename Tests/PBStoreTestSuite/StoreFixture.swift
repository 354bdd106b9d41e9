import PBCore
import PBCrypto
import PBProtocol
import PBStore

/// An owner, a session key and a payee, with grants signed in Swift and a reference `decide` that charges a fixed
/// price while the grant can afford it: what the store checks feed every adapter.
public struct StoreFixture: Sendable {
    /// 2025-11-24T16:00:00Z, inside the grants' validity.
    public static let start = UnixTime(seconds: 1_764_000_000)
    static let asset = try! EthereumAddress("0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913")

    public let owner: PrivateKey
    public let sessionKey: PrivateKey
    public let payee: EthereumAddress
    public let domain: EIP712Domain

    public init() {
        owner = .random()
        sessionKey = .random()
        payee = PrivateKey.random().address
        domain = PBSessionDomain.make(chainId: 8453)
    }

    /// A grant of `totalLimit` base units for `payee`, with a random salt so each call is a new grant.
    public func signedGrant(totalLimit: UInt128 = 50_000_000) -> SignedSessionGrant {
        let grant = SessionGrant(
            owner: owner.address, sessionKey: sessionKey.address, asset: Self.asset, payees: [payee],
            services: ["chat"], totalLimit: totalLimit, validAfter: 1_764_000_000, validUntil: 1_766_592_000)
        return SignedSessionGrant.sign(grant, domain: domain, with: owner)
    }

    public func channelKey(_ grantId: Bytes32) -> ChannelKey { ChannelKey(grantId: grantId, payee: payee) }

    /// A request for a fresh receipt id on the grant's channel; no rate window or period unless given.
    public func request(
        _ grantId: Bytes32, receiptId: Bytes32 = .random(), rateWindowStart: UnixTime = UnixTime(milliseconds: 0),
        periodStart: UnixTime? = nil
    ) -> ChargeRequest {
        ChargeRequest(
            channel: channelKey(grantId), receiptId: receiptId, rateWindowStart: rateWindowStart,
            periodStart: periodStart)
    }

    /// A voucher signed by the session key, so the latest-voucher column is tested with a real signed document.
    public func signedVoucher(_ grantId: Bytes32, cumulativeAmount: UInt128, sequence: UInt64) -> SignedPaymentVoucher {
        let voucher = PaymentVoucher(
            grantId: grantId, payee: payee, cumulativeAmount: cumulativeAmount, sequence: sequence,
            requestBinding: .zero, validUntil: 1_764_000_600)
        return SignedPaymentVoucher.sign(voucher, domain: domain, with: sessionKey)
    }

    /// The mutation an honest processor writes for `price`: payment, channel and grant all move by `price`.
    public static func mutation(
        _ context: ChargeContext, _ request: ChargeRequest, price: UInt128, at time: UnixTime,
        window: CreditWindow? = nil, voucher: SignedPaymentVoucher? = nil
    ) -> ChargeMutation? {
        guard let grant = context.grant else { return nil }
        let spent = grant.spent + price
        let charged = context.channel.chargedCumulativeAmount + price
        let sequence = context.channel.lastSequence + 1
        let receipt = PaymentReceipt(
            receiptId: request.receiptId, grantId: grant.grantId, payee: request.channel.payee, amount: price,
            chargedCumulativeAmount: charged, remainingLimit: grant.grant.totalLimit &- spent, sequence: sequence,
            callIndex: 0, requestBinding: RequestBinding.compute(method: "POST", target: "/v1/chat"),
            issuedAt: UInt64(time.seconds))
        let payment = PaymentRecord(
            receipt: receipt, service: "chat", method: "POST", target: "/v1/chat", createdAt: time)
        let channel = ChannelRecord(
            key: request.channel, chargedCumulativeAmount: charged, lastSequence: sequence,
            latestVoucher: voucher ?? context.channel.latestVoucher, window: window ?? context.channel.window)
        return ChargeMutation(payment: payment, channel: channel, grantSpent: spent)
    }

    /// Charges `price` when the grant can afford it; a retry of a charged receipt is a duplicate.
    public static func chargeIfAffordable(_ request: ChargeRequest, price: UInt128, at time: UnixTime)
        -> @Sendable (ChargeContext) -> ChargeDecision
    {
        { context in
            guard let grant = context.grant else {
                return .refuse(PaymentRefusal(.pbGrantUnknown, "unknown grant"), nil)
            }
            if let existing = context.existingPayment, existing.status == .charged { return .duplicate(existing) }
            let (spent, overflow) = grant.spent.addingReportingOverflow(price)
            guard !overflow, spent <= grant.grant.totalLimit,
                let mutation = mutation(context, request, price: price, at: time)
            else {
                return .refuse(PaymentRefusal(.pbLimitExceeded, "limit reached"), context.channel.state)
            }
            return .charge(mutation)
        }
    }

    /// Like `chargeIfAffordable`, but the mutation claims one base unit more spent than the payment adds: a
    /// mutation that does not balance, which the store must refuse to write.
    public static func chargeClaimingOneUnitTooMuch(_ request: ChargeRequest, price: UInt128, at time: UnixTime)
        -> @Sendable (ChargeContext) -> ChargeDecision
    {
        { context in
            guard let mutation = mutation(context, request, price: price, at: time) else {
                return .refuse(PaymentRefusal(.pbLimitExceeded, "limit reached"), context.channel.state)
            }
            return .charge(
                ChargeMutation(payment: mutation.payment, channel: mutation.channel, grantSpent: mutation.grantSpent + 1))
        }
    }

    /// Registers a grant and charges `count` calls of `price`, one millisecond apart from `time`.
    @discardableResult
    public func chargeCalls(
        _ count: Int, price: UInt128, on grantId: Bytes32, from time: UnixTime = start, store: any GatewayStore
    ) async throws -> [PaymentRecord] {
        var payments: [PaymentRecord] = []
        for offset in 0..<count {
            let request = request(grantId)
            let callTime = time.adding(milliseconds: Int64(offset))
            let decision = try await store.charge(
                request, decide: Self.chargeIfAffordable(request, price: price, at: callTime))
            guard case .charge(let mutation) = decision else { throw StoreError("call \(offset) was not charged") }
            payments.append(mutation.payment)
        }
        return payments
    }
}
