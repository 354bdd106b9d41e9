import Foundation

/// Polls `condition` until it holds, for work that finishes in the background (a dispatcher's delivery). Not a
/// timing assertion: the deadline only stops a test that would otherwise hang, with an error naming what never came.
public func eventually(_ what: String, deadlineSeconds: Double = 120, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(deadlineSeconds)
    while try await !condition() {
        guard Date() < deadline else { throw BackgroundProcessFailure(description: "gave up waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}
