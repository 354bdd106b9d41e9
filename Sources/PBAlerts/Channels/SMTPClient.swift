import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import PBCore
import Synchronization

/// Where and how to send e-mail. The password is used only on the wire, never in an error or a log line.
public struct SMTPSettings: Sendable {
    public var host: String
    public var port: Int
    /// The name this client gives in EHLO.
    public var clientName = "pb-gateway"
    /// Upgrade the connection with STARTTLS before authenticating or sending; the server must offer it.
    public var startTLS = false
    /// PEM file of the CA that signs the server's certificate; nil trusts the system's roots.
    public var trustedCertificatePath: String?
    /// Check that the certificate names `host` (turn off only for a server reached by IP address).
    public var verifiesHostname = true
    public var username: String?
    public var password: String?
    /// AUTH over an unencrypted connection sends the password in the clear: refused unless this is set.
    public var allowsPlaintextAuthentication = false
    /// Connecting, and waiting for each reply.
    public var timeoutSeconds: Int64 = 30

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}

/// A minimal SMTP submission client on SwiftNIO (RFC 5321): EHLO, optional STARTTLS (RFC 3207), optional AUTH PLAIN
/// or LOGIN (RFC 4954), MAIL FROM, RCPT TO, DATA, QUIT. One connection per message: alerts are rare, and a fresh
/// connection has no state to go stale. Every reply is awaited with `timeoutSeconds`; replies are bounded in size.
public struct SMTPClient: Sendable {
    public let settings: SMTPSettings
    let group: any EventLoopGroup

    public init(settings: SMTPSettings, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.settings = settings
        self.group = group
    }

    /// Sends one message; throws `AlertChannelError` naming the step and the server's reply when it is refused.
    public func send(_ message: SMTPMessage) async throws {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(settings.timeoutSeconds))
            .connect(host: settings.host, port: settings.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var conversation = SMTPConversation(
                inbound: inbound.makeAsyncIterator(), outbound: outbound, channel: channel.channel,
                timeoutSeconds: settings.timeoutSeconds)
            try await conversation.expect(220, step: "greeting")
            var capabilities = try await conversation.command("EHLO \(settings.clientName)", expect: 250, step: "EHLO")
            if settings.startTLS {
                guard capabilities.contains(where: { $0.uppercased() == "STARTTLS" }) else {
                    throw AlertChannelError("SMTP server does not offer STARTTLS")
                }
                try await conversation.command("STARTTLS", expect: 220, step: "STARTTLS")
                // Built and added on the channel's event loop: the TLS handler lives there.
                try await channel.channel.eventLoop.submit { [settings, pipeline = channel.channel.pipeline] in
                    try pipeline.syncOperations.addHandler(try Self.makeTLSHandler(settings), position: .first)
                }.get()
                capabilities = try await conversation.command("EHLO \(settings.clientName)", expect: 250, step: "EHLO")
            }
            if let username = settings.username {
                try await authenticate(&conversation, username: username, capabilities: capabilities)
            }
            try await conversation.command("MAIL FROM:<\(message.from)>", expect: 250, step: "MAIL FROM")
            for recipient in message.to {
                try await conversation.command("RCPT TO:<\(recipient)>", expect: 250, 251, step: "RCPT TO")
            }
            try await conversation.command("DATA", expect: 354, step: "DATA")
            try await conversation.command(message.dataPayload + ".", expect: 250, step: "message")
            // The message is accepted; a QUIT that fails changes nothing.
            _ = try? await conversation.command("QUIT", expect: 221, step: "QUIT")
        }
    }

    static func makeTLSHandler(_ settings: SMTPSettings) throws -> NIOSSLClientHandler {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let path = settings.trustedCertificatePath {
            configuration.trustRoots = .file(path)
        }
        if !settings.verifiesHostname { configuration.certificateVerification = .noHostnameVerification }
        // SNI carries names only; an IP address goes without it.
        let isAddress = (try? SocketAddress(ipAddress: settings.host, port: 0)) != nil
        return try NIOSSLClientHandler(
            context: try NIOSSLContext(configuration: configuration), serverHostname: isAddress ? nil : settings.host)
    }

    /// AUTH PLAIN when offered (one round trip), else AUTH LOGIN.
    func authenticate(_ conversation: inout SMTPConversation, username: String, capabilities: [String]) async throws {
        guard settings.startTLS || settings.allowsPlaintextAuthentication else {
            throw AlertChannelError("SMTP AUTH without STARTTLS would send the password in the clear; enable startTLS")
        }
        let password = settings.password ?? ""
        let mechanisms = Set(
            capabilities.first { $0.uppercased().hasPrefix("AUTH ") }?.uppercased().split(separator: " ").dropFirst()
                .map(String.init) ?? [])
        func base64(_ text: String) -> String { Base64.encode(Array(text.utf8)) }
        if mechanisms.contains("PLAIN") || !mechanisms.contains("LOGIN") {
            try await conversation.command(
                "AUTH PLAIN \(base64("\0\(username)\0\(password)"))", expect: 235, step: "AUTH PLAIN")
        } else {
            try await conversation.command("AUTH LOGIN", expect: 334, step: "AUTH LOGIN")
            try await conversation.command(base64(username), expect: 334, step: "AUTH LOGIN username")
            try await conversation.command(base64(password), expect: 235, step: "AUTH LOGIN password")
        }
    }
}

