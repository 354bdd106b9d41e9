/// Runs async sections one at a time, in arrival order: an actor alone would interleave them at every `await`,
/// and two settlements must not both read "the next nonce" before either stores it.
actor SerialGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run<Value: Sendable, Failure: Error>(_ body: @Sendable () async throws(Failure) -> Value) async throws(Failure)
        -> Value
    {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}
