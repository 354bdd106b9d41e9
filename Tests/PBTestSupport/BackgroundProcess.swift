import Foundation
import Synchronization

/// A child process that keeps running (a gateway, a local chain), started but not waited for: its output is
/// collected as it arrives, and `stop()` ends this one process by its own id.
public final class BackgroundProcess {
    private let process = Process()
    private let output = CollectedOutput()
    private let arguments: [String]

    public init(executable: URL, arguments: [String], directory: URL? = nil) throws {
        self.arguments = arguments
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        // One pipe for both streams, always drained: a full pipe would block the server mid-write.
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { output.append(data) }
        }
        try process.run()
    }

    /// The output up to the first time it contains `marker`. The deadline only guards against a server that never
    /// gets there (it fails the test with the output so far); a loaded machine needs seconds, not minutes.
    public func waitForOutput(containing marker: String, deadlineSeconds: Double = 300) async throws -> String {
        let deadline = Date().addingTimeInterval(deadlineSeconds)
        while true {
            let text = output.text
            if text.contains(marker) { return text }
            guard process.isRunning, Date() < deadline else {
                throw BackgroundProcessFailure(
                    description: "\(arguments.joined(separator: " ")) did not print \"\(marker)\"; its output:\n\(text)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    public var isRunning: Bool { process.isRunning }

    /// Everything it printed so far.
    public var outputText: String { output.text }

    /// SIGKILL, as `kill -9` would: no shutdown, no flush; then waits for it to be gone.
    public func killAbruptly() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Waits until the process exits by itself; false when it is still running at the deadline.
    public func waitForExit(deadlineSeconds: Double) async throws -> Bool {
        let deadline = Date().addingTimeInterval(deadlineSeconds)
        while process.isRunning {
            guard Date() < deadline else { return false }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.waitUntilExit()
        return true
    }

    /// SIGTERM (a server shuts down cleanly), then SIGKILL if it is still running `graceSeconds` later.
    public func stop(graceSeconds: Double = 30) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(graceSeconds)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

public struct BackgroundProcessFailure: Error, CustomStringConvertible {
    public let description: String
}

/// Bytes from the pipe's reader thread, read by the test's task.
private final class CollectedOutput: Sendable {
    private let bytes = Mutex(Data())

    func append(_ data: Data) { bytes.withLock { $0.append(data) } }

    var text: String { bytes.withLock { String(decoding: $0, as: UTF8.self) } }
}
