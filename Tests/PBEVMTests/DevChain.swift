import PBTestSupport
import Foundation
import PBCrypto

/// chain/pb_devchain.py started for one test: a local EVM over JSON-RPC on a free loopback port.
final class DevChain {
    let url: String
    private let process: Process

    /// Starts the chain with `funded` addresses holding 1,000 ether each; waits for its "listening" line.
    init(chainId: UInt64 = 31337, funded: [EthereumAddress]) throws {
        let root = RepositoryFiles.root
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root.appendingPathComponent("chain/pb_devchain.py").path,
            "--port", "0", "--chain-id", String(chainId)]
            + funded.flatMap { ["--fund", "\($0.checksummed)=1000000000000000000000"] }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = ""
        let handle = output.fileHandleForReading
        while !line.hasSuffix("\n") {
            let byte = handle.readData(ofLength: 1)
            guard !byte.isEmpty else { break }
            line += String(decoding: byte, as: UTF8.self)
        }
        guard line.hasPrefix("pb-devchain listening on "), let address = line.split(separator: " ").dropFirst(3).first
        else {
            process.terminate()
            throw DevChainError(message: "pb_devchain did not start: \(line)")
        }
        url = String(address)
    }

    deinit {
        process.terminate()
        // Bounded: a chain that ignores SIGTERM is killed after two seconds rather than hanging the suite.
        for _ in 0..<200 where process.isRunning { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

struct DevChainError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
