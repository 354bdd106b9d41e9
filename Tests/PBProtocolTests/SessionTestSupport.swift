import PBCore
import PBCrypto
import PBProtocol
import Testing

/// An owner, an agent's session key and a payee, with grants and vouchers built and signed in Swift, so that
/// verifier tests state their inputs instead of depending on which vector happens to have which field.
struct SessionFixture {
    static let validAfter: UInt64 = 1_764_000_000
    static let validUntil: UInt64 = 1_766_592_000
    static let voucherValidUntil: UInt64 = 1_764_000_600
    /// USDC on Base: the limits are counted in its base units.
    static let asset = try! EthereumAddress("0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913")

    let owner: PrivateKey
    let sessionKey: PrivateKey
    let payee: EthereumAddress
    let domain: EIP712Domain

    init(
        owner: PrivateKey = .random(), sessionKey: PrivateKey = .random(),
        payee: EthereumAddress = PrivateKey.random().address, domain: EIP712Domain = PBSessionDomain.make(chainId: 8453)
    ) {
        self.owner = owner
        self.sessionKey = sessionKey
        self.payee = payee
        self.domain = domain
    }

    /// Fixed keys, for documents whose bytes must not change between runs (mutation tests edit their JSON).
    static let deterministic = SessionFixture(
        owner: try! PrivateKey(hex: "0x" + String(repeating: "a1", count: 32)),
        sessionKey: try! PrivateKey(hex: "0x" + String(repeating: "b2", count: 32)),
        payee: try! PrivateKey(hex: "0x" + String(repeating: "c3", count: 32)).address)

    /// A 50 USDC grant for `payee` only, 1 USDC per payment, valid for 30 days; `adjust` changes what a test needs.
    func grant(_ adjust: (inout SessionGrant) -> Void = { _ in }) -> SessionGrant {
        var grant = SessionGrant(
            owner: owner.address, sessionKey: sessionKey.address, asset: Self.asset, payees: [payee],
            services: ["chat"], totalLimit: 50_000_000, perPaymentLimit: 1_000_000,
            validAfter: Self.validAfter, validUntil: Self.validUntil,
            salt: Bytes32(unchecked: Array(repeating: 7, count: 32)))
        adjust(&grant)
        return grant
    }

    func signedGrant(_ adjust: (inout SessionGrant) -> Void = { _ in }) -> SignedSessionGrant {
        SignedSessionGrant.sign(grant(adjust), domain: domain, with: owner)
    }

    /// The grant after the stateless verifier accepted it (no time check).
    func verifiedGrant(_ adjust: (inout SessionGrant) -> Void = { _ in }) throws -> VerifiedGrant {
        try SessionVerifier().verify(grant: signedGrant(adjust), now: nil).get()
    }

    /// A 0.04 USDC single-payment voucher, sequence 4, for `POST /v1/chat`, signed by the session key.
    func signedVoucher(
        for grant: VerifiedGrant, signer: PrivateKey? = nil, _ adjust: (inout PaymentVoucher) -> Void = { _ in }
    ) -> SignedPaymentVoucher {
        var voucher = PaymentVoucher(
            grantId: grant.grantId, payee: payee, cumulativeAmount: 40_000, sequence: 4,
            requestBinding: RequestBinding.compute(method: "POST", target: "/v1/chat"),
            validUntil: Self.voucherValidUntil)
        adjust(&voucher)
        return SignedPaymentVoucher.sign(voucher, domain: grant.domain, with: signer ?? sessionKey)
    }
}

/// Checks that a verdict (or a thrown refusal) carries `code` with the HTTP status docs/PROTOCOL.md section 10
/// gives it: the status is what the client's HTTP stack sees first, so a wrong one misroutes the retry logic.
func expectRefusal<Value>(
    _ verdict: Verdict<Value>, _ code: X402ErrorCode, status: Int, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let refusal = verdict.refusal else {
        Issue.record("accepted, expected \(code.rawValue)", sourceLocation: sourceLocation)
        return
    }
    #expect(refusal.code == code, "\(refusal)", sourceLocation: sourceLocation)
    #expect(refusal.httpStatus == status, "\(refusal)", sourceLocation: sourceLocation)
}

extension JSONValue {
    /// A copy with the member at `path` replaced (or added at the end of its object, or removed when `value` is
    /// nil). Path components are object keys, or array indexes where the value there is an array:
    /// `"typedData.types.SessionGrant.5.type"`.
    func replacing(_ path: String, with value: JSONValue?) -> JSONValue {
        replacing(path.split(separator: ".").map(String.init)[...], with: value)
    }

    private func replacing(_ path: ArraySlice<String>, with value: JSONValue?) -> JSONValue {
        guard let component = path.first else { return value ?? .null }
        let rest = path.dropFirst()
        switch self {
        case .object(var members):
            if let index = members.firstIndex(where: { $0.key == component }) {
                if rest.isEmpty, value == nil {
                    members.remove(at: index)
                } else {
                    members[index].value = members[index].value.replacing(rest, with: value)
                }
            } else if let value {
                members.append((component, JSONValue.null.replacing(rest, with: value)))
            }
            return .object(members)
        case .array(var values):
            guard let index = Int(component), values.indices.contains(index) else { return self }
            if rest.isEmpty, value == nil {
                values.remove(at: index)
            } else {
                values[index] = values[index].replacing(rest, with: value)
            }
            return .array(values)
        default:
            return self
        }
    }
}

/// String literals as JSON strings, so mutation tables read like the documents they edit.
extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}
