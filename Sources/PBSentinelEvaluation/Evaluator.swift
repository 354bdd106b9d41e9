import PBCore
import PBCrypto
import PBSentinel

/// Replays a generated trace through a simulated gateway with Sentinel on the payment path, and scores Sentinel.
///
/// The gateway part does what the real one does before Sentinel sees a payment: it refuses replayed headers and
/// stale vouchers, payments over the per-payment cap, calls over the grant's rate cap and payments past the total
/// limit, and reports each refusal to `RiskEngine.recordRefusal`. A payment that passes goes to
/// `RiskEngine.evaluate`; it is charged only when the verdict allows it. The engine never sees a label.
public struct Evaluator: Sendable {
    public let generator: TrafficGenerator
    public let policy: SentinelPolicy
    public let settings: RiskEngineSettings

    public init(generator: TrafficGenerator, policy: SentinelPolicy = .standard, settings: RiskEngineSettings = RiskEngineSettings()) {
        self.generator = generator
        self.policy = policy
        self.settings = settings
    }

    public func run() -> EvaluationReport {
        var scenario = generator.makeScenario()
        let engine = RiskEngine(policy: policy, settings: settings)
        var gateway = scenario.keys.map { GatewayKeyState(maxCallsPerMinute: $0.maxCallsPerMinute) }
        var score = Scoreboard(keys: scenario.keys, incidents: scenario.incidents)
        let keys = scenario.keys
        // Each agent calls from its own address; a person's chat agent from a second one on odd days (home and office).
        // Each attacker calls from one in a documentation range, or from the victim's address (`fromVictimHost`).
        let agentAddresses = keys.indices.map { index in
            (0..<2).map { "10.\(index >> 16 & 255).\(index >> 8 & 255).\(index & 255)" + ($0 == 0 ? "" : "0") }
        }
        let attackerAddresses = scenario.incidents.indices.map { "203.0.113.\($0 % 256)" }
        let incidents = scenario.incidents
        func address(_ event: TrafficEvent) -> String {
            let day = Int((event.time - TrafficGenerator.startMilliseconds) / 86_400_000)
            let agent = agentAddresses[event.keyIndex][keys[event.keyIndex].habit == .burstyChat ? day % 2 : 0]
            guard let incident = event.incident else { return agent }
            return incidents[incident].fromVictimHost ? agent : attackerAddresses[incident]
        }
        scenario.forEachEvent { event in
            let key = keys[event.keyIndex]
            let time = UnixTime(milliseconds: event.time)
            let clientIP = address(event)
            func refuse(_ code: String) {
                let verdict = engine.recordRefusal(
                    RefusalObservation(keyID: key.keyID, owner: key.owner, code: code, time: time, clientIP: clientIP))
                score.record(verdict, event: event, refusedAnyway: true)
            }
            score.eventCount += 1
            switch event.kind {
            case .replay:
                refuse("pb_sequence_replayed")
                return
            case .staleRetry: refuse("pb_cumulative_mismatch")
            case .payment: break
            }
            if key.perPaymentLimit > 0, event.amount > key.perPaymentLimit { return refuse("pb_per_payment_limit_exceeded") }
            if !gateway[event.keyIndex].admitsCall(at: event.time) { return refuse("pb_rate_limited") }
            if gateway[event.keyIndex].spent + event.amount > key.totalLimit { return refuse("pb_limit_exceeded") }
            let verdict = engine.evaluate(
                PaymentObservation(
                    keyID: key.keyID, owner: key.owner, service: key.services[event.serviceIndex],
                    payee: key.payees[event.serviceIndex], amount: event.amount, time: time, clientIP: clientIP,
                    remainingBeforePayment: key.totalLimit - gateway[event.keyIndex].spent, totalLimit: key.totalLimit))
            if verdict.isAllowed {
                gateway[event.keyIndex].charge(event.amount, at: event.time)
                if let incident = event.incident { score.attackSpend[incident] += event.amount }
            }
            score.record(verdict, event: event, refusedAnyway: false)
        }
        return score.report(generator: generator)
    }
}

/// What the simulated gateway tracks per key: the spend and the charge times of the last minute (the rate cap).
struct GatewayKeyState {
    var spent: UInt128 = 0
    let maxCallsPerMinute: Int
    private var recentCharges: [Int64] = []
    private var oldest = 0

    init(maxCallsPerMinute: Int) { self.maxCallsPerMinute = maxCallsPerMinute }

    mutating func admitsCall(at time: Int64) -> Bool {
        guard maxCallsPerMinute > 0 else { return true }
        while oldest < recentCharges.count, recentCharges[oldest] <= time - 60_000 { oldest += 1 }
        if oldest > 1_024 {
            recentCharges.removeFirst(oldest)
            oldest = 0
        }
        return recentCharges.count - oldest < maxCallsPerMinute
    }

    mutating func charge(_ amount: UInt128, at time: Int64) {
        spent += amount
        if maxCallsPerMinute > 0 { recentCharges.append(time) }
    }
}
