import Foundation
import PBCrypto
import Synchronization

/// chain/pb_devchain.py (py-evm behind JSON-RPC on a free loopback port) as a child process, for the tests and
/// `pb demo chatbot --rail evm`, beside `DevChainDeployment`. Its output is drained as it arrives (a full pipe
/// would stall the chain), kept for the "listening" line and, if given, copied to a log file.
public final class DevChain {
    public let url: String
    private let process: Process
    private let output: CollectedOutput

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Starts the chain from the repository at `repositoryRoot` with `funded` addresses holding 1,000 ether each
    /// and waits (at most `startTimeoutSeconds`) for its "listening on URL" line.
    public init(
        repositoryRoot: URL, chainId: UInt64 = 31337, funded: [EthereumAddress], logFile: String? = nil,
        startTimeoutSeconds: Int = 300
    ) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", repositoryRoot.appendingPathComponent("chain/pb_devchain.py").path, "--port", "0",
            "--chain-id", String(chainId),
        ] + funded.flatMap { ["--fund", "\($0.checksummed)=1000000000000000000000"] }
        let output = CollectedOutput(logFile: logFile)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { handle in output.append(handle.availableData, from: handle) }
        try process.run()
        do {
            url = try await Self.waitForListening(output, process: process, timeoutSeconds: startTimeoutSeconds)
        } catch {
            Self.stop(process)
            throw error
        }
        self.process = process
        self.output = output
    }

    deinit { Self.stop(process) }

    /// Ends the chain now (it also ends when this object goes away).
    public func stop() { Self.stop(process) }

    private static func waitForListening(_ output: CollectedOutput, process: Process, timeoutSeconds: Int)
        async throws -> String
    {
        let marker = "pb-devchain listening on "
        let deadline = Date().addingTimeInterval(Double(timeoutSeconds))
        while true {
            let text = output.text
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix(marker) }),
                let url = line.dropFirst(marker.count).split(separator: " ").first
            {
                return String(url)
            }
            guard process.isRunning, Date() < deadline else {
                throw Failure(description: "pb_devchain.py did not start; its output:\n\(text.suffix(2_000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// SIGTERM, then SIGKILL after two seconds (pb_devchain does not always heed SIGTERM): nothing is left running.
    private static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// What the chain printed, appended by the pipe's reader thread and read by the waiting task.
private final class CollectedOutput: Sendable {
    private let collected = Mutex("")
    private let log: FileHandle?

    init(logFile: String?) {
        if let logFile { FileManager.default.createFile(atPath: logFile, contents: nil) }
        log = logFile.flatMap { FileHandle(forWritingAtPath: $0) }
    }

    func append(_ data: Data, from handle: FileHandle) {
        guard !data.isEmpty else {
            handle.readabilityHandler = nil
            try? log?.close()
            return
        }
        log?.write(data)
        collected.withLock { $0 += String(decoding: data, as: UTF8.self) }
    }

    var text: String { collected.withLock { $0 } }
}
