import ArgumentParser
import Foundation
import PBClient
import PBCore
import PBCrypto
import PBProtocol

struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "The agent side: call paid APIs with a session key.",
        subcommands: [AgentCallCommand.self])
}

struct AgentCallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call a URL, paying its 402 with the session key and grant; prints the body, spend on stderr.")

    @Argument(help: "The URL to call.")
    var url: String

    @Option(name: .long, help: "The agent's session key file.")
    var key: String

    @Option(name: .long, help: "The signed grant (from `pb grant sign`).")
    var grant: String

    @Option(name: .customLong("request"), help: "HTTP method.")
    var method = "GET"

    @Option(name: .long, help: "Request body.")
    var data: String?

    @Option(name: .long, help: "Where the agent keeps its spend between runs.")
    var state = "pb-agent-state.json"

    @Flag(name: .customLong("no-windows"), help: "Sign a voucher per call instead of opening credit windows.")
    var noWindows = false

    @Option(name: .long, help: "Token decimals, for printing amounts.")
    var decimals = 6

    func run() async throws {
        let sessionKey = try CommandInputs.readKey(key)
        let signedGrant = try CommandInputs.readGrant(grant)
        var options = PBClient.Options()
        options.useCreditWindows = !noWindows
        let client: PBClient
        do { client = try PBClient(sessionKey: sessionKey, grant: signedGrant, stateFile: state, options: options) } catch {
            throw CommandFailure("\(error)")
        }
        let response: PaidResponse
        do {
            response = try await client.send(
                method: method.uppercased(), url: url, headers: data == nil ? [] : [("Content-Type", "application/json")],
                body: Array((data ?? "").utf8))
        } catch {
            throw CommandFailure("cannot reach \(url): \(error)")
        }
        print(response.bodyText)
        let status = "HTTP \(response.status)" + (response.errorCode.map { " (\($0))" } ?? "")
        let receipt = response.receipt.map { " receipt \($0.receiptId.hex.prefix(18))… paid \(CommandInputs.formatted($0.amount, decimals: decimals))" } ?? ""
        FileHandle.standardError.write(Data((
            "\(status)\(receipt); spent \(CommandInputs.formatted(client.spent, decimals: decimals)), "
                + "remaining \(CommandInputs.formatted(client.remaining, decimals: decimals))\n").utf8))
        if response.status >= 400 { throw ExitCode(1) }
    }
}
