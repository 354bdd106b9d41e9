import ArgumentParser
import PBCore
import PBCrypto
import PBProtocol

/// The protocol walk-through: the seed's scenario 1 (an AI chatbot billed 0.01 USDC per call) at the level of
/// signed messages. The HTTP gateway that charges and forwards arrives with the gateway issue; here the
/// gateway's part is played by the stateless verifier, a running total and the gateway's receipt signature.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Demos: the chatbot scenario through a live gateway, or the protocol in memory.",
        subcommands: [
            ProtocolDemoCommand.self, ChatbotDemoCommand.self, AttackDemoCommand.self, RentalDemoCommand.self,
            GPUDemoCommand.self,
        ],
        defaultSubcommand: ProtocolDemoCommand.self)
}

struct ProtocolDemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "protocol", abstract: "Walk through a grant, paid calls, a credit window and refused forgeries.")

    @Option(name: .long, help: "Paid calls with one voucher each.")
    var calls = 5

    @Option(name: .customLong("window-calls"), help: "Calls inside one credit window (one signature, MACs after).")
    var windowCalls = 100

    func validate() throws {
        guard (1...1_000).contains(calls), (1...100_000).contains(windowCalls) else {
            throw ValidationError("--calls is 1...1000 and --window-calls 1...100000")
        }
    }

    func run() throws {
        let usdc = Asset.usdc
        let owner = PrivateKey.random(), agent = PrivateKey.random(), gateway = PrivateKey.random()
        let payee = PrivateKey.random().address
        let domain = PBSessionDomain.make(chainId: 8453)
        let now = CommandInputs.now()
        let price: UInt128 = 10_000  // 0.01 USDC
        let show = { (value: UInt128) in (try? Amount(baseUnits: value, decimals: usdc.decimals))?.decimalString ?? "?" }

        print("== 1. The owner signs one grant for the agent's session key")
        let grant = SessionGrant(
            owner: owner.address, sessionKey: agent.address,
            asset: try EthereumAddress("0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"),
            payees: [payee], services: ["chat"], totalLimit: 50_000_000, perPaymentLimit: 1_000_000,
            validAfter: now, validUntil: now + 30 * 86_400)
        let signedGrant = SignedSessionGrant.sign(grant, domain: domain, with: owner)
        let verifier = SessionVerifier(expectedDomain: domain)
        let verifiedGrant = try verifier.verify(grant: signedGrant, now: now).get()
        print("owner \(owner.address) -> agent \(agent.address): \(show(grant.totalLimit)) USDC for 30 days, "
            + "at most \(show(grant.perPaymentLimit)) per payment, payee \(payee), service chat")
        print("grant id \(verifiedGrant.grantId)")

        print("\n== 2. The agent pays \(calls) calls at \(show(price)) USDC, one signed voucher each")
        var charged: UInt128 = 0
        var sequence: UInt64 = 0
        for call in 1...calls {
            sequence += 1
            let binding = RequestBinding.compute(method: "POST", target: "/v1/chat?call=\(call)")
            let voucher = PaymentVoucher(
                grantId: verifiedGrant.grantId, payee: payee, cumulativeAmount: charged + price, sequence: sequence,
                requestBinding: binding, validUntil: now + 600)
            let signed = SignedPaymentVoucher.sign(voucher, domain: domain, with: agent)
            let verified = try verifier.verify(voucher: signed, grant: verifiedGrant, now: now).get()
            charged += price
            let receipt = PaymentReceipt(
                receiptId: PaymentReceipt.receiptId(voucherId: verified.voucherId, callIndex: 0),
                grantId: verifiedGrant.grantId, payee: payee, amount: price, chargedCumulativeAmount: charged,
                remainingLimit: grant.totalLimit - charged, sequence: sequence, callIndex: 0,
                requestBinding: binding, issuedAt: now)
            let signedReceipt = SignedPaymentReceipt.sign(receipt, domain: domain, with: gateway)
            print("call \(call): paid \(show(price)), spent \(show(charged)), remaining \(show(grant.totalLimit - charged)),"
                + " receipt \(signedReceipt.message.receiptId.hex.prefix(18))…")
        }

        print("\n== 3. A credit window: one signature, then \(windowCalls) calls authenticated by HMAC")
        let credit: UInt128 = 1_000_000
        sequence += 1
        let windowVoucher = PaymentVoucher(
            grantId: verifiedGrant.grantId, payee: payee, cumulativeAmount: charged + credit, sequence: sequence,
            requestBinding: .zero, validUntil: now + 600)
        let window = try verifier.verify(
            voucher: SignedPaymentVoucher.sign(windowVoucher, domain: domain, with: agent), grant: verifiedGrant,
            now: now
        ).get()
        let agentSide = CreditWindowKey(sessionKey: agent, gatewayPublicKey: gateway.publicKey, windowId: window.voucherId)
        let gatewaySide = CreditWindowKey(
            gatewayKey: gateway, sessionPublicKey: window.sessionPublicKey, windowId: window.voucherId)
        var windowCharged: UInt128 = 0
        var accepted = 0
        for callIndex in 1...UInt64(windowCalls) where windowCharged + price <= credit {
            let binding = RequestBinding.compute(method: "POST", target: "/v1/chat")
            let mac = agentSide.mac(callIndex: callIndex, requestBinding: binding, amount: price)
            guard gatewaySide.isValidMAC(mac, callIndex: callIndex, requestBinding: binding, amount: price) else {
                throw ValidationError("window MAC rejected at call \(callIndex)")
            }
            windowCharged += price
            accepted += 1
        }
        charged += windowCharged
        print("window \(window.voucherId.hex.prefix(18))…: \(accepted) calls paid from \(show(credit)) credit, "
            + "spent \(show(charged)), remaining \(show(grant.totalLimit - charged))")
        if accepted < windowCalls {
            print("call \(accepted + 1) finds the window exhausted (pb_window_exhausted): the agent signs a new voucher")
        }

        print("\n== 4. Forgeries and misuse are refused with the failed check's code")
        let base = PaymentVoucher(
            grantId: verifiedGrant.grantId, payee: payee, cumulativeAmount: charged + price, sequence: sequence + 1,
            requestBinding: RequestBinding.compute(method: "POST", target: "/v1/chat"), validUntil: now + 600)
        let honest = SignedPaymentVoucher.sign(base, domain: domain, with: agent)
        var raised = base
        raised.cumulativeAmount = 40_000_000
        var elsewhere = base
        elsewhere.payee = PrivateKey.random().address
        var expired = base
        expired.validUntil = now - 1
        var overLimit = base
        overLimit.cumulativeAmount = grant.totalLimit + 1
        let attempts: [(String, SignedPaymentVoucher)] = [
            ("amount raised after signing", SignedPaymentVoucher(
                message: raised, domain: domain, signatureBytes: honest.signatureBytes)),
            ("signed by a thief's key", SignedPaymentVoucher.sign(base, domain: domain, with: PrivateKey.random())),
            ("payee outside the grant", SignedPaymentVoucher.sign(elsewhere, domain: domain, with: agent)),
            ("expired voucher", SignedPaymentVoucher.sign(expired, domain: domain, with: agent)),
            ("beyond the 50 USDC limit", SignedPaymentVoucher.sign(overLimit, domain: domain, with: agent)),
        ]
        for (name, attempt) in attempts {
            let refusal = verifier.verify(voucher: attempt, grant: verifiedGrant, now: now).refusal
            print("\(name): \(refusal.map { "refused, \($0.code.rawValue) (HTTP \($0.httpStatus))" } ?? "ACCEPTED")")
            guard refusal != nil else { throw ExitCode(1) }
        }
        let stolenMAC = agentSide.mac(callIndex: 1, requestBinding: .zero, amount: price)
        let thiefWindow = CreditWindowKey(
            sessionKey: PrivateKey.random(), gatewayPublicKey: gateway.publicKey, windowId: window.voucherId)
        let forged = thiefWindow.mac(callIndex: 2, requestBinding: .zero, amount: price)
        let forgedAccepted = gatewaySide.isValidMAC(forged, callIndex: 2, requestBinding: .zero, amount: price)
        let reusedAccepted = gatewaySide.isValidMAC(stolenMAC, callIndex: 2, requestBinding: .zero, amount: price)
        print("forged window call without the session key: \(forgedAccepted ? "ACCEPTED" : "refused, pb_call_mac_invalid")")
        print("captured call MAC moved to another call index: \(reusedAccepted ? "ACCEPTED" : "refused, pb_call_mac_invalid")")
        guard !forgedAccepted, !reusedAccepted else { throw ExitCode(1) }
        print("\nspent \(show(charged)) of \(show(grant.totalLimit)) USDC; nothing accepted that the grant did not allow.")
    }
}
