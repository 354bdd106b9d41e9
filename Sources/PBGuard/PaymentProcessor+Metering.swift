import PBCore
import PBProtocol
import PBStore

extension PaymentProcessor {
    /// Opens the credit window a stream session paid by a session key draws on (`GrantDraw`): the agent's
    /// window-opening voucher, and the grant when included, pass the same checks and the same charge transaction
    /// as a paid call's window-opening voucher (signatures, validity, payee, service, a sequence above the
    /// channel's, the window's credit within the grant's per-payment limit and the gateway's window cap, the
    /// grant's status and limits), charged at zero. Returns the channel; throws the refusal.
    public func openSessionWindow(voucher: SignedPaymentVoucher, grant: SignedSessionGrant?, service: ServiceRecord)
        async throws -> ChannelKey
    {
        let now = self.now
        let offer = offer(
            service: service, price: 0, method: GrantDraw.method, target: "/v1/meter-sessions", priceRule: "meter-session")
        let attempt = try await verifiedAttempt(.voucher(grant: grant, voucher: voucher), offer: offer, now: now)
        guard case .windowOpening = attempt.kind else {
            throw PaymentRefusal(
                .pbRequestBindingMismatch,
                "a stream session is paid through a credit window: the voucher must open one (pb voucher sign --window)")
        }
        switch try await charge(attempt) {
        case .paid: return attempt.channel
        case .refused(let refusal, _, _): throw refusal
        }
    }
}
