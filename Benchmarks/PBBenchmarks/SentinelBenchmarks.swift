import Dispatch
import PBCore
import PBCrypto
import PBSentinel

/// Sentinel's cost per payment observation with the default rules and anomaly detection (docs/SENTINEL.md): one
/// thread cycling over 10,000 warm keys, then four threads at once (two cores) over keys of shared shards.
@MainActor func runSentinelBenchmarks() {
    let keyCount = 10_000
    let engine = RiskEngine()
    let owners = (0..<500).map { index in
        try! EthereumAddress(bytes: (0..<20).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index &* 7 &+ 1) })
    }
    let payee = try! EthereumAddress(bytes: [UInt8](repeating: 0x9f, count: 20))
    let keys = (0..<keyCount).map { index in
        Bytes32(unchecked: (0..<32).map { UInt8(truncatingIfNeeded: ($0 &+ 1) &* 131 &+ index &* 977 &+ index >> 8) })
    }
    let start = UnixTime(seconds: 1_764_000_000)
    /// Identities as the gateway has them: parsed per request, so threads share no reference-counted storage
    /// (a benchmark that passed one shared payee to every thread would measure cache-line ping-pong on its count).
    struct Identities: Sendable {
        let keys: [Bytes32]
        let owners: [EthereumAddress]
        let payee: EthereumAddress

        func copied() -> Identities {
            Identities(
                keys: keys.map { Bytes32(unchecked: Array($0.bytes)) },
                owners: owners.map { try! EthereumAddress(bytes: Array($0.bytes)) },
                payee: try! EthereumAddress(bytes: Array(payee.bytes)))
        }
    }
    let shared = Identities(keys: keys, owners: owners, payee: payee)
    let observation: @Sendable (Int, Identities) -> PaymentObservation = { step, identities in
        let key = step % keyCount
        return PaymentObservation(
            keyID: identities.keys[key], owner: identities.owners[key % identities.owners.count], service: "chat",
            payee: identities.payee,
            amount: UInt128(9_000 + (step &* 7_919) % 2_000),
            time: start.adding(milliseconds: Int64(step / keyCount) * 20_000 + Int64(key)), clientIP: "198.51.100.7",
            remainingBeforePayment: 40_000_000, totalLimit: 50_000_000)
    }
    // 40 payments of history per key, so that every statistic is past its minimum history.
    var step = 0
    while step < keyCount * 40 {
        _ = engine.evaluate(observation(step, shared))
        step += 1
    }
    let single = measure("Sentinel: evaluate one payment (default rules, warm key)") {
        defer { step += 1 }
        return engine.evaluate(observation(step, shared)).isAllowed ? 1 : 0
    }
    // Four threads on two cores evaluating at once, each with its own copies of the identities, so what they share
    // is the engine: its shards' locks and state.
    let threads = 4
    let perThreadIdentities = (0..<threads).map { _ in shared.copied() }
    let perThread = max(iterations, 1_000)
    let firstStep = step
    var contended: [Double] = []
    for round in 0..<rounds {
        let began = ContinuousClock.now
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let identities = perThreadIdentities[thread]
            for index in 0..<perThread {
                let step = firstStep + (round * threads + thread) * perThread * 7 + index * 7 + thread
                _ = engine.evaluate(observation(step, identities))
            }
        }
        let elapsed = ContinuousClock.now - began
        let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        contended.append(nanoseconds / Double(threads * perThread))
    }
    let median = contended.sorted()[contended.count / 2]
    if filter == nil || "sentinel: contended".contains(filter!) {
        print(
            "Sentinel: evaluate, 4 threads on 2 cores (wall/op)".padding(toLength: 52, withPad: " ", startingAt: 0)
                + " \(String(format: "%9.3f", median / 1_000)) µs/op \(String(format: "%12.0f", 1e9 / median)) op/s")
    }
    _ = single
}
