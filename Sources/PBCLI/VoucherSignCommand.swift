import ArgumentParser
import PBCore
import PBCrypto
import PBProtocol

struct VoucherSignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a payment voucher with the agent's session key.",
        discussion: """
            --method and --target bind the voucher to one request; --window opens a credit window instead \
            (docs/PROTOCOL.md, sections 5 and 8).
            """)

    @Option(name: .long, help: "The agent's session key file.")
    var key: String

    @Option(name: .long, help: "The signed grant the voucher spends (from `pb grant sign`).")
    var grant: String

    @Option(name: .long, help: "Who may claim it (default: the grant's only payee).")
    var payee: String?

    @Option(name: .customLong("cumulative-amount"), help: "Total claimable on this channel after it, whole tokens.")
    var cumulativeAmount: String

    @Option(name: .long, help: "Decimals of the grant's token (USDC: 6).")
    var decimals = 6

    @Option(name: .long, help: "Strictly increasing per (grant, payee), from 1.")
    var sequence: UInt64

    @Option(name: .long, help: "HTTP method of the request it pays for.")
    var method: String?

    @Option(name: .long, help: "Request target (path and query) of the request it pays for.")
    var target: String?

    @Flag(name: .long, help: "Open a credit window instead of paying one request.")
    var window = false

    @Option(name: .customLong("valid-seconds"), help: "Seconds from now until the voucher expires.")
    var validSeconds: UInt64 = 600

    @Option(name: .long, help: "Output file (default: standard output).")
    var out: String?

    func validate() throws {
        guard window != (method != nil || target != nil) else {
            throw ValidationError("give either --method and --target (one request) or --window (credit window)")
        }
        guard window || (method != nil && target != nil) else {
            throw ValidationError("--method and --target go together")
        }
    }

    func run() throws {
        let sessionKey = try CommandInputs.readKey(key)
        let signedGrant = try CommandInputs.readGrant(grant)
        guard sessionKey.address == signedGrant.message.sessionKey else {
            throw CommandFailure(
                "\(key) holds \(sessionKey.address), but the grant is for session key \(signedGrant.message.sessionKey)")
        }
        let payeeAddress: EthereumAddress
        if let payee {
            payeeAddress = try CommandInputs.address(payee, flag: "--payee")
        } else if signedGrant.message.payees.count == 1 {
            payeeAddress = signedGrant.message.payees[0]
        } else {
            throw ValidationError("the grant names \(signedGrant.message.payees.count) payees: pass --payee")
        }
        let binding = window ? Bytes32.zero : RequestBinding.compute(method: method ?? "", target: target ?? "")
        let voucher = PaymentVoucher(
            grantId: signedGrant.digest,
            payee: payeeAddress,
            cumulativeAmount: try CommandInputs.baseUnits(cumulativeAmount, decimals: decimals, flag: "--cumulative-amount"),
            sequence: sequence,
            requestBinding: binding,
            validUntil: CommandInputs.now() + validSeconds)
        guard sequence > 0 else { throw ValidationError("--sequence starts at 1") }
        guard voucher.cumulativeAmount <= signedGrant.message.totalLimit else {
            throw ValidationError(
                "--cumulative-amount exceeds the grant's total limit "
                    + CommandInputs.formatted(signedGrant.message.totalLimit, decimals: decimals))
        }
        let signed = SignedPaymentVoucher.sign(voucher, domain: signedGrant.domain, with: sessionKey)
        try CommandInputs.emit(signed.documentJSON.serialized(), to: out)
    }
}
