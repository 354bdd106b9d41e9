import Foundation
import PBCrypto

/// chain/pb_devchain.py started for one test: a local EVM over JSON-RPC on a free loopback port.
public final class DevChain {
    public let url: String
    private let process: BackgroundProcess

    /// Starts the chain with `funded` addresses holding 1,000 ether each; waits for its "listening" line.
    public init(chainId: UInt64 = 31337, funded: [EthereumAddress]) async throws {
        process = try BackgroundProcess(
            executable: URL(fileURLWithPath: "/usr/bin/env"),
            arguments: ["python3", RepositoryFiles.url("chain/pb_devchain.py").path, "--port", "0", "--chain-id",
                String(chainId)] + funded.flatMap { ["--fund", "\($0.checksummed)=1000000000000000000000"] })
        let marker = "pb-devchain listening on "
        do {
            let output = try await process.waitForOutput(containing: marker)
            let line = output.split(separator: "\n").first { $0.hasPrefix(marker) } ?? ""
            guard let address = line.dropFirst(marker.count).split(separator: " ").first else {
                throw DevChainError(message: "pb_devchain printed no address: \(output)")
            }
            url = String(address)
        } catch {
            process.stop(graceSeconds: 2)
            throw error
        }
    }

    deinit {
        // Bounded: a chain that ignores SIGTERM is killed after two seconds rather than hanging the suite.
        process.stop(graceSeconds: 2)
    }
}

public struct DevChainError: Error, CustomStringConvertible {
    public let message: String

    public init(message: String) { self.message = message }

    public var description: String { message }
}