/// One SMTP exchange: write a line, read the (possibly multi-line) reply, check its code.
struct SMTPConversation {
    static let maximumReplyBytes = 64 * 1024
    var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let channel: any Channel
    let timeoutSeconds: Int64
    var pending = ByteBuffer()

    init(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        channel: any Channel, timeoutSeconds: Int64
    ) {
        self.inbound = inbound
        self.outbound = outbound
        self.channel = channel
        self.timeoutSeconds = timeoutSeconds
    }

    /// Sends `line` (CRLF added) and returns the reply's text lines. Errors name the step and the server's reply,
    /// never the line sent (it may hold credentials).
    @discardableResult
    mutating func command(_ line: String, expect codes: Int..., step: String) async throws
        -> [String]
    {
        try await outbound.write(ByteBuffer(string: line + "\r\n"))
        return try await expect(codes, step: step)
    }

    @discardableResult
    mutating func expect(_ codes: Int..., step: String) async throws -> [String] {
        try await expect(codes, step: step)
    }

    mutating func expect(_ codes: [Int], step: String) async throws -> [String] {
        let (code, lines) = try await reply(step: step)
        guard codes.contains(code) else {
            throw AlertChannelError("SMTP \(step) refused: \(code) \(lines.joined(separator: " "))")
        }
        return lines
    }

    /// Reads lines until one whose fourth character is not `-`; the timer closes the channel if none comes in time.
    mutating func reply(step: String) async throws -> (code: Int, lines: [String]) {
        let timedOut = TimeoutFlag()
        let timer = channel.eventLoop.scheduleTask(in: .seconds(timeoutSeconds)) { [channel] in
            timedOut.set()
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        var lines: [String] = []
        var total = 0
        while true {
            guard let line = try await nextLine() else {
                throw AlertChannelError(
                    timedOut.isSet
                        ? "SMTP \(step): no reply within \(timeoutSeconds) s" : "SMTP \(step): connection closed")
            }
            total += line.utf8.count
            let bytes = Array(line.utf8)
            guard bytes.count >= 3, let code = Int(String(line.prefix(3))), total <= Self.maximumReplyBytes else {
                throw AlertChannelError("SMTP \(step): malformed reply")
            }
            lines.append(bytes.count > 4 ? String(line.dropFirst(4)) : "")
            if bytes.count == 3 || bytes[3] != UInt8(ascii: "-") { return (code, lines) }
        }
    }

    /// The next CRLF- (or LF-) terminated line, without its ending; nil when the connection ended.
    mutating func nextLine() async throws -> String? {
        while true {
            if let index = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let length = index - pending.readerIndex
                var line = pending.readString(length: length) ?? ""
                pending.moveReaderIndex(forwardBy: 1)
                if line.hasSuffix("\r") { line.removeLast() }
                return line
            }
            guard pending.readableBytes <= Self.maximumReplyBytes else {
                throw AlertChannelError("SMTP reply line longer than \(Self.maximumReplyBytes) bytes")
            }
            guard var next = try await inbound.next() else { return nil }
            pending.writeBuffer(&next)
        }
    }
}

/// Set by the event loop's timer, read by the task awaiting a reply.
final class TimeoutFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
