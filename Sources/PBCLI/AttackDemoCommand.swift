import ArgumentParser
import Foundation
import Logging
import PBClient
import PBCore
import PBCrypto
import PBGateway
import PBProtocol
import PBSentinel
import PBStore
import PBAlerts
import Synchronization

/// The chatbot scenario under attack: an agent chats normally, then a thief who stole its session key fires a burst;
/// Sentinel freezes the key inside the burst (the request that crossed the line is already refused), the alerts
/// come out of the gateway's alert sink, nothing more is charged, and the owner lifts the freeze with a signed
/// request.
///
/// The agent's pace is scripted on the gateway's clock (one question every `paceSeconds`, without waiting for
/// them), so the key's history, and with it the call that trips the anomaly rule, is the same on every machine:
/// against a history of 15 s gaps, the thief's millisecond gaps are far out whatever the machine's speed.
struct AttackDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attack", abstract: "Scenario 1 under attack: a stolen key's burst frozen by Sentinel, then unfrozen by the owner.")

    @Option(name: .long, help: "Normal calls the agent makes first.")
    var calls = 10

    @Option(name: .customLong("burst"), help: "Calls the thief fires as fast as it can.")
    var burstCalls = 150

    @Option(name: .customLong("smtp-port"), help: "Send the alert e-mail to this SMTP server on 127.0.0.1 instead of the demo's own receiver.")
    var smtpPort: Int?

    /// Seconds between the agent's questions, on the gateway's clock.
    static let paceSeconds: Int64 = 15

    func validate() throws {
        // Below 10 calls the key has too little history for the anomaly rules; a burst of 20 is well past the
        // 8 calls in 10 s that the burst rule waits for.
        guard (10...90).contains(calls), (20...1_000).contains(burstCalls) else {
            throw ValidationError("--calls is 10...90 and --burst 20...1000")
        }
    }

    func run() async throws {
        var logger = Logger(label: "pb.demo")
        logger.logLevel = .critical
        let say = ChatbotDemoCommand.say, usdc = ChatbotDemoCommand.usdcText
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pb-attack-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let upstream = try await ServerTask.start(router: ChatbotDemoCommand.chatUpstream(), port: 0, logger: logger)
        var configuration = GatewayConfiguration()
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.dataDirectory = directory
        configuration.services = [ChatbotDemoCommand.chatService(upstreamPort: upstream.port)]
        // Alerts leave the gateway as they would in production: signed to a webhook receiver and by e-mail.
        let webhook = DemoWebhookReceiver(secret: Array(Hex.encode(Bytes32.random().bytes, prefix: false).utf8))
        configuration.alerts.webhook = try await Self.webhookConfiguration(receiver: webhook, logger: logger)
        let mailbox = smtpPort == nil ? try await DemoSMTPReceiver.start() : nil
        let mailPort = smtpPort ?? mailbox?.port ?? 0
        configuration.alerts.email = AlertsConfiguration.Email(
            smtp: SMTPSettings(host: "127.0.0.1", port: mailPort), from: "sentinel@gateway.example",
            to: ["owner@agent.example"])
        let clock = OffsetWallClock()
        let alerts = PrintingAlertSink()
        let launcher = try await GatewayLauncher.prepare(
            configuration: configuration, logger: logger, clock: clock, sentinelAlertSink: alerts)
        let application = launcher.application
        let sentinel = Task { try await application.sentinel.run() }
        let dispatcher = Task { try await application.alerts.run() }
        let gateway = try await ServerTask.start(
            responder: application.makeResponder(publicBaseURL: "http://127.0.0.1"), port: 0, logger: logger)
        let chatURL = "http://127.0.0.1:\(gateway.port)/v1/chat"
        say("== PB-Stream gateway on 127.0.0.1:\(gateway.port), Sentinel on with its default rules")

        let owner = PrivateKey.random(), agent = PrivateKey.random()
        let now = UInt64(SystemWallClock().now.seconds)
        let grant = SignedSessionGrant.sign(
            SessionGrant(
                owner: owner.address, sessionKey: agent.address, asset: ChatbotDemoCommand.usdc,
                payees: [ChatbotDemoCommand.payee], services: ["chat"], totalLimit: 50_000_000, perPaymentLimit: 1_000_000,
                validAfter: now - 60, validUntil: now + 30 * 86_400),
            domain: application.processor.domain, with: owner)
        say("owner \(owner.address) grants agent \(agent.address) 50 USDC (grant \(grant.digest.hex.prefix(18))…)")

        let honest = try PBClient(sessionKey: agent, grant: grant)
        say("\n== 1. The agent chats \(calls) times at 0.01 USDC, a question every \(Self.paceSeconds) s "
            + "(the demo moves the gateway's clock instead of waiting)")
        for call in 1...calls {
            if call > 1 { clock.advance(bySeconds: Self.paceSeconds) }
            let response = try await honest.send(method: "POST", url: chatURL, body: Array("{\"prompt\":\"q\(call)\"}".utf8))
            guard response.status == 200 else { throw CommandFailure("normal call \(call) answered \(response.status): \(response.bodyText)") }
        }
        let spentBefore = try await application.store.grant(grant.digest)?.spent ?? 0
        say("\(calls) calls paid, HTTP 200 each; spent \(usdc(spentBefore))")

        say("\n== 2. A thief with the stolen session key fires \(burstCalls) calls as fast as it can")
        let thief = try PBClient(sessionKey: agent, grant: grant)
        clock.advance(bySeconds: Self.paceSeconds)
        let burstStart = ContinuousClock.now
        var firstRefused: (call: Int, elapsed: Duration, code: String, message: String)?
        var paidInBurst = 0
        for call in 1...burstCalls {
            let response = try await thief.send(method: "POST", url: chatURL, body: Array("{\"prompt\":\"drain\"}".utf8))
            if response.status == 200 { paidInBurst += 1; continue }
            if firstRefused == nil {
                let body = try? JSONValue.parse(response.bodyText)
                firstRefused = (call, ContinuousClock.now - burstStart, body?["error"]?.stringValue ?? "?", body?["message"]?.stringValue ?? "")
            }
        }
        guard let firstRefused else { throw CommandFailure("Sentinel did not stop the burst") }
        let burstMilliseconds = Self.milliseconds(ContinuousClock.now - burstStart)
        say("thief's calls 1-\(firstRefused.call - 1) paid (the key's calls \(calls + 1)-\(calls + firstRefused.call - 1))")
        say("thief's call \(firstRefused.call) (the key's call \(calls + firstRefused.call)): refused, "
            + "\(firstRefused.code): \(firstRefused.message)")
        say("key frozen by that very request, \(Self.milliseconds(firstRefused.elapsed)) ms into the burst; "
            + "every later call refused: \(burstCalls - paidInBurst) of \(burstCalls) refused in \(burstMilliseconds) ms")
        guard let afterBurst = try await application.store.grant(grant.digest) else { throw CommandFailure("the grant is gone") }
        say("stored status \(afterBurst.status.rawValue); spent \(usdc(afterBurst.spent)): nothing charged after the freeze")

        // Alerts leave through the sink, off the payment path: wait (bounded) until they have been handed over.
        await alerts.waitFor(count: 2)
        say("\n== 3. Sentinel's events, as the alert sink received them")
        for line in alerts.lines { say(line) }
        let frozenEvents = alerts.events.filter { $0.kind == .frozen || $0.kind == .ruleFired }
        if let first = frozenEvents.first, let last = frozenEvents.last {
            say("rule fired and key frozen in the same second: \(first.time.seconds == last.time.seconds ? "yes" : "no")")
        }
        await webhook.waitFor(count: frozenEvents.count)
        say("\n== 4. The alerts, delivered by the gateway's alert dispatcher")
        let deliveries = webhook.received
        say("webhook receiver: \(deliveries.count) deliveries, each PB-Signature verified with the shared secret "
            + "(\(webhook.rejectedCount) rejected): \(deliveries.map(\.kind).sorted().joined(separator: ", ")); "
            + "the last \(Self.milliseconds(Self.latest(deliveries.map(\.receivedAt)) - burstStart)) ms into the burst")
        if let mailbox {
            await mailbox.waitFor(count: frozenEvents.count)
            let messages = mailbox.received.sorted { $0.subject < $1.subject }
            say("SMTP server 127.0.0.1:\(mailPort): \(messages.count) messages, the last "
                + "\(Self.milliseconds(Self.latest(messages.map(\.receivedAt)) - burstStart)) ms into the burst")
            for message in messages {
                say("  from \(message.mailFrom) to \(message.recipients.joined(separator: ", ")): \(message.subject)")
            }
        }
        for line in try await Self.deliveryLog(application.store, count: frozenEvents.count * 2) { say(line) }

        say("\n== 5. The owner unfreezes the key with a signed request (a minute later: the demo moves the gateway's clock)")
        clock.advance(bySeconds: 61)
        let issuedAt = UInt64(clock.now.seconds)
        let change = GrantStatusChange(grantId: grant.digest, status: "active", issuedAt: issuedAt)
        let signature = SignedMessage.sign(change, domain: application.processor.domain, with: owner).signatureBytes
        let unfreeze = try await DemoHTTP.send(
            "POST", "http://127.0.0.1:\(gateway.port)/v1/grants/\(grant.digest.hex)/status",
            body: #"{"status":"active","issuedAt":"\#(issuedAt)","signature":"\#(Hex.encode(signature))"}"#)
        say("POST /v1/grants/…/status {status: active} signed by the owner: HTTP \(unfreeze.status)")
        await alerts.waitFor(count: alerts.events.count + 1)
        if let line = alerts.lines.last { say(line) }
        let resumed = try await honest.send(method: "POST", url: chatURL, body: Array("{\"prompt\":\"back\"}".utf8))
        let final = try await application.store.grant(grant.digest)
        say("the agent pays again: HTTP \(resumed.status); status \(final?.status.rawValue ?? "?"), spent \(usdc(final?.spent ?? 0))")

        await gateway.stop()
        application.sentinel.stop()
        _ = await sentinel.result
        application.alerts.beginShutdown()
        _ = await dispatcher.result
        await webhook.stop()
        await mailbox?.stop()
        await upstream.stop()
        try await launcher.shutdown()
        guard resumed.status == 200 else { throw CommandFailure("payments did not resume: \(resumed.bodyText)") }
    }

    static func webhookConfiguration(receiver: DemoWebhookReceiver, logger: Logger) async throws
        -> AlertsConfiguration.Webhook
    {
        var webhook = AlertsConfiguration.Webhook(url: try await receiver.start(logger: logger))
        webhook.secret = String(decoding: receiver.secret, as: UTF8.self)
        return webhook
    }

    /// The dispatcher's delivery log (`GET /v1/alerts/deliveries`), once `count` attempts are in (bounded wait).
    static func deliveryLog(_ store: any GatewayStore, count: Int) async throws -> [String] {
        var attempts: [AlertDeliveryAttempt] = []
        try await DemoWait.until {
            attempts = try await store.alertDeliveries(alertId: nil, after: nil, limit: 50).items.map(\.value)
            return attempts.count >= count
        }
        return attempts.sorted { ($0.channel, $0.kind) < ($1.channel, $1.kind) }.map { attempt in
            "delivery log: \(attempt.channel) \(attempt.kind) attempt \(attempt.attempt): \(attempt.outcome.rawValue)"
        }
    }

    static func latest(_ instants: [ContinuousClock.Instant]) -> ContinuousClock.Instant { instants.max() ?? .now }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}

