/// The body of a facilitator's `POST /verify` and `POST /settle`; the two are identical on the wire.
public struct FacilitatorRequest: Codable, Hashable, Sendable {
    public var x402Version: Int
    public var paymentPayload: PaymentPayload
    public var paymentRequirements: PaymentRequirements

    public init(x402Version: Int = 2, paymentPayload: PaymentPayload, paymentRequirements: PaymentRequirements) {
        self.x402Version = x402Version
        self.paymentPayload = paymentPayload
        self.paymentRequirements = paymentRequirements
    }
}

public typealias VerifyRequest = FacilitatorRequest
public typealias SettleRequest = FacilitatorRequest
