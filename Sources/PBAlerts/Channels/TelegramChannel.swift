import AsyncHTTPClient
import Foundation
import NIOCore
import PBCore
import PBSentinel

/// Sends the alert's text to a chat with the Bot API's `sendMessage`: `POST <baseURL>/bot<token>/sendMessage` with
/// `{"chat_id": ..., "text": ...}`; delivered when Telegram answers 2xx with `"ok": true`. The base URL is
/// configurable (a local Bot API server, or a loopback stand-in in tests); the token is part of the path, so it is
/// scrubbed from every error this channel reports.
public struct TelegramChannel: AlertChannel {
    public static let defaultBaseURL = "https://api.telegram.org"
    public let name = "telegram"
    public let baseURL: String
    let token: String
    public let chatId: String
    public let minimumSeverity: Severity
    public let httpClient: HTTPClient
    public let timeoutSeconds: Int64

    public init(
        token: String, chatId: String, baseURL: String = TelegramChannel.defaultBaseURL, minimumSeverity: Severity = .low,
        httpClient: HTTPClient, timeoutSeconds: Int64 = 10
    ) {
        self.token = token
        self.chatId = chatId
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.minimumSeverity = minimumSeverity
        self.httpClient = httpClient
        self.timeoutSeconds = timeoutSeconds
    }

    /// A numeric chat id is sent as a number, `@channelname` as a string, as the Bot API takes either.
    func body(for alert: Alert) -> JSONValue {
        let chat: JSONValue = Int64(chatId) != nil ? .number(chatId) : .string(chatId)
        return .object([("chat_id", chat), ("text", .string(alert.text)), ("disable_web_page_preview", .bool(true))])
    }

    public func deliver(_ alert: Alert) async throws {
        var request = HTTPClientRequest(url: "\(baseURL)/bot\(token)/sendMessage")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body(for: alert).serialized()))
        let status: UInt
        let answer: JSONValue?
        do {
            let response = try await httpClient.execute(request, timeout: .seconds(timeoutSeconds))
            status = response.status.code
            answer = try? JSONValue.parse(Array(try await response.body.collect(upTo: 64 * 1024).readableBytesView))
        } catch {
            throw AlertChannelError("Telegram request failed: \(scrubbed("\(error)"))")
        }
        guard (200..<300).contains(status), answer?["ok"] == .bool(true) else {
            let description = answer?["description"]?.stringValue.map { ": " + scrubbed($0) } ?? ""
            throw AlertChannelError("Telegram HTTP \(status)\(description)")
        }
    }

    func scrubbed(_ text: String) -> String {
        token.isEmpty ? text : text.replacingOccurrences(of: token, with: "<token>")
    }
}
