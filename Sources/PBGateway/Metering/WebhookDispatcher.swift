import AsyncHTTPClient
import PBAlerts
import PBCore
import PBMetering
import PBStore

/// Hands stored merchant events to whoever tells the merchant: the webhook dispatcher now, the alert system of a
/// later issue instead. `deliverPending` is called by the metering service after every tick.
public protocol MeteringEventDelivery: Sendable {
    /// Sends the events that are due; returns how many were delivered.
    func deliverPending() async throws -> Int
}

/// Where metering events go: a URL and the secret their signatures are keyed with (`PB_WEBHOOK_URL`,
/// `PB_WEBHOOK_SECRET`).
public struct WebhookEndpoint: Sendable {
    public let url: String
    public let secret: [UInt8]

    public init(url: String, secret: String) {
        self.url = url
        self.secret = Array(secret.utf8)
    }
}

/// POSTs each pending event as JSON to the merchant's webhook with an HMAC-SHA256 signature, and retries failures
/// with doubling delays on the injected clock, a bounded number of times.
///
/// Signature: header `PB-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`, made and
/// checked by `WebhookSignature`, the signer alerts use too. The receiver recomputes it over the raw body and compares
/// in constant time; the timestamp lets it refuse old replays.
public struct WebhookDispatcher: MeteringEventDelivery {
    public static let signatureHeader = WebhookSignature.header
    public let store: any MeteringStore
    public let endpoint: WebhookEndpoint
    public let httpClient: HTTPClient
    public let clock: any WallClock
    /// Attempts per event, the first included; then the event is marked failed (still listed by the API).
    public let maximumAttempts: Int
    /// The delay after the first failure; doubled after each further one, at most an hour.
    public let firstRetrySeconds: Int64
    /// Events sent per call, bounding the time one call takes.
    public let batchLimit = 100

    public init(
        store: any MeteringStore, endpoint: WebhookEndpoint, httpClient: HTTPClient, clock: any WallClock,
        maximumAttempts: Int = 6, firstRetrySeconds: Int64 = 5
    ) {
        self.store = store
        self.endpoint = endpoint
        self.httpClient = httpClient
        self.clock = clock
        self.maximumAttempts = max(1, min(maximumAttempts, 20))
        self.firstRetrySeconds = max(1, firstRetrySeconds)
    }

    public func deliverPending() async throws -> Int {
        let now = clock.now
        var delivered = 0
        for pending in try await store.pendingEvents(dueAt: now, limit: batchLimit) {
            let attempts = pending.attempts + 1
            let outcome: DeliveryOutcome
            if await send(MeteringJSON.event(pending.event), at: now) {
                outcome = .delivered
                delivered += 1
            } else if attempts >= maximumAttempts {
                outcome = .failed
            } else {
                let delay = min(firstRetrySeconds << Int64(min(attempts - 1, 20)), 3_600)
                outcome = .retry(at: now.adding(seconds: delay))
            }
            try await store.recordDelivery(of: pending.event.sequence, attempts: attempts, outcome: outcome)
        }
        return delivered
    }

    /// `t=<seconds>,v1=<hex>` for `body` sent at `timestamp`.
    public static func signature(body: [UInt8], timestamp: Int64, secret: [UInt8]) -> String {
        WebhookSignature.sign(body: body, timestamp: timestamp, secret: secret)
    }

    /// True for a 2xx answer within ten seconds; any other answer or failure is retried.
    private func send(_ event: JSONValue, at now: UnixTime) async -> Bool {
        let body = Array(event.serialized().utf8)
        let signature = Self.signature(body: body, timestamp: now.seconds, secret: endpoint.secret)
        do {
            let status = try await WebhookChannel.post(
                body: body, to: endpoint.url, signature: signature, httpClient: httpClient, timeoutSeconds: 10)
            return (200..<300).contains(status)
        } catch {
            return false
        }
    }
}
