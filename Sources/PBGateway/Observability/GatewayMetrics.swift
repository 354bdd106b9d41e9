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
