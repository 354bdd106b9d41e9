import PBCore
import PBStore
import Testing

/// The alert bookkeeping every store adapter must have (delivery log, dead letters), as plain functions each
/// adapter's test target calls, like `GatewayStoreSuite`.
public struct AlertStoreSuite: Sendable {
    let makeStore: @Sendable () async throws -> any AlertStore
    static let start = UnixTime(seconds: 1_764_000_000)

    public init(makeStore: @escaping @Sendable () async throws -> any AlertStore) {
        self.makeStore = makeStore
    }

    static func attempt(_ alertId: String, _ number: Int, _ outcome: AlertAttemptOutcome) -> AlertDeliveryAttempt {
        AlertDeliveryAttempt(
            alertId: alertId, channel: "webhook", attempt: number, outcome: outcome, detail: "HTTP 503",
            kind: "ruleFired", severity: "high", subject: "key 0xab", at: start.adding(seconds: Int64(number)))
    }

    /// Every attempt is kept in order; pages run newest first and one alert's attempts can be listed alone.
    public func deliveryLogPagesNewestFirst() async throws {
        let store = try await makeStore()
        for number in 1...3 { try await store.recordAlertAttempt(Self.attempt("a1", number, number < 3 ? .retrying : .delivered)) }
        try await store.recordAlertAttempt(Self.attempt("a2", 1, .failed))
        let first = try await store.alertDeliveries(alertId: nil, after: nil, limit: 3)
        #expect(first.items.map(\.value.alertId) == ["a2", "a1", "a1"])
        #expect(first.items.map(\.value.attempt) == [1, 3, 2])
        #expect(first.items[0].value == Self.attempt("a2", 1, .failed), "every field comes back as written")
        let cursor = try #require(first.nextCursor)
        let second = try await store.alertDeliveries(alertId: nil, after: cursor, limit: 3)
        #expect(second.items.map(\.value.attempt) == [1])
        #expect(second.nextCursor == nil)
        let one = try await store.alertDeliveries(alertId: "a1", after: nil, limit: 50)
        #expect(one.items.map(\.value.outcome) == [.delivered, .retrying, .retrying])
        await #expect(throws: (any Error).self, "a cursor the store did not hand out is refused") {
            _ = try await store.alertDeliveries(alertId: nil, after: "not-a-cursor", limit: 3)
        }
    }

    /// Dead letters keep the alert's whole document and list newest first.
    public func deadLettersKeepTheDocument() async throws {
        let store = try await makeStore()
        #expect(try await store.alertDeadLetters(after: nil, limit: 10).items.isEmpty)
        for index in 1...3 {
            try await store.addAlertDeadLetter(
                AlertDeadLetter(
                    alertId: "a\(index)", channel: "email", attempts: 5, lastError: "SMTP 451 try later",
                    document: #"{"id":"a\#(index)"}"#, at: Self.start))
        }
        let page = try await store.alertDeadLetters(after: nil, limit: 2)
        #expect(page.items.map(\.value.alertId) == ["a3", "a2"])
        #expect(page.items[0].value.document == #"{"id":"a3"}"#)
        #expect(page.items[0].value.attempts == 5)
        let cursor: String = try #require(page.nextCursor)
        let rest = try await store.alertDeadLetters(after: cursor, limit: 2)
        #expect(rest.items.map(\.value.alertId) == ["a1"])
        #expect(rest.nextCursor == nil)
    }
}
