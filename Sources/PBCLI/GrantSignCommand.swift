import ArgumentParser
import PBCore
import PBCrypto
import PBProtocol

struct GrantSignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a session grant with the owner's key (what a wallet does through eth_signTypedData_v4).",
        discussion: "Writes {typedData, signature, id}; id is the grant id that vouchers name.")

    @Option(name: .long, help: "The owner's key file.")
    var key: String

    @Option(name: .customLong("session-key"), help: "The agent's session key address.")
    var sessionKey: String

    @Option(name: .long, help: "The token the limits are counted in (ERC-20 address).")
    var asset: String

    @Option(name: .long, help: "Decimals of the token (USDC: 6).")
    var decimals = 6

    @Option(name: .customLong("chain-id"), help: "Chain id of the payment network (Base: 8453).")
    var chainId: UInt64 = 8453

    @Option(name: .customLong("verifying-contract"), help: "The PB escrow contract; zero address for the ledger rail.")
    var verifyingContract = EthereumAddress.zero.checksummed

    @Option(name: .long, help: "A payee the key may pay (repeat for several; none = any payee).")
    var payee: [String] = []

    @Option(name: .long, help: "A service id the key may use (repeat for several; none = any service).")
    var service: [String] = []

    @Option(name: .customLong("total-limit"), help: "The most the key may ever spend, in whole tokens (e.g. 50).")
    var totalLimit: String

    @Option(name: .customLong("per-payment-limit"), help: "The most one payment may cost (0 = no cap).")
    var perPaymentLimit = "0"

    @Option(name: .customLong("period-limit"), help: "The most per period (with --period-seconds).")
    var periodLimit = "0"

    @Option(name: .customLong("period-seconds"), help: "Length of a spending period in seconds.")
    var periodSeconds: UInt64 = 0

    @Option(name: .customLong("max-calls-per-minute"), help: "Paid calls allowed in any 60 seconds (0 = no limit).")
    var maxCallsPerMinute: UInt32 = 0

    @Option(name: .customLong("valid-after"), help: "Unix time the grant starts (default: now).")
    var validAfter: UInt64?

    @Option(name: .customLong("valid-days"), help: "Days the grant lasts.")
    var validDays: UInt64 = 30

    @Option(name: .customLong("valid-until"), help: "Unix time the grant ends (instead of --valid-days).")
    var validUntil: UInt64?

    @Option(name: .long, help: "32-byte hex salt (default: random).")
    var salt: String?

    @Option(name: .long, help: "Output file (default: standard output).")
    var out: String?

    func run() throws {
        let owner = try CommandInputs.readKey(key)
        let start = validAfter ?? CommandInputs.now()
        let (end, overflow) = start.addingReportingOverflow(validDays.multipliedReportingOverflow(by: 86_400).partialValue)
        guard validUntil != nil || !overflow else { throw ValidationError("--valid-days is too large") }
        var saltValue = Bytes32.random()
        if let salt {
            do { saltValue = try Bytes32(hex: salt) } catch { throw ValidationError("--salt: \(error.message)") }
        }
        let grant = SessionGrant(
            owner: owner.address,
            sessionKey: try CommandInputs.address(sessionKey, flag: "--session-key"),
            asset: try CommandInputs.address(asset, flag: "--asset"),
            payees: try payee.map { try CommandInputs.address($0, flag: "--payee") },
            services: service,
            totalLimit: try CommandInputs.baseUnits(totalLimit, decimals: decimals, flag: "--total-limit"),
            perPaymentLimit: try CommandInputs.baseUnits(perPaymentLimit, decimals: decimals, flag: "--per-payment-limit"),
            periodLimit: try CommandInputs.baseUnits(periodLimit, decimals: decimals, flag: "--period-limit"),
            periodSeconds: periodSeconds,
            maxCallsPerMinute: maxCallsPerMinute,
            validAfter: start,
            validUntil: validUntil ?? end,
            salt: saltValue)
        do { try grant.validate(path: "grant") } catch { throw ValidationError(error.description) }
        let domain = PBSessionDomain.make(
            chainId: chainId, verifyingContract: try CommandInputs.address(verifyingContract, flag: "--verifying-contract"))
        let signed = SignedSessionGrant.sign(grant, domain: domain, with: owner)
        try CommandInputs.emit(signed.documentJSON.serialized(), to: out)
    }
}