/// The demo's alert sink: keeps every event and formats it as an alert line.
final class PrintingAlertSink: SentinelAlertSink {
    private let received = Mutex<[SentinelEvent]>([])

    func deliver(_ event: SentinelEvent) { received.withLock { $0.append(event) } }

    var events: [SentinelEvent] { received.withLock { $0 } }

    var lines: [String] {
        events.map { event in
            let subject = switch event.subject {
            case .key(let id): "key \(id.hex.prefix(18))…"
            case .owner(let owner): "owner \(owner)"
            }
            let name = event.kind == .ruleFired ? "ALERT" : "EVENT"
            return "\(name) [\(event.severity.rawValue)] \(event.kind.rawValue) \(event.ruleID ?? "-") on \(subject): \(event.details)"
        }
    }

    /// Waits until `count` events arrived, for at most about ten seconds.
    func waitFor(count: Int) async { await DemoWait.until { events.count >= count } }
}

/// The system clock plus an offset the demo can move forward (to let a minute pass without waiting for it).
final class OffsetWallClock: WallClock {
    private let offsetSeconds = Mutex<Int64>(0)

    var now: UnixTime { SystemWallClock().now.adding(seconds: offsetSeconds.withLock { $0 }) }

    func advance(bySeconds seconds: Int64) { offsetSeconds.withLock { $0 += seconds } }
}
