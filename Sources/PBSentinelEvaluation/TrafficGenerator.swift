import PBCore
import PBCrypto

/// The kinds of attack the evaluation plants in normal traffic.
public enum AttackType: String, Sendable, Hashable, CaseIterable {
    /// A thief with the session key fires calls as fast as the gateway takes them, at about the usual price.
    case stolenKeyBurst
    /// Calls at the key's usual pace at 10-40x its usual price (an expensive model, huge prompts).
    case amountSpike
    /// Every payment and the pace kept under the caps: 3-8x the usual price (under the 10x rule), 1-10 calls a
    /// minute (under the 100-a-minute rule and the grant's rate cap), each payment under the per-payment cap.
    case slowDrain
    /// Many keys of one owner at once, each at 1.5-4x its usual price and a busy but plausible pace.
    case fanOut
    /// One captured request sent again 50-2,000 times within seconds to two minutes.
    case replayStorm
}

/// One planted attack: its keys, when it starts, and the limit it is measured against (the sum of its keys' limits).
public struct AttackIncident: Sendable {
    public let type: AttackType
    let keyIndices: [Int]
    /// Milliseconds since the epoch.
    public let onset: Int64
    public let victimLimit: UInt128
    /// Sent from the victim's own address (malware on the agent's host) rather than from the attacker's machine.
    public let fromVictimHost: Bool
}

/// A seeded, deterministic generator of labelled traffic: `agentCount` keys of normal agents (bursty chat, steady
/// streams, daily cycles) under owners of one to sixty keys, and `attacksPerType` incidents of each `AttackType`
/// starting after the first day (so every key has a day of history, as a deployed Sentinel would).
public struct TrafficGenerator: Sendable {
    public let seed: UInt64
    public let agentCount: Int
    public let hours: Int
    public let attacksPerType: Int
    /// Monday 6 January 2025, 00:00 UTC.
    public static let startMilliseconds: Int64 = 1_736_121_600_000

    public init(seed: UInt64, agentCount: Int, hours: Int = 48, attacksPerType: Int? = nil) {
        precondition(agentCount >= 50 && hours >= 26, "the evaluation needs at least 50 agents and 26 hours")
        self.seed = seed
        self.agentCount = agentCount
        self.hours = hours
        self.attacksPerType = attacksPerType ?? max(5, agentCount / 50)
    }

    var endMilliseconds: Int64 { Self.startMilliseconds + Int64(hours) * 3_600_000 }

    func makeScenario() -> TrafficScenario {
        var random = SeededRandom(seed: seed, stream: 0)
        let payeePool = (0..<10).map { _ in try! EthereumAddress(bytes: random.bytes(20)) }
        var keys: [SimulatedKey] = []
        var ownerKeys: [[Int]] = []
        while keys.count < agentCount {
            let roll = random.unit()
            let size = roll < 0.70 ? 1 : roll < 0.90 ? random.integer(2...4) : roll < 0.98 ? random.integer(5...12) : random.integer(20...60)
            let owner = try! EthereumAddress(bytes: random.bytes(20))
            let ownerIndex = ownerKeys.count
            var indices: [Int] = []
            for _ in 0..<min(size, agentCount - keys.count) {
                let habit: SimulatedKey.Habit = size >= 20 ? (random.chance(0.8) ? .steadyStream : .dailyCycle)
                    : [.burstyChat, .burstyChat, .steadyStream, .dailyCycle][random.integer(0...3)]
                var keyRandom = SeededRandom(seed: seed, stream: UInt64(keys.count) + 1_000)
                indices.append(keys.count)
                keys.append(KeyFactory.makeKey(
                    index: keys.count, ownerIndex: ownerIndex, owner: owner, habit: habit, random: &keyRandom,
                    payeePool: payeePool))
            }
            ownerKeys.append(indices)
        }
        var sources = keys.indices.map { normalSource(for: keys[$0], index: $0) }
        let (incidents, attackSources) = plantAttacks(keys: keys, ownerKeys: ownerKeys, random: &random)
        sources += attackSources
        return TrafficScenario(keys: keys, incidents: incidents, sources: sources, endTime: endMilliseconds)
    }

    /// A hash of the first `events` requests of the trace (time, key, amount, kind, label): equal for equal seeds on
    /// every machine, which is what makes the evaluation's figures reproducible.
    public func traceFingerprint(events: Int) -> UInt64 {
        var scenario = makeScenario()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var seen = 0
        scenario.forEachEvent { event in
            guard seen < events else { return }
            seen += 1
            let fields: [UInt64] = [
                UInt64(bitPattern: event.time), UInt64(event.keyIndex), UInt64(truncatingIfNeeded: event.amount),
                UInt64(event.incident ?? 0xffff), event.kind == .payment ? 0 : event.kind == .replay ? 1 : 2,
            ]
            for field in fields { hash = (hash ^ field) &* 0x100_0000_01b3 }
        }
        return hash
    }

    private func normalSource(for key: SimulatedKey, index: Int) -> TrafficSource {
        var random = SeededRandom(seed: seed, stream: UInt64(index) + 1_000_000)
        let firstCall = Self.startMilliseconds + Int64(random.uniform(0, 3_600_000))
        return TrafficSource(nextTime: firstCall, keyIndex: index, incident: nil, random: random, behaviour: key.behaviour)
    }

