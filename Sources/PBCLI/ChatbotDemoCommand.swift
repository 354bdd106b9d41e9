import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import PBClient
import PBCore
import PBCrypto
import PBEVMRail
import PBGateway
import PBSentinel
import PBProtocol
import PBStore

/// The seed's scenario 1: an AI chatbot billed 0.01 USDC per call, through a real gateway on loopback in front of
/// a small local chat API, paid by an agent that the owner granted 50 USDC for 30 days.
struct ChatbotDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatbot", abstract: "Scenario 1: a chat API billed per call, an agent paying from a 50 USDC grant.")

    @Option(name: .long, help: "Paid chat calls the agent makes.")
    var calls = 10

    @Option(name: .long, help: "Gateway port (0: any free port).")
    var port = 8402

    @Option(name: .customLong("data-dir"), help: "Where the gateway and the demo keys live (default: a new temporary folder).")
    var dataDirectory: String?

    @Flag(name: .customLong("exit"), help: "Stop after the calls instead of serving until Ctrl-C.")
    var exitAfterCalls = false

    @Option(name: .long, help: "Where charges settle: ledger (the embedded ledger), evm (a local chain), or none.")
    var rail = "ledger"

    @Option(name: .long, help: "With --rail evm: the repository checkout holding chain/ and contracts/ (default: here).")
    var repository = "."

    @Flag(name: .customLong("new-merchant"), help: "With --rail evm: the merchant's address has never held the token.")
    var newMerchant = false

    func validate() throws {
        guard (1...10_000).contains(calls) else { throw ValidationError("--calls is 1...10000") }
        guard SettlementConfiguration.Rail(rawValue: rail) != nil else {
            throw ValidationError("--rail is ledger, evm or none")
        }
        guard !newMerchant || rail == SettlementConfiguration.Rail.evm.rawValue else {
            throw ValidationError("--new-merchant is about the merchant's token on chain: use it with --rail evm")
        }
    }

    func run() async throws {
        var logger = Logger(label: "pb.demo")
        // The demo's own output is the story; server chatter (including the shutdown at --exit) stays quiet.
        logger.logLevel = .critical
        let directory = dataDirectory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("pb-demo-\(UUID().uuidString.prefix(8))").path
        let owner = PrivateKey.random(), agent = PrivateKey.random()
        // With --rail evm the token, the escrow and the payee live on a local chain started for the demo.
        var chain: DemoChain?
        if rail == SettlementConfiguration.Rail.evm.rawValue {
            chain = try await Self.startChain(
                repository: repository, owner: owner, directory: directory, merchantBalance: newMerchant ? 0 : 25_000_000)
        }
        defer { chain?.stop() }
        let payee = chain?.payee.address ?? Self.payee, asset = chain?.deployment.token ?? Self.usdc
        let upstream = try await ServerTask.start(router: Self.chatUpstream(), port: 0, logger: logger)
        var configuration = GatewayConfiguration()
        configuration.listen = ListenAddress(host: "127.0.0.1", port: port)
        configuration.dataDirectory = directory
        configuration.services = [
            Self.chatService(
                upstreamPort: upstream.port, payee: payee, asset: asset,
                network: "eip155:\(chain?.deployment.chainId ?? 8453)"),
        ]
        configuration.settlement.rail = SettlementConfiguration.Rail(rawValue: rail) ?? .ledger
        if let chain { try Self.configureChain(&configuration, chain: chain, directory: directory) }
        // The demo plays a day's chat in seconds; at that pace Sentinel's "> 100 calls a minute" rule would (rightly)
        // freeze the agent, so the demo lifts only the call-rate limit (`pb demo attack` shows that rule at work).
        configuration.sentinel.policy = try SentinelPolicy.standard(callsAbove: 100_000)
        let launcher = try await GatewayLauncher.prepare(configuration: configuration, logger: logger)
        let gateway = try await ServerTask.start(
            responder: launcher.application.makeResponder(publicBaseURL: "http://127.0.0.1:\(port)"), port: port,
            logger: logger)
        let baseURL = "http://127.0.0.1:\(gateway.port)"
        Self.say("== PB-Stream gateway on \(baseURL) in front of a chat API on port \(upstream.port) (data: \(directory))")

        let unpaid = try await DemoHTTP.post(baseURL + "/v1/chat", body: "{\"prompt\":\"hello\"}")
        Self.say("\n== Without payment: HTTP \(unpaid.status)")
        if let header = unpaid.paymentRequired,
            let required = try? PaymentHeaderCodec.decode(header, as: PaymentRequired.self), let entry = required.accepts.first
        {
            Self.say("PAYMENT-REQUIRED: x402 v\(required.x402Version), scheme \(entry.scheme), amount \(entry.amount) "
                + "base units (0.01 USDC) to \(entry.payTo) on \(entry.network)")
        }

        let now = UInt64(SystemWallClock().now.seconds)
        let grant = SignedSessionGrant.sign(
            SessionGrant(
                owner: owner.address, sessionKey: agent.address, asset: asset, payees: [payee],
                services: ["chat"], totalLimit: 50_000_000, perPaymentLimit: 1_000_000, validAfter: now - 60,
                validUntil: now + 30 * 86_400),
            domain: launcher.application.processor.domain, with: owner)
        try KeyFile.write(owner, to: directory + "/owner.key", overwrite: true)
        try KeyFile.write(agent, to: directory + "/agent.key", overwrite: true)
        try (grant.documentJSON.serialized() + "\n").write(toFile: directory + "/grant.json", atomically: true, encoding: .utf8)
        Self.say("\n== The owner \(owner.address) grants the agent \(agent.address) 50 USDC for 30 days (one signature)")
        Self.say("grant id \(grant.digest)")
        if let chain {
            // A reserved grant: its 50 USDC leave the owner's pooled escrow and are kept for this grant alone, so
            // every voucher the agent signs within the limit is funded, and settling it skips the pool.
            let gas = try await chain.deployment.registerAndReserve(grant, owner: owner)
            let reserved = try await chain.deployment.reservedAmount(grant.digest)
            Self.say("on chain: the owner registered the grant (\(gas.register) gas) and reserved "
                + "\(Self.usdcText(reserved)) of its escrow for it (reserveGrant, \(gas.reserve) gas)")
        }

        let client = try PBClient(sessionKey: agent, grant: grant, stateFile: directory + "/agent-state.json")
        Self.say("\n== The agent chats \(calls) times at 0.01 USDC per call, paying by itself")
        for call in 1...calls {
            let response = try await client.send(
                method: "POST", url: baseURL + "/v1/chat", headers: [("Content-Type", "application/json")],
                body: Array("{\"prompt\":\"question \(call)\"}".utf8))
            let receipt = response.receipt.map { "receipt \($0.receiptId.hex.prefix(14))…" } ?? "no receipt"
            Self.say("call \(call): HTTP \(response.status) \(response.bodyText.prefix(40)) | spent \(Self.usdcText(client.spent))"
                + " remaining \(Self.usdcText(client.remaining)) | \(receipt)")
        }
        let stored = try await launcher.application.store.grant(grant.digest)
        Self.say("\n== The gateway's ledger: spent \(Self.usdcText(stored?.spent ?? 0)), remaining "
            + "\(Self.usdcText(stored?.remaining ?? 0))")
        if let worker = launcher.application.settlementWorker {
            try await SettlementDemo(worker: worker, payee: payee, token: asset, chain: chain, owner: owner).settleAndReport()
        }
        if exitAfterCalls {
            await gateway.stop()
            await upstream.stop()
            try await launcher.shutdown()
            return
        }
        Self.say("""

            The gateway keeps running (Ctrl-C stops it). Try:
              curl -i -X POST \(baseURL)/v1/chat -d '{}'          # 402 with PAYMENT-REQUIRED
              pb agent call \(baseURL)/v1/chat --request POST --data '{}' --key \(directory)/agent.key \\
                  --grant \(directory)/grant.json --state \(directory)/agent-state.json
            """)
        try await gateway.wait()
        await upstream.stop()
        try await launcher.shutdown()
    }

    /// Prints and flushes at once: the demo keeps serving, so into a pipe or a log file block-buffered lines would
    /// only appear when it stops (or never, if it is killed).
    static func say(_ line: String) {
        print(line)
        fflush(nil)
    }

    static let usdc = try! EthereumAddress("0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913")
    static let payee = try! EthereumAddress("0x9f1B6b1E2c4a0a1c83c6af1Bd6E7f0a2b3C4d5e6")
    /// What one chat call costs: 0.01 USDC.
    static let pricePerCallBaseUnits: UInt128 = 10_000

    static func usdcText(_ baseUnits: UInt128) -> String {
        ((try? Amount(baseUnits: baseUnits, decimals: 6))?.decimalString ?? "?") + " USDC"
    }

    static func chatService(
        upstreamPort: Int, payee: EthereumAddress = payee, asset: EthereumAddress = usdc, network: String = "eip155:8453"
    ) -> ServiceRecord {
        ServiceRecord(
            id: "chat", name: "Demo chat", payee: payee, asset: asset, network: network,
            upstreamURL: "http://127.0.0.1:\(upstreamPort)", pathPrefix: "/",
            routes: [
                RouteRecord(method: "POST", path: "/v1/chat", priceBaseUnits: pricePerCallBaseUnits),
                RouteRecord(method: "GET", path: "/v1/models", priceBaseUnits: nil),
            ])
    }

    /// The local chain with the token and the escrow deployed, the owner's 50 USDC deposited, and the merchant
    /// holding `merchantBalance` base units from earlier sales (0: an address that never held the token).
    static func startChain(repository: String, owner: PrivateKey, directory: String, merchantBalance: UInt64)
        async throws -> DemoChain
    {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        say("== Local chain (chain/pb_devchain.py, py-evm): deploying the test USDC and SessionKeyValidator (vyper)")
        let chain = try await DemoChain.start(
            repository: URL(fileURLWithPath: repository), owner: owner, deposit: 50_000_000,
            logFile: directory + "/devchain.log")
        if merchantBalance > 0 {
            try await chain.deployment.mint(UInt128(merchantBalance), to: chain.payee.address, by: owner)
        }
        say("chain \(chain.url) id \(chain.deployment.chainId): token \(chain.deployment.token), escrow "
            + "\(chain.deployment.escrow); the owner deposited 50 USDC; the payee \(chain.payee.address) lets the "
            + "gateway's settlement key \(chain.settler.address) settle for it and holds "
            + (merchantBalance > 0 ? "\(usdcText(UInt128(merchantBalance))) from earlier sales" : "no token yet (--new-merchant)"))
        return chain
    }

    /// `settlement.rail: evm` against the demo chain: grants are signed for the escrow's EIP-712 domain, and the
    /// settlement key is a key file only its owner can read, as in production.
    static func configureChain(_ configuration: inout GatewayConfiguration, chain: DemoChain, directory: String) throws {
        let keyFile = directory + "/settlement.key"
        try KeyFile.write(chain.settler, to: keyFile, overwrite: true)
        configuration.chainId = chain.deployment.chainId
        configuration.verifyingContract = chain.deployment.escrow
        var evm = EVMRailConfiguration(
            chainId: chain.deployment.chainId, rpcURL: chain.url, contract: chain.deployment.escrow,
            token: chain.deployment.token, signerKeyFile: keyFile)
        evm.receiptPollIntervalMilliseconds = 100
        configuration.evm = evm
    }

    /// A stand-in for an AI model: answers every prompt with a short reply.
    static func chatUpstream() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/v1/chat") { request, _ -> Response in
            let prompt = try await request.body.collect(upTo: 1 << 20)
            let reply = "{\"reply\":\"Hello! (\(prompt.readableBytes) bytes received)\"}"
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: reply)))
        }
        router.get("/v1/models") { _, _ in "[\"demo-small\"]" }
        return router
    }
}
