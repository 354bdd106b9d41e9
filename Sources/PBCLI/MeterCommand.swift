import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PBCore

/// `pb meter`: prepaid accounts and stream sessions, driven through the REST API of a running gateway
/// (docs/METERING.md). Exit status 0 when the gateway did it, 1 when it refused (the error code from its JSON body
/// is printed), 2 for a usage error.
struct MeterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meter",
        abstract: "Prepaid accounts and stream (metering) sessions on a running gateway.",
        discussion: """
            Talks to the gateway's REST API (--gateway, default PB_GATEWAY or http://127.0.0.1:8402) with a merchant \
            API key (--api-key, default PB_API_KEY). Amounts are decimal strings of whole tokens. Exit status: 0 done, \
            1 refused by the gateway (its error code is printed), 2 usage error.
            """,
        subcommands: [MeterAccountCommand.self, MeterSessionCommand.self])
}

/// Where the gateway is and the key to use; shared by every `pb meter` command.
struct GatewayOptions: ParsableArguments {
    @Option(name: .long, help: "The gateway's base URL (default: PB_GATEWAY or http://127.0.0.1:8402).")
    var gateway: String?

    @Option(name: .customLong("api-key"), help: "A merchant API key (default: PB_API_KEY).")
    var apiKey: String?

    @Flag(name: .long, help: "Print the gateway's JSON answer instead of the summary.")
    var json = false

    func client() throws -> MeterClient {
        let environment = ProcessInfo.processInfo.environment
        let base = gateway ?? environment["PB_GATEWAY"] ?? "http://127.0.0.1:8402"
        guard let url = URL(string: base), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
        else { throw ValidationError("--gateway: '\(base)' is not an http(s) URL") }
        guard let key = apiKey ?? environment["PB_API_KEY"], !key.isEmpty else {
            throw ValidationError("--api-key: is required (or set PB_API_KEY)")
        }
        return MeterClient(baseURL: base.hasSuffix("/") ? String(base.dropLast()) : base, apiKey: key)
    }
}

/// The metering API over HTTP. A 2xx answer is returned as JSON; any other answer prints `refused: <code>: <message>`
/// on standard error and exits 1, so scripts can branch on the status and read the code.
struct MeterClient {
    let baseURL: String
    let apiKey: String

    /// The largest answer read: a statement of a long session is a few hundred kilobytes at most.
    static let maximumResponseBytes = 16 << 20

    func get(_ path: String) async throws -> JSONValue { try await send(.GET, path) }

    func post(_ path: String, _ body: JSONValue = .object([]), idempotencyKey: String? = nil) async throws -> JSONValue {
        try await send(.POST, path, body: body, idempotencyKey: idempotencyKey)
    }

    private func send(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil, idempotencyKey: String? = nil)
        async throws -> JSONValue
    {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.serialized()))
        }
        let status: UInt, bytes: ByteBuffer
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
            status = response.status.code
            bytes = try await response.body.collect(upTo: Self.maximumResponseBytes)
        } catch {
            throw CommandFailure("cannot reach the gateway at \(baseURL): \(error)")
        }
        let value = try? JSONValue.parse(Array(buffer: bytes), maximumInputBytes: Self.maximumResponseBytes)
        guard (200..<300).contains(status) else {
            let code = value?["error"]?.stringValue ?? "http_\(status)"
            let message = value?["message"]?.stringValue ?? String(buffer: bytes).prefix(200).description
            MeterOutput.error("refused: \(code): \(message)")
            throw ExitCode(1)
        }
        guard let value else { throw CommandFailure("the gateway answered HTTP \(status) with a body that is not JSON") }
        return value
    }

    /// An id as one path segment (ids are names of letters, digits, `_`, `-`, `.`, `:`; anything else is escaped).
    static func segment(_ id: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "_-.:")
        return id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id
    }
}
