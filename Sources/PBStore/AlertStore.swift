import PBCore

/// What one attempt to deliver an alert on one channel came to.
public enum AlertAttemptOutcome: String, Sendable, Hashable, CaseIterable {
    /// The channel accepted it (2xx, SMTP 250, Telegram `ok`).
    case delivered
    /// It failed and will be tried again after a backoff.
    case retrying
    /// It failed and was the last attempt: the alert went to the dead-letter list for this channel.
    case failed
}

/// One row of the delivery log: every attempt, successful or not, on every channel.
public struct AlertDeliveryAttempt: Sendable, Hashable {
    public let alertId: String
    /// `webhook`, `email` or `telegram`.
    public let channel: String
    /// 1 for the first attempt.
    public let attempt: Int
    public let outcome: AlertAttemptOutcome
    /// The channel's answer or the error, free of secrets (`HTTP 503`, `SMTP 451 try later`); empty when delivered
    /// without a message.
    public let detail: String
    /// What the alert is about, repeated here so the log reads on its own: kind, severity and subject.
    public let kind: String
    public let severity: String
    public let subject: String
    public let at: UnixTime

    public init(
        alertId: String, channel: String, attempt: Int, outcome: AlertAttemptOutcome, detail: String, kind: String,
        severity: String, subject: String, at: UnixTime
    ) {
        self.alertId = alertId
        self.channel = channel
        self.attempt = attempt
        self.outcome = outcome
        self.detail = detail
        self.kind = kind
        self.severity = severity
        self.subject = subject
        self.at = at
    }
}

/// A row of an append-only list as stored: the value and its position (the cursor of its page).
public struct SequencedRecord<Value: Sendable & Hashable>: Sendable, Hashable {
    public let sequence: Int64
    public let value: Value

    public init(sequence: Int64, value: Value) {
        self.sequence = sequence
        self.value = value
    }
}

public typealias AlertDeliveryRecord = SequencedRecord<AlertDeliveryAttempt>
public typealias AlertDeadLetterRecord = SequencedRecord<AlertDeadLetter>

/// An alert that one channel could not deliver in its bounded attempts (or that shutdown left undelivered): kept
/// with the whole alert document so an operator can read it and send it by hand.
public struct AlertDeadLetter: Sendable, Hashable {
    public let alertId: String
    public let channel: String
    public let attempts: Int
    public let lastError: String
    /// The alert as JSON text, exactly as the channels would have rendered it.
    public let document: String
    public let at: UnixTime

    public init(alertId: String, channel: String, attempts: Int, lastError: String, document: String, at: UnixTime) {
        self.alertId = alertId
        self.channel = channel
        self.attempts = attempts
        self.lastError = lastError
        self.document = document
        self.at = at
    }
}

/// The alert dispatcher's bookkeeping (docs/SENTINEL.md, "Alerts"): an append-only delivery log and the dead-letter
/// list. Part of every `GatewayStore`; the shared suite in Tests/PBStoreTestSuite checks it.
public protocol AlertStore: Sendable {
    /// Appends one attempt to the log; returns it with its sequence.
    @discardableResult
    func recordAlertAttempt(_ attempt: AlertDeliveryAttempt) async throws -> AlertDeliveryRecord
    /// The log, newest first, optionally of one alert; `limit` is kept within 1...500.
    func alertDeliveries(alertId: String?, after cursor: String?, limit: Int) async throws -> Page<AlertDeliveryRecord>
    @discardableResult
    func addAlertDeadLetter(_ letter: AlertDeadLetter) async throws -> AlertDeadLetterRecord
    /// Dead letters, newest first; `limit` is kept within 1...500.
    func alertDeadLetters(after cursor: String?, limit: Int) async throws -> Page<AlertDeadLetterRecord>
}
