import PBCore
import PBCrypto

/// One session key in the simulation: its grant's limits as the gateway enforces them, and its normal habits.
struct SimulatedKey: Sendable {
    enum Habit: String, Sendable, CaseIterable {
        /// Conversations: sessions of a few to a few dozen calls seconds apart, hours apart, mostly in the day.
        case burstyChat
        /// A steady stream: one call every few seconds to minutes, around the clock, with occasional pauses.
        case steadyStream
        /// Calls at a rate following a daily cycle (busy in local office hours, quiet at night).
        case dailyCycle
    }

    let keyID: Bytes32
    let ownerIndex: Int
    let owner: EthereumAddress
    let habit: Habit
    /// The key's usual price per call, in base units.
    let typicalAmount: Double
    let services: [String]
    let payees: [EthereumAddress]
    let totalLimit: UInt128
    /// 0: no cap.
    let perPaymentLimit: UInt128
    /// 0: no cap.
    let maxCallsPerMinute: Int
    /// Local time offset from UTC, for the daily cycle.
    let utcOffsetSeconds: Int64
    /// How its normal traffic is drawn (`TrafficSource`).
    let behaviour: TrafficSource.Behaviour
}

/// What the simulation draws for a key: who owns it, its habit and prices, and the grant limits an owner would set
/// for it (several days of its usual spend, a per-payment cap well above its usual price, sometimes a rate cap).
enum KeyFactory {
    static let servicePool = (0..<20).map { "service-\($0)" }

    static func makeKey(
        index: Int, ownerIndex: Int, owner: EthereumAddress, habit: SimulatedKey.Habit, random: inout SeededRandom,
        payeePool: [EthereumAddress]
    ) -> SimulatedKey {
        let typical = min(max(random.logNormal(median: 2_000, sigma: 1.0), 100), 200_000).rounded()
        let behaviour: TrafficSource.Behaviour
        let dailyCalls: Double
        switch habit {
        case .burstyChat:
            let sessions = random.uniform(2, 20)
            let meanCalls = random.uniform(4, 25)
            behaviour = .chat(
                sessionsPerDay: sessions, meanCalls: meanCalls, gapMedianSeconds: random.uniform(3, 20), callsLeft: 0, turn: 0)
            dailyCalls = sessions * (meanCalls + 1)
        case .steadyStream:
            let period = random.uniform(5, 120)
            behaviour = .stream(periodSeconds: period)
            dailyCalls = 86_400 / period
        case .dailyCycle:
            let perMinute = random.uniform(0.1, 3)
            behaviour = .daily(callsPerMinute: perMinute)
            dailyCalls = perMinute * 1_440
        }
        // The owner grants one to four weeks of the key's expected spend (chat turns cost more as a session grows).
        let days = random.uniform(7, 28)
        let totalLimit = UInt128(typical * dailyCalls * (habit == .burstyChat ? 1.5 : 1.1) * days)
        let perPaymentLimit = random.chance(0.7) ? UInt128(typical * random.uniform(15, 60)) : 0
        let maxCallsPerMinute = random.chance(0.5) ? random.integer(60...300) : 0
        let serviceCount = random.integer(1...3)
        let services = (0..<serviceCount).map { _ in servicePool[random.integer(0...(servicePool.count - 1))] }
        let payees = services.map { payeePool[abs($0.hashValueStable) % payeePool.count] }
        var idRandom = SeededRandom(seed: 0x5EED_0000 ^ UInt64(index), stream: UInt64(index))
        return SimulatedKey(
            keyID: Bytes32(unchecked: idRandom.bytes(32)), ownerIndex: ownerIndex, owner: owner, habit: habit,
            typicalAmount: typical, services: services, payees: payees, totalLimit: totalLimit,
            perPaymentLimit: perPaymentLimit, maxCallsPerMinute: maxCallsPerMinute,
            utcOffsetSeconds: Int64(random.integer(-8...9)) * 3_600, behaviour: behaviour)
    }
}

extension String {
    /// A hash that is the same in every run (`hashValue` is seeded per process), to map services to payees.
    var hashValueStable: Int {
        Int(truncatingIfNeeded: utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 } >> 1)
    }
}
