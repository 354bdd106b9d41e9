import Foundation

/// One labelled request of the simulated traffic.
struct TrafficEvent: Sendable {
    enum Kind: Sendable {
        /// A fresh payment.
        case payment
        /// A request carrying a header that was already used: the gateway's replay check refuses it.
        case replay
        /// An honest client's stale voucher (after a lost response): refused, then it resynchronises.
        case staleRetry
    }

    let time: Int64
    let keyIndex: Int
    let amount: UInt128
    let serviceIndex: Int
    let kind: Kind
    /// The attack incident it belongs to; nil for normal traffic.
    let incident: Int?
}

/// A generator of one key's requests, normal or hostile, each drawing from its own seeded stream.
struct TrafficSource: Sendable {
    enum Behaviour: Sendable {
        case chat(sessionsPerDay: Double, meanCalls: Double, gapMedianSeconds: Double, callsLeft: Int, turn: Int)
        case stream(periodSeconds: Double)
        case daily(callsPerMinute: Double)
        /// Hostile: calls with exponential gaps of `meanGapSeconds` and amounts of `multiple` x typical until `end`.
        case attack(meanGapSeconds: Double, multiple: Double, amountCap: Double?, end: Int64, regular: Bool)
        case replayStorm(left: Int, gapMilliseconds: Int64)
    }

    var nextTime: Int64
    let keyIndex: Int
    let incident: Int?
    var random: SeededRandom
    var behaviour: Behaviour

    /// The request due at `nextTime`, scheduling the one after; nil when the source has finished.
    mutating func produce(_ key: SimulatedKey, endTime: Int64) -> TrafficEvent? {
        let time = nextTime
        guard time < endTime else { return nil }
        let service = random.integer(0...(key.services.count - 1))
        switch behaviour {
        case .chat(let sessionsPerDay, let meanCalls, let gapMedian, let callsLeft, let turn):
            // Later turns cost more, each carrying the conversation so far, up to twice the first (clients truncate or
            // summarise long contexts). A rare long document costs several times more.
            var amount = key.typicalAmount * random.logNormal(median: 1, sigma: 0.45) * min(1 + 0.04 * Double(turn), 2)
            if random.chance(0.003) { amount *= random.uniform(3, 7) }
            if callsLeft > 1 {
                nextTime = time + Self.milliseconds(random.logNormal(median: gapMedian, sigma: 0.7))
                behaviour = .chat(sessionsPerDay: sessionsPerDay, meanCalls: meanCalls, gapMedianSeconds: gapMedian,
                                  callsLeft: callsLeft - 1, turn: turn + 1)
            } else {
                let activity = Self.chatActivity(localHour: Self.localHour(time, key))
                nextTime = time + Self.milliseconds(random.exponential(mean: 86_400 / sessionsPerDay / activity))
                behaviour = .chat(sessionsPerDay: sessionsPerDay, meanCalls: meanCalls, gapMedianSeconds: gapMedian,
                                  callsLeft: 1 + Int(random.exponential(mean: meanCalls)), turn: 0)
            }
            return payment(time, amount, service, key: key)
        case .stream(let period):
            let amount = key.typicalAmount * random.logNormal(median: 1, sigma: 0.05)
            var gap = period * random.uniform(0.85, 1.15)
            if random.chance(period / 3_600 * 0.05) { gap += random.uniform(600, 10_800) }  // a pause, ~1 in 20 hours
            nextTime = time + Self.milliseconds(gap)
            return payment(time, amount, service, key: key)
        case .daily(let callsPerMinute):
            let amount = key.typicalAmount * random.logNormal(median: 1, sigma: 0.35)
            let hour = Self.localHour(time, key)
            let rate = callsPerMinute * (1 + 0.8 * sin(2 * Double.pi * (hour - 10) / 24))
            nextTime = time + Self.milliseconds(random.exponential(mean: 60 / max(rate, 0.01)))
            return payment(time, amount, service, key: key)
        case .attack(let meanGap, let multiple, let cap, let end, let regular):
            guard time < end else { return nil }
            var amount = key.typicalAmount * multiple * random.logNormal(median: 1, sigma: 0.1)
            if let cap { amount = min(amount, cap) }
            nextTime = time + Self.milliseconds(regular ? meanGap * random.uniform(0.8, 1.2) : random.exponential(mean: meanGap))
            return TrafficEvent(time: time, keyIndex: keyIndex, amount: UInt128(max(amount.rounded(), 1)),
                                serviceIndex: service, kind: .payment, incident: incident)
        case .replayStorm(let left, let gap):
            guard left > 0 else { return nil }
            behaviour = .replayStorm(left: left - 1, gapMilliseconds: gap)
            nextTime = time + max(1, Int64(random.exponential(mean: Double(gap))))
            return TrafficEvent(time: time, keyIndex: keyIndex, amount: UInt128(key.typicalAmount), serviceIndex: 0,
                                kind: .replay, incident: incident)
        }
    }

    private mutating func payment(_ time: Int64, _ amount: Double, _ service: Int, key: SimulatedKey) -> TrafficEvent {
        // About one call in 500 is first sent with a stale voucher (a lost response), refused, then paid properly.
        let kind: TrafficEvent.Kind = random.chance(0.002) ? .staleRetry : .payment
        return TrafficEvent(time: time, keyIndex: keyIndex, amount: UInt128(max(amount.rounded(), 1)),
                            serviceIndex: service, kind: kind, incident: nil)
    }

    static func milliseconds(_ seconds: Double) -> Int64 { max(1, Int64((seconds * 1_000).rounded())) }

    static func localHour(_ time: Int64, _ key: SimulatedKey) -> Double {
        let local = (time / 1_000 + key.utcOffsetSeconds) % 86_400
        return Double((local + 86_400) % 86_400) / 3_600
    }

    /// People chat in the day: sessions start 10x more often from 08:00 to 23:00 local than at night.
    static func chatActivity(localHour: Double) -> Double { (8..<23).contains(localHour) ? 1.5 : 0.15 }
}
