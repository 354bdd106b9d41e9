import Foundation
import PBCore
import PBCrypto
import PBEVM
import PBEVMRail
import Synchronization

/// `pb demo chatbot --rail evm`'s chain: chain/pb_devchain.py (py-evm behind JSON-RPC on a free loopback port),
/// the test token and SessionKeyValidator compiled by vyper and deployed, the owner's 50 USDC deposited in escrow,
/// and the payee letting the gateway's settlement key settle for it. The chain's output goes to a log file in the
/// data directory, so a full pipe can never stall it.
struct DemoChain {
    let process: DemoChainProcess
    let url: String
    let deployment: DevChainDeployment
    let payee: PrivateKey
    let settler: PrivateKey

    /// The files the demo needs from the repository: run it from a checkout, or name one with --repository.
    static func checkRepository(_ root: URL) throws {
        for path in ["chain/pb_devchain.py", "contracts/SessionKeyValidator.vy", "contracts/test/TestUSDC.vy"] {
            guard FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path) else {
                throw CommandFailure("--rail evm needs \(path) from the repository; run from a checkout or pass --repository")
            }
        }
    }

    /// `deposit` is in base units; a UInt64 because a UInt128 argument of an async function crashes this
    /// toolchain on resumption (a misaligned async frame; the same as with UInt128 captured by task-group closures).
    static func start(repository: URL, owner: PrivateKey, deposit: UInt64, logFile: String) async throws -> DemoChain {
        try checkRepository(repository)
        let payee = PrivateKey.random(), settler = PrivateKey.random()
        let process = try DemoChainProcess(
            arguments: [repository.appendingPathComponent("chain/pb_devchain.py").path, "--port", "0"]
                + [owner, payee, settler].flatMap { ["--fund", "\($0.address.checksummed)=1000000000000000000000"] },
            logFile: logFile)
        do {
            let url = try await process.waitForListening()
            let deployment = try await DevChainDeployment.deploy(
                client: EthereumRPCClient(url: url), deployer: owner, repositoryRoot: repository)
            try await deployment.fundEscrow(owner: owner, amount: UInt128(deposit))
            try await deployment.allowSettler(payee: payee, settler: settler.address)
            return DemoChain(process: process, url: url, deployment: deployment, payee: payee, settler: settler)
        } catch {
            process.stop()
            throw error
        }
    }

    func tokenBalance(of holder: EthereumAddress) async throws -> UInt128 {
        try await deployment.tokenBalance(of: holder)
    }

    func stop() { process.stop() }
}

/// python3 chain/pb_devchain.py as a child process: its output is drained as it arrives (a full pipe would stall
/// the chain) into the log file and kept for the "listening" line.
final class DemoChainProcess: Sendable {
    private let process: Process
    private let output = CollectedText()

    /// Text appended by the pipe's reader, read by the waiting task.
    final class CollectedText: Sendable {
        private let text = Mutex("")

        func append(_ data: Data) { text.withLock { $0 += String(decoding: data, as: UTF8.self) } }

        var value: String { text.withLock { $0 } }
    }

    init(arguments: [String], logFile: String) throws {
        FileManager.default.createFile(atPath: logFile, contents: nil)
        let log = FileHandle(forWritingAtPath: logFile)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                try? log?.close()
                return
            }
            log?.write(data)
            output.append(data)
        }
        try process.run()
    }

    /// The URL of pb_devchain's "listening on URL" line (at most a minute: py-evm starts in seconds).
    func waitForListening() async throws -> String {
        let marker = "pb-devchain listening on "
        for _ in 0..<600 {
            let text = output.value
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix(marker) }),
                let url = line.dropFirst(marker.count).split(separator: " ").first
            {
                return String(url)
            }
            guard process.isRunning else { throw CommandFailure("pb_devchain.py stopped: \(text.suffix(2_000))") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CommandFailure("pb_devchain.py did not start within a minute")
    }

    /// SIGTERM, then SIGKILL after two seconds: the demo must not leave a chain running.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
