import Foundation
import PBAlerts
import PBCore
import PBSentinel
import PBTestSupport
import Testing

/// E-mail end to end: our NIO SMTP client against aiosmtpd (a real SMTP server) started by the test, asserting the
/// message that arrived.
@Suite(.serialized) struct EmailChannelTests {
    static let keyHex = String(repeating: "ab", count: 32)

    static func channel(port: Int, configure: (inout SMTPSettings) -> Void = { _ in }) -> EmailChannel {
        var settings = SMTPSettings(host: "127.0.0.1", port: port)
        settings.timeoutSeconds = 60
        configure(&settings)
        return EmailChannel(
            client: SMTPClient(settings: settings), from: "sentinel@pb.example", to: ["ops@pb.example", "owner@pb.example"])
    }

    static let alert = AlertDispatcherTests.alert("al_mail")

    @Test func aSentinelAlertArrivesAtTheSMTPServer() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        try await Self.channel(port: sink.port).deliver(Self.alert)
        let message = try #require(try sink.received().first)
        #expect(message.mailFrom == "sentinel@pb.example")
        #expect(message.recipients == ["ops@pb.example", "owner@pb.example"])
        #expect(message.data.contains("Subject: [PB alert] [HIGH] Sentinel: rule fired for key 0x\(Self.keyHex)"))
        #expect(message.data.contains("reason: 112 calls in 60 s (limit 100)"))
        #expect(message.data.contains("subject: key 0x\(Self.keyHex)"))
        #expect(message.data.contains("Message-ID: <al_mail@pb.example>"))
        #expect(!message.usedTLS)
    }

    @Test func aLineWithOnlyADotDoesNotEndTheMessage() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let alert = Alert(
            id: "al_dots", kind: "test", severity: .low, subject: "key 0x01", title: "dots",
            details: [AlertDetail("note", "line one\n.\n..two\r\nlast")], time: UnixTime(seconds: 1_764_000_000))
        try await Self.channel(port: sink.port).deliver(alert)
        let message = try #require(try sink.received().first)
        // The server un-stuffs: the receiver sees the lines exactly as written, and the message went on past them.
        #expect(message.data.contains("note: line one\r\n.\r\n..two\r\nlast\r\n"))
        #expect(message.data.contains("alert: al_dots"))
    }

    @Test func startTLSAndAuthentication() async throws {
        let sink = try await SMTPSink(tls: true, login: "alerts:s3cret-pass")
        defer { sink.stop() }
        let secure = Self.channel(port: sink.port) {
            $0.startTLS = true
            $0.trustedCertificatePath = sink.certificatePath
            $0.username = "alerts"
            $0.password = "s3cret-pass"
        }
        try await secure.deliver(Self.alert)
        let message = try #require(try sink.received().first)
        #expect(message.usedTLS)
        #expect(message.login == "alerts")

        let wrongPassword = Self.channel(port: sink.port) {
            $0.startTLS = true
            $0.trustedCertificatePath = sink.certificatePath
            $0.username = "alerts"
            $0.password = "wrong-password-123"
        }
        let error = await #expect(throws: AlertChannelError.self) { try await wrongPassword.deliver(Self.alert) }
        // The server's refusal itself, not a reply timeout (which also names the AUTH step).
        #expect(error?.description.contains("AUTH PLAIN refused: 535") == true, "\(String(describing: error))")
        #expect(error?.description.contains("wrong-password-123") == false, "the password never appears in an error")

        let withoutTLS = Self.channel(port: sink.port)
        await #expect(throws: AlertChannelError.self, "the server requires STARTTLS before MAIL") {
            try await withoutTLS.deliver(Self.alert)
        }
        #expect(try sink.received().count == 1)
    }

    @Test func aClosedPortFailsInsteadOfHanging() async throws {
        let sink = try await SMTPSink()
        let port = sink.port
        sink.stop()
        await #expect(throws: (any Error).self) { try await Self.channel(port: port).deliver(Self.alert) }
    }
}
