import AsyncHTTPClient
import Logging
import PBAlerts
import PBCore
import PBCrypto
import PBSentinel
import PBStore
import PBStoreSQLite
import PBTestSupport
import ServiceLifecycle
import Testing

/// The dispatcher against a real webhook receiver on loopback and a real SQLite store: retries, dead letters, the
/// queue's bound and graceful shutdown, as an operator would observe them through the delivery log.
@Suite struct AlertDispatcherTests {
    static let secret = "whsec_alerts_test_0123456789"
    static let clock = ManualWallClock(UnixTime(seconds: 1_764_000_000))

    static var quietLogger: Logger {
        var logger = Logger(label: "pb.test.alerts")
        logger.logLevel = .critical
        return logger
    }

    static func alert(_ id: String, severity: Severity = .high) -> Alert {
        let event = SentinelEvent(
            subject: .key(Bytes32(unchecked: [UInt8](repeating: 0xab, count: 32))), kind: .ruleFired, severity: severity,
            ruleID: "burst", action: .freeze, details: "112 calls in 60 s (limit 100)", time: clock.now)
        let converted = Alert(event)
        return Alert(
            id: id, kind: converted.kind, severity: converted.severity, subject: converted.subject,
            title: converted.title, details: converted.details, time: converted.time)
    }

    static func dispatcher(
        url: String, store: SQLiteGatewayStore, attempts: Int = 5, firstDelay: Duration = .milliseconds(5),
        configure: (inout AlertDispatcher.Settings) -> Void = { _ in }
    ) -> AlertDispatcher {
        var settings = AlertDispatcher.Settings()
        settings.retry = RetryPolicy(maximumAttempts: attempts, firstDelay: firstDelay, maximumDelay: .milliseconds(40))
        configure(&settings)
        let channel = WebhookChannel(url: url + "/hooks", secret: secret, httpClient: .shared, clock: clock)
        return AlertDispatcher(channels: [channel], store: store, settings: settings, clock: clock, logger: quietLogger)
    }

