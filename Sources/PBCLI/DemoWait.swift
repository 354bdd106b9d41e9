/// The demos wait for what their background services deliver (alerts, e-mail, webhook calls). Polls `condition`
/// every 50 ms until it holds, for at most about `seconds`: a delivery that never comes ends the wait, and the demo
/// prints what did arrive instead of hanging.
enum DemoWait {
    static func until(seconds: Int = 10, _ condition: () async throws -> Bool) async rethrows {
        var polls = 0
        while try await !condition(), polls < seconds * 20 {
            polls += 1
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}
