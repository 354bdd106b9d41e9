import AsyncHTTPClient
import PBAlerts
import PBCore
import Testing

/// Telegram's `sendMessage` against a loopback server in Telegram's place, through the same HTTP client and code
/// path as the real call (only the base URL differs).
@Suite struct TelegramChannelTests {
    static let token = "123456:ABC-secret-bot-token"

    @Test func theAlertIsSentToTheConfiguredChat() async throws {
        let receiver = LoopbackReceiver(answers: [.ok])
        try await receiver.listen { baseURL in
            let channel = TelegramChannel(token: Self.token, chatId: "-1001234567", baseURL: baseURL, httpClient: .shared)
            try await channel.deliver(AlertDispatcherTests.alert("al_tg"))
        }
        let request = try #require(receiver.received.first)
        #expect(request.path == "/bot\(Self.token)/sendMessage")
        #expect(request.json?["chat_id"] == .number("-1001234567"))
        let text = try #require(request.json?["text"]?.stringValue)
        #expect(text.hasPrefix("[HIGH] Sentinel: rule fired for key 0x"))
        #expect(text.contains("reason: 112 calls in 60 s (limit 100)"))
    }

    @Test func aRefusalIsAnErrorWithoutTheToken() async throws {
        let refusal = LoopbackReceiver.Answer(
            status: .badRequest, body: #"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#)
        let receiver = LoopbackReceiver(answers: [refusal])
        try await receiver.listen { baseURL in
            let channel = TelegramChannel(token: Self.token, chatId: "@pb_alerts", baseURL: baseURL, httpClient: .shared)
            let error = await #expect(throws: AlertChannelError.self) {
                try await channel.deliver(AlertDispatcherTests.alert("al_tg"))
            }
            #expect(error?.description == "Telegram HTTP 400: Bad Request: chat not found")
            #expect(receiver.received.first?.json?["chat_id"] == .string("@pb_alerts"))
        }
        let unreachable = TelegramChannel(
            token: Self.token, chatId: "1", baseURL: "http://127.0.0.1:1", httpClient: .shared, timeoutSeconds: 5)
        let error = await #expect(throws: AlertChannelError.self) {
            try await unreachable.deliver(AlertDispatcherTests.alert("al_tg"))
        }
        #expect(error?.description.contains(Self.token) == false)
    }
}