    /// Runs the dispatcher in a ServiceGroup while `body` runs, then shuts it down gracefully.
    static func running(_ dispatcher: AlertDispatcher, _ body: () async throws -> Void) async throws {
        let group = ServiceGroup(services: [dispatcher], logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func failedAttemptsAreRetriedUntilTheWebhookAccepts() async throws {
        let receiver = LoopbackReceiver(answers: [.serverError, .serverError, .ok])
        let store = try SQLiteGatewayStore.inMemory()
        try await receiver.listen { url in
            let dispatcher = Self.dispatcher(url: url, store: store)
            try await Self.running(dispatcher) {
                #expect(dispatcher.submit(Self.alert("al_retry")))
                try await eventually("the delivery") { dispatcher.statistics.delivered == 1 }
            }
        }
        let log = try await store.alertDeliveries(alertId: "al_retry", after: nil, limit: 10).items.reversed()
        #expect(log.map(\.value.outcome) == [.retrying, .retrying, .delivered])
        #expect(log.map(\.value.attempt) == [1, 2, 3])
        #expect(log.first?.value.detail == "HTTP 500")
        #expect(log.allSatisfy { $0.value.channel == "webhook" && $0.value.severity == "high" })
        // Every attempt carried the same alert, signed; the accepted one verifies as a merchant would check it.
        #expect(receiver.received.count == 3)
        let accepted = try #require(receiver.received.last)
        try WebhookSignature.verify(
            header: try #require(accepted.signature), body: accepted.body, secret: Array(Self.secret.utf8),
            now: Self.clock.now.seconds)
        #expect(accepted.json?["id"] == .string("al_retry"))
        #expect(accepted.json?["details"]?["reason"] == .string("112 calls in 60 s (limit 100)"))
        #expect(try await store.alertDeadLetters(after: nil, limit: 10).items.isEmpty)
    }

    @Test func exhaustedRetriesEndInTheDeadLetterList() async throws {
        let receiver = LoopbackReceiver(answers: [.serverError])
        let store = try SQLiteGatewayStore.inMemory()
        try await receiver.listen { url in
            let dispatcher = Self.dispatcher(url: url, store: store, attempts: 3)
            try await Self.running(dispatcher) {
                dispatcher.submit(Self.alert("al_dead"))
                try await eventually("the dead letter") { dispatcher.statistics.deadLettered == 1 }
            }
        }
        let log = try await store.alertDeliveries(alertId: "al_dead", after: nil, limit: 10).items.reversed()
        #expect(log.map(\.value.outcome) == [.retrying, .retrying, .failed])
        #expect(receiver.received.count == 3, "no attempt beyond the bound")
        let letter = try #require(try await store.alertDeadLetters(after: nil, limit: 10).items.first?.value)
        #expect(letter.alertId == "al_dead")
        #expect(letter.channel == "webhook")
        #expect(letter.attempts == 3)
        #expect(letter.lastError == "HTTP 500")
        #expect(try JSONValue.parse(letter.document)["title"]?.stringValue?.contains("rule fired") == true)
    }

    @Test func aFullQueueDropsNewestOrOldestAndCountsIt() async throws {
        let receiver = LoopbackReceiver(answers: [.ok])
        let store = try SQLiteGatewayStore.inMemory()
        try await receiver.listen { url in
            // Not running yet, so nothing leaves the queue: the bound is what decides.
            let newest = Self.dispatcher(url: url, store: store) { $0.queueCapacity = 2 }
            #expect(newest.submit(Self.alert("n1")) && newest.submit(Self.alert("n2")))
            #expect(newest.submit(Self.alert("n3")) == false, "a full queue refuses the newest")
            #expect(newest.statistics.dropped == 1 && newest.statistics.queued == 2)

            let oldest = Self.dispatcher(url: url, store: store) { $0.queueCapacity = 2; $0.overflow = .dropOldest }
            #expect(oldest.submit(Self.alert("o1")) && oldest.submit(Self.alert("o2")) && oldest.submit(Self.alert("o3")))
            #expect(oldest.statistics.dropped == 1)
            try await Self.running(oldest) {
                try await eventually("two deliveries") { oldest.statistics.delivered == 2 }
            }
        }
        let delivered = Set(receiver.received.compactMap { $0.json?["id"]?.stringValue })
        #expect(delivered == ["o2", "o3"], "the oldest was the one dropped")
    }

    @Test func channelsBelowTheirMinimumSeverityAreSkipped() async throws {
        let receiver = LoopbackReceiver(answers: [.ok])
        let store = try SQLiteGatewayStore.inMemory()
        try await receiver.listen { url in
            let channel = WebhookChannel(
                url: url + "/hooks", secret: Self.secret, minimumSeverity: .high, httpClient: .shared, clock: Self.clock)
            let dispatcher = AlertDispatcher(channels: [channel], store: store, clock: Self.clock, logger: Self.quietLogger)
            await dispatcher.dispatch(Self.alert("low", severity: .low))
            await dispatcher.dispatch(Self.alert("critical", severity: .critical))
        }
        #expect(receiver.received.compactMap { $0.json?["id"]?.stringValue } == ["critical"])
    }

    @Test func gracefulShutdownMakesOneLastAttemptThenDeadLetters() async throws {
        let receiver = LoopbackReceiver(answers: [.serverError])
        let store = try SQLiteGatewayStore.inMemory()
        try await receiver.listen { url in
            // An hour's backoff: only the shutdown can end the wait before the test's deadline.
            let dispatcher = Self.dispatcher(url: url, store: store, attempts: 5, firstDelay: .seconds(3_600))
            try await Self.running(dispatcher) {
                dispatcher.submit(Self.alert("al_shutdown"))
                try await eventually("the first attempt's log entry") {
                    try await store.alertDeliveries(alertId: "al_shutdown", after: nil, limit: 10).items.count == 1
                }
            }
            #expect(dispatcher.submit(Self.alert("late")) == false, "no alerts are taken after shutdown")
        }
        let log = try await store.alertDeliveries(alertId: "al_shutdown", after: nil, limit: 10).items.reversed()
        #expect(log.map(\.value.outcome) == [.retrying, .failed])
        let letter = try #require(try await store.alertDeadLetters(after: nil, limit: 10).items.first?.value)
        #expect(letter.alertId == "al_shutdown" && letter.attempts == 2)
    }

    @Test func alertsStillQueuedAfterTheDrainTimeAreDeadLetteredUnsent() async throws {
        let receiver = LoopbackReceiver(answers: [.ok])
        let store = try SQLiteGatewayStore.inMemory()
        try await receiver.listen { url in
            let dispatcher = Self.dispatcher(url: url, store: store) { $0.drainTime = .zero }
            for index in 1...3 { dispatcher.submit(Self.alert("queued\(index)")) }
            dispatcher.beginShutdown()
            try await dispatcher.run()
        }
        #expect(receiver.received.isEmpty)
        let letters = try await store.alertDeadLetters(after: nil, limit: 10).items.map(\.value)
        #expect(Set(letters.map(\.alertId)) == ["queued1", "queued2", "queued3"])
        #expect(letters.allSatisfy { $0.attempts == 0 && $0.lastError == "not sent: gateway shut down" })
    }

    @Test func retryDelaysGrowWithJitterUpToTheCap() {
        let policy = RetryPolicy(maximumAttempts: 9, firstDelay: .seconds(2), maximumDelay: .seconds(60))
        #expect(policy.delay(afterFailure: 1, unitRandom: 0) == .seconds(1))
        #expect(policy.delay(afterFailure: 1, unitRandom: 1) == .seconds(2))
        #expect(policy.delay(afterFailure: 3, unitRandom: 1) == .seconds(8))
        #expect(policy.delay(afterFailure: 4, unitRandom: 0.5) == .seconds(12))
        #expect(policy.delay(afterFailure: 30, unitRandom: 1) == .seconds(60), "capped")
        #expect(RetryPolicy(maximumAttempts: 1_000).maximumAttempts == 20, "attempts are bounded")
    }
}
