import Synchronization

/// Counters and a latency histogram in the Prometheus text format (`GET /metrics`).
///
/// Written by hand rather than through swift-metrics: a handful of series, no global bootstrap, and one lock per
/// update keeps the hot path cheap and the output predictable for tests.
public final class GatewayMetrics: Sendable {
    /// Upper bounds of the charge-latency histogram, in seconds.
    public static let latencyBucketsSeconds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5]
    /// Distinct refusal codes kept; more than this are counted under `other` (a bound on label cardinality).
    static let maximumCodes = 64

    private struct State {
        var requests: [String: UInt64] = [:]
        var refusals: [String: UInt64] = [:]
        var paidAmountBaseUnits: UInt128 = 0
        var latencyBuckets = [UInt64](repeating: 0, count: GatewayMetrics.latencyBucketsSeconds.count)
        var latencyCount: UInt64 = 0
        var latencySumSeconds: Double = 0
        var heldBaseUnits: UInt128 = 0
        var capturedBaseUnits: UInt128 = 0
        var releasedBaseUnits: UInt128 = 0
        var capturesOverHold: UInt64 = 0
        var invalidUsageReports: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// `outcome`: free, paid, refused, voided, unpriced.
    public func recordRequest(outcome: String) {
        state.withLock { $0.requests[outcome, default: 0] += 1 }
    }

    public func recordRefusal(code: String) {
        state.withLock { state in
            let key = state.refusals[code] != nil || state.refusals.count < Self.maximumCodes ? code : "other"
            state.refusals[key, default: 0] += 1
        }
    }

    public func recordCharge(amountBaseUnits: UInt128, latency: Duration) {
        let seconds = Double(latency.components.seconds) + Double(latency.components.attoseconds) / 1e18
        state.withLock { state in
            state.paidAmountBaseUnits += amountBaseUnits
            state.latencyCount += 1
            state.latencySumSeconds += seconds
            for (index, bound) in Self.latencyBucketsSeconds.enumerated() where seconds <= bound {
                state.latencyBuckets[index] += 1
            }
        }
    }

    /// A payment held for authorize-then-capture.
    public func recordHold(amountBaseUnits: UInt128) {
        state.withLock { $0.heldBaseUnits += amountBaseUnits }
    }

    /// A capture: what it took of its hold, the rest being released.
    public func recordCapture(heldBaseUnits: UInt128, capturedBaseUnits: UInt128, overHold: Bool) {
        state.withLock { state in
            state.capturedBaseUnits += capturedBaseUnits
            state.releasedBaseUnits += heldBaseUnits - min(capturedBaseUnits, heldBaseUnits)
            if overHold { state.capturesOverHold += 1 }
        }
    }

    /// A hold released whole (expired, or its upstream failed).
    public func recordRelease(amountBaseUnits: UInt128) {
        state.withLock { $0.releasedBaseUnits += amountBaseUnits }
    }

    /// A `PB-Usage` header that could not be read.
    public func recordInvalidUsageReport() {
        state.withLock { $0.invalidUsageReports += 1 }
    }

    /// The Prometheus exposition text.
    public func render() -> String {
        let snapshot = state.withLock { $0 }
        var lines: [String] = []
        lines.append("# HELP pb_requests_total Requests through the payment gate by outcome.")
        lines.append("# TYPE pb_requests_total counter")
        for (outcome, count) in snapshot.requests.sorted(by: { $0.key < $1.key }) {
            lines.append("pb_requests_total{outcome=\"\(outcome)\"} \(count)")
        }
        lines.append("# HELP pb_payments_refused_total Refused payments by x402/pb error code.")
        lines.append("# TYPE pb_payments_refused_total counter")
        for (code, count) in snapshot.refusals.sorted(by: { $0.key < $1.key }) {
            lines.append("pb_payments_refused_total{code=\"\(code)\"} \(count)")
        }
        lines.append("# HELP pb_paid_base_units_total Base units charged (before voids).")
        lines.append("# TYPE pb_paid_base_units_total counter")
        lines.append("pb_paid_base_units_total \(snapshot.paidAmountBaseUnits)")
        for (name, help, value) in [
            ("pb_held_base_units_total", "Base units held for authorize-then-capture.", String(snapshot.heldBaseUnits)),
            ("pb_captured_base_units_total", "Base units captured from holds.", String(snapshot.capturedBaseUnits)),
            ("pb_released_base_units_total", "Base units of holds released (not captured).", String(snapshot.releasedBaseUnits)),
            ("pb_captures_over_hold_total", "Captures whose usage cost more than the hold.", String(snapshot.capturesOverHold)),
            ("pb_usage_reports_invalid_total", "PB-Usage headers that could not be read.", String(snapshot.invalidUsageReports)),
        ] {
            lines += ["# HELP \(name) \(help)", "# TYPE \(name) counter", "\(name) \(value)"]
        }
        lines.append("# HELP pb_charge_duration_seconds Verification and atomic charge of a paid request.")
        lines.append("# TYPE pb_charge_duration_seconds histogram")
        for (index, bound) in Self.latencyBucketsSeconds.enumerated() {
            lines.append("pb_charge_duration_seconds_bucket{le=\"\(bound)\"} \(snapshot.latencyBuckets[index])")
        }
        lines.append("pb_charge_duration_seconds_bucket{le=\"+Inf\"} \(snapshot.latencyCount)")
        lines.append("pb_charge_duration_seconds_sum \(snapshot.latencySumSeconds)")
        lines.append("pb_charge_duration_seconds_count \(snapshot.latencyCount)")
        return lines.joined(separator: "\n") + "\n"
    }
}