    private func plantAttacks(keys: [SimulatedKey], ownerKeys: [[Int]], random: inout SeededRandom)
        -> ([AttackIncident], [TrafficSource])
    {
        var incidents: [AttackIncident] = []
        var sources: [TrafficSource] = []
        var usedOwners: Set<Int> = []
        let earliest = Self.startMilliseconds + 25 * 3_600_000
        let latest = endMilliseconds - 3 * 3_600_000
        let fanOutOwners = ownerKeys.indices.filter { ownerKeys[$0].count >= 5 }
        for type in AttackType.allCases {
            for _ in 0..<attacksPerType {
                // Victims never repeat an owner, so incidents do not overlap.
                let ownerIndex: Int?
                if type == .fanOut {
                    let free = fanOutOwners.filter { !usedOwners.contains($0) }
                    ownerIndex = free.isEmpty ? nil : free[random.integer(0...(free.count - 1))]
                } else {
                    var candidate: Int?
                    for _ in 0..<1_000 where candidate == nil {
                        let pick = random.integer(0...(ownerKeys.count - 1))
                        if !usedOwners.contains(pick) { candidate = pick }
                    }
                    ownerIndex = candidate
                }
                guard let ownerIndex else { continue }
                usedOwners.insert(ownerIndex)
                let victims = type == .fanOut ? ownerKeys[ownerIndex] : [ownerKeys[ownerIndex][0]]
                let onset = earliest + Int64(random.uniform(0, Double(max(latest - earliest, 1))))
                let incident = incidents.count
                var attackRandom = SeededRandom(seed: seed, stream: 9_000_000 + UInt64(incident))
                for victim in victims {
                    sources.append(attackSource(type, key: keys[victim], keyIndex: victim, incident: incident,
                                                onset: onset, random: &attackRandom))
                }
                let limit = victims.reduce(UInt128(0)) { $0 + keys[$1].totalLimit }
                // A thief of the key calls from elsewhere; malware on the agent's host calls from the agent's address.
                let hostShare: Double
                switch type {
                case .stolenKeyBurst, .amountSpike: hostShare = 0.3
                case .slowDrain, .fanOut: hostShare = 0.5
                case .replayStorm: hostShare = 0
                }
                incidents.append(AttackIncident(
                    type: type, keyIndices: victims, onset: onset, victimLimit: limit,
                    fromVictimHost: random.chance(hostShare)))
            }
        }
        return (incidents, sources)
    }

    private func attackSource(
        _ type: AttackType, key: SimulatedKey, keyIndex: Int, incident: Int, onset: Int64, random: inout SeededRandom
    ) -> TrafficSource {
        let cap = key.perPaymentLimit > 0 ? Double(key.perPaymentLimit) * 0.95 : nil
        func minutes(_ low: Double, _ high: Double) -> Int64 { onset + Int64(random.uniform(low, high) * 60_000) }
        let behaviour: TrafficSource.Behaviour
        switch type {
        case .stolenKeyBurst:
            behaviour = .attack(meanGapSeconds: 1 / random.uniform(1, 10), multiple: random.uniform(1, 2), amountCap: cap,
                                end: minutes(5, 15), regular: false)
        case .amountSpike:
            behaviour = .attack(meanGapSeconds: random.uniform(2, 20), multiple: random.uniform(10, 40), amountCap: cap,
                                end: minutes(10, 60), regular: false)
        case .slowDrain:
            var perMinute = random.uniform(1, 10)
            if key.maxCallsPerMinute > 0 { perMinute = min(perMinute, 0.8 * Double(key.maxCallsPerMinute)) }
            behaviour = .attack(meanGapSeconds: 60 / perMinute, multiple: random.uniform(3, 8), amountCap: cap,
                                end: minutes(60, 180), regular: true)
        case .fanOut:
            behaviour = .attack(meanGapSeconds: 60 / random.uniform(2, 10), multiple: random.uniform(1.5, 4), amountCap: cap,
                                end: minutes(30, 120), regular: false)
        case .replayStorm:
            let count = random.integer(50...2_000)
            let spanMilliseconds = random.uniform(10_000, 120_000)
            behaviour = .replayStorm(left: count, gapMilliseconds: Int64(spanMilliseconds / Double(count)))
        }
        let sourceRandom = SeededRandom(seed: random.next(), stream: UInt64(keyIndex))
        return TrafficSource(nextTime: onset, keyIndex: keyIndex, incident: incident, random: sourceRandom, behaviour: behaviour)
    }
}

/// The keys, the planted incidents and the sources of one generated trace.
struct TrafficScenario: Sendable {
    let keys: [SimulatedKey]
    let incidents: [AttackIncident]
    var sources: [TrafficSource]
    let endTime: Int64

    /// All requests of all sources in time order (a min-heap over the sources' next times; ties by source index, so
    /// the order is deterministic).
    mutating func forEachEvent(_ body: (TrafficEvent) -> Void) {
        var heap = SourceHeap(times: sources.map(\.nextTime))
        while let index = heap.popMinimum() {
            guard let event = sources[index].produce(keys[sources[index].keyIndex], endTime: endTime) else { continue }
            body(event)
            heap.push(index, time: sources[index].nextTime)
        }
    }
}

/// A binary min-heap of source indices ordered by (next time, index).
struct SourceHeap {
    private var entries: [(time: Int64, index: Int)]

    init(times: [Int64]) {
        entries = []
        for (index, time) in times.enumerated() { push(index, time: time) }
    }

    mutating func push(_ index: Int, time: Int64) {
        entries.append((time, index))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(entries[child], entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMinimum() -> Int? {
        guard let first = entries.first else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < entries.count, Self.less(entries[left], entries[smallest]) { smallest = left }
                if right < entries.count, Self.less(entries[right], entries[smallest]) { smallest = right }
                guard smallest != parent else { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first.index
    }

    private static func less(_ left: (time: Int64, index: Int), _ right: (time: Int64, index: Int)) -> Bool {
        (left.time, left.index) < (right.time, right.index)
    }
}
