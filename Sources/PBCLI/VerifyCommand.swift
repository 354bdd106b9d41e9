import ArgumentParser
import PBCore
import PBCrypto
import PBProtocol

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a signed grant, voucher or receipt and print the verdict.",
        discussion: """
            Runs the stateless checks of docs/PROTOCOL.md section 10. Exit status 0: valid; 1: refused (the line \
            names the failed check's code); other: the input could not be read.
            """)

    @Argument(help: "The signed document ({typedData, signature}).")
    var file: String

    @Option(name: .long, help: "The signed grant a voucher spends (required for vouchers).")
    var grant: String?

    @Option(name: .long, help: "The gateway address a receipt must be signed by.")
    var gateway: String?

    @Option(name: .long, help: "Judge validity windows at this Unix time (default: now).")
    var at: UInt64?

    @Flag(name: .customLong("ignore-time"), help: "Skip validity-window checks (for archived documents).")
    var ignoreTime = false

    @Option(name: .long, help: "Token decimals, for printing amounts.")
    var decimals = 6

    func run() throws {
        let now: UInt64? = ignoreTime ? nil : (at ?? CommandInputs.now())
        let verifier = SessionVerifier()
        let contents = try CommandInputs.readDocument(file)
        let document = try accept(Verdict { () throws(PaymentRefusal) in try SessionDocument.parse(contents) })
        switch document {
        case .grant(let signed):
            let verified = try accept(verifier.verify(grant: signed, now: now))
            print("valid: SessionGrant \(verified.grantId)")
            describe(verified.grant, domain: verified.domain)
        case .voucher(let signed):
            guard let grant else { throw ValidationError("a voucher is verified against its grant: pass --grant FILE") }
            let grantDocument = try CommandInputs.readGrant(grant)
            let verifiedGrant = try accept(verifier.verify(grant: grantDocument, now: now))
            let verified = try accept(verifier.verify(voucher: signed, grant: verifiedGrant, now: now))
            print("valid: PaymentVoucher \(verified.voucherId)")
            describe(verified.voucher, grant: verifiedGrant.grant)
        case .receipt(let signed):
            let signer = try accept(Verdict { () throws(PaymentRefusal) in try signed.recoverSigner() })
            if let gateway, try CommandInputs.address(gateway, flag: "--gateway") != signer.address {
                try refuse(PaymentRefusal(.pbSignatureMalformed, "receipt is signed by \(signer.address), not \(gateway)"))
            }
            print("valid: PaymentReceipt \(signed.message.receiptId) signed by \(signer.address)")
            print("  amount            \(CommandInputs.formatted(signed.message.amount, decimals: decimals))")
            print("  charged so far    \(CommandInputs.formatted(signed.message.chargedCumulativeAmount, decimals: decimals))")
            print("  remaining         \(CommandInputs.formatted(signed.message.remainingLimit, decimals: decimals))")
        }
    }

    private func accept<Value>(_ verdict: Verdict<Value>) throws -> Value {
        switch verdict {
        case .valid(let value): return value
        case .invalid(let refusal): try refuse(refusal)
        }
    }

    private func refuse(_ refusal: PaymentRefusal) throws -> Never {
        print("invalid: \(refusal.code.rawValue): \(refusal.message)")
        throw ExitCode(1)
    }

    private func describe(_ grant: SessionGrant, domain: EIP712Domain) {
        let amount = { (value: UInt128) in CommandInputs.formatted(value, decimals: decimals) }
        print("  owner             \(grant.owner)")
        print("  session key       \(grant.sessionKey)")
        print("  asset             \(grant.asset) on chain \(domain.chainId ?? 0)")
        print("  payees            \(grant.payees.isEmpty ? "any" : grant.payees.map(\.checksummed).joined(separator: ", "))")
        print("  services          \(grant.services.isEmpty ? "any" : grant.services.joined(separator: ", "))")
        print("  total limit       \(amount(grant.totalLimit))")
        print("  per payment       \(grant.perPaymentLimit == 0 ? "no cap" : amount(grant.perPaymentLimit))")
        if grant.periodSeconds > 0 {
            print("  per period        \(amount(grant.periodLimit)) per \(grant.periodSeconds) s")
        }
        if grant.maxCallsPerMinute > 0 { print("  calls per minute  \(grant.maxCallsPerMinute)") }
        print("  valid             \(grant.validAfter) ..< \(grant.validUntil) (Unix seconds)")
    }

    private func describe(_ voucher: PaymentVoucher, grant: SessionGrant) {
        print("  grant             \(voucher.grantId)")
        print("  session key       \(grant.sessionKey)")
        print("  payee             \(voucher.payee)")
        print("  cumulative amount \(CommandInputs.formatted(voucher.cumulativeAmount, decimals: decimals))")
        print("  sequence          \(voucher.sequence)")
        print("  binding           \(voucher.opensCreditWindow ? "credit window" : voucher.requestBinding.hex)")
        print("  valid until       \(voucher.validUntil) (Unix seconds)")
    }
}
