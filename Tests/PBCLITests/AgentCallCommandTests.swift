import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PBCore
import PBTestSupport
import Testing

/// `pb agent call` as an agent runs it, against a live gateway: `pb demo chatbot`, which keeps serving a chat API
/// at 0.01 USDC per `POST /v1/chat` after its own calls, in a child process on a port the OS picks.
@Suite struct AgentCallCommandTests {
    static let chatReply = #"{"reply":"Hello! (15 bytes received)"}"#

    @Test func paysTheRoutePriceOncePerCallAndStopsAtTheGrantsLimit() async throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let gateway = try await DemoGateway.start(in: runner)
        defer { gateway.stop() }
        // Two and a half calls' worth: the third call is over the limit.
        let grantId = try runner.signGrant(service: "chat", totalLimit: "0.025")
        let registered = try await gateway.admin(.POST, "/v1/grants", body: try runner.read("grant.json"))
        #expect(registered.status == 201, "\(registered.body)")

        let first = try runner.run(runner.agentCall(gateway.url("/v1/chat")))
        #expect(first.status == 0, "\(first.errorOutput)")
        #expect(first.output == Self.chatReply + "\n")
        #expect(first.errorOutput.hasPrefix("HTTP 200 receipt 0x"), "\(first.errorOutput)")
        #expect(first.errorOutput.hasSuffix(
            "paid 0.01 (10000 base units); spent 0.01 (10000 base units), remaining 0.015 (15000 base units)\n"))

        let second = try runner.run(runner.agentCall(gateway.url("/v1/chat")))
        #expect(second.status == 0, "\(second.errorOutput)")
        #expect(second.output == Self.chatReply + "\n")
        #expect(second.errorOutput.hasSuffix(
            "paid 0.01 (10000 base units); spent 0.02 (20000 base units), remaining 0.005 (5000 base units)\n"))
        #expect(try await gateway.spentBaseUnits(grantId) == "20000")

        let third = try runner.run(runner.agentCall(gateway.url("/v1/chat")))
        #expect(third.status == 1)
        #expect(try JSONValue.parse(third.output)["error"]?.stringValue == "pb_limit_exceeded", "\(third.output)")
        #expect(third.errorOutput == "HTTP 402 (pb_limit_exceeded); spent 0.02 (20000 base units), remaining 0.005 (5000 base units)\n")
        #expect(try await gateway.spentBaseUnits(grantId) == "20000", "a refused call charges nothing")
    }

    @Test func aKeyWhoseGrantExcludesTheServiceIsRefusedAndNotCharged() async throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let gateway = try await DemoGateway.start(in: runner)
        defer { gateway.stop() }
        let grantId = try runner.signGrant(service: "search", totalLimit: "50")

        let refused = try runner.run(runner.agentCall(gateway.url("/v1/chat")))
        #expect(refused.status == 1)
        #expect(try JSONValue.parse(refused.output)["error"]?.stringValue == "pb_service_not_allowed", "\(refused.output)")
        #expect(refused.errorOutput == "HTTP 403 (pb_service_not_allowed); spent 0 (0 base units), remaining 50 (50000000 base units)\n")
        // The gateway learnt the grant from the payment, and charged nothing under it.
        #expect(try await gateway.spentBaseUnits(grantId) == "0")
    }
}

extension CommandRunner {
    /// New owner and agent keys, and the owner's grant for the agent to pay the demo's payee: returns the grant id.
    func signGrant(service: String, totalLimit: String) throws -> String {
        let agent = try run("keygen", "--out", "agent.key").output.trimmingCharacters(in: .newlines)
        _ = try run("keygen", "--out", "owner.key")
        let signed = try run(
            "grant", "sign", "--key", "owner.key", "--session-key", agent, "--asset", SigningCommandTests.usdc,
            "--payee", SigningCommandTests.payee, "--service", service, "--total-limit", totalLimit, "--out", "grant.json")
        try #require(signed.status == 0, "\(signed.errorOutput)")
        return try #require(try JSONValue.parse(try read("grant.json"))["id"]?.stringValue)
    }

    /// The arguments of `pb agent call` for a chat prompt, with the keys and state in this directory.
    func agentCall(_ url: String) -> [String] {
        [
            "agent", "call", url, "--request", "POST", "--data", #"{"prompt":"hi"}"#, "--key", "agent.key",
            "--grant", "grant.json", "--state", "agent-state.json",
        ]
    }
}

/// A `pb demo chatbot` gateway in a child process, found from what it printed, and its management API.
struct DemoGateway {
    let process: BackgroundProcess
    let baseURL: String
    let adminKey: String

    /// Starts the demo with its data in the runner's directory and waits until it serves; `stop()` it when done.
    static func start(in runner: CommandRunner) async throws -> DemoGateway {
        let process = try BackgroundProcess(
            executable: CommandRunner.binary,
            arguments: ["demo", "chatbot", "--calls", "1", "--port", "0", "--data-dir", runner.path("gateway")],
            directory: runner.directory)
        do {
            let output = try await process.waitForOutput(containing: "The gateway keeps running")
            func value(after prefix: String) throws -> String {
                let line = try #require(output.split(separator: "\n").first { $0.hasPrefix(prefix) }, "no \(prefix) in:\n\(output)")
                return String(line.dropFirst(prefix.count).prefix { $0 != " " })
            }
            return DemoGateway(
                process: process, baseURL: try value(after: "== PB-Stream gateway on "),
                adminKey: try value(after: "admin API key (shown once, keep it): "))
        } catch {
            process.stop()
            throw error
        }
    }

    func stop() { process.stop() }

    func url(_ path: String) -> String { baseURL + path }

    func admin(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url(path))
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(adminKey)")
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    /// What the merchant's ledger says the grant has spent.
    func spentBaseUnits(_ grantId: String) async throws -> String? {
        let response = try await admin(.GET, "/v1/grants/\(grantId)")
        try #require(response.status == 200, "\(response.body)")
        return try JSONValue.parse(response.body)["spentBaseUnits"]?.stringValue
    }
}
