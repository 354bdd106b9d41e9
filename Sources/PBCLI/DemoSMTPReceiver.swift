import NIOCore
import NIOPosix
import Synchronization

/// The attack demo's mail server: a small SMTP receiver (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing,
/// RSET, NOOP, QUIT) on a free loopback port, keeping what it accepts in memory. The gateway's alert e-mail reaches
/// it through the same `SMTPClient` that talks to a real relay; `pb demo attack --smtp-port` sends to any other
/// server instead (the tests use aiosmtpd). Bounded: 64 KiB per line or message, 16 messages kept.
final class DemoSMTPReceiver: Sendable {
    struct Message: Sendable {
        let mailFrom: String
        let recipients: [String]
        let data: String
        var receivedAt = ContinuousClock.now

        /// The value of the `Subject:` header.
        var subject: String {
            data.split(separator: "\r\n").first { $0.hasPrefix("Subject: ") }.map { String($0.dropFirst(9)) } ?? ""
        }
    }

    static let maximumBytes = 64 * 1_024
    static let maximumMessages = 16

    let port: Int
    private let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    private let messages = Mutex<[Message]>([])
    private let accepting = Mutex<Task<Void, Never>?>(nil)

    private init(server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>, port: Int) {
        self.server = server
        self.port = port
    }

    static func start() async throws -> DemoSMTPReceiver {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let receiver = DemoSMTPReceiver(server: server, port: server.channel.localAddress?.port ?? 0)
        let task = Task<Void, Never> {
            await withDiscardingTaskGroup { group in
                _ = try? await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await receiver.serve(connection) }
                    }
                }
            }
        }
        receiver.accepting.withLock { $0 = task }
        return receiver
    }

    var received: [Message] { messages.withLock { $0 } }

    /// Waits until `count` messages arrived, for at most about ten seconds.
    func waitFor(count: Int) async { await DemoWait.until { received.count >= count } }

    /// Closes the listening socket; sessions in progress end with their clients.
    func stop() async {
        try? await server.channel.close()
        let task = accepting.withLock { $0 }
        task?.cancel()
        await task?.value
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var session = SMTPReceiverSession()
            try await outbound.write(ByteBuffer(string: "220 pb-demo ESMTP ready\r\n"))
            var pending: [UInt8] = []
            for try await buffer in inbound {
                pending.append(contentsOf: buffer.readableBytesView)
                while let end = Self.lineEnd(in: pending) {
                    let line = String(decoding: pending[..<end], as: UTF8.self)
                    pending.removeFirst(end + 2)
                    let step = session.handle(line)
                    if let message = step.accepted {
                        messages.withLock { if $0.count < Self.maximumMessages { $0.append(message) } }
                    }
                    if let reply = step.reply { try await outbound.write(ByteBuffer(string: reply + "\r\n")) }
                    if step.closes { return }
                }
                if pending.count > Self.maximumBytes {
                    try await outbound.write(ByteBuffer(string: "500 line too long\r\n"))
                    return
                }
            }
        }
    }

    private static func lineEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        for index in 0..<(bytes.count - 1) where bytes[index] == 13 && bytes[index + 1] == 10 { return index }
        return nil
    }
}

/// One SMTP conversation's state: commands, then the message lines of DATA up to the lone ".".
struct SMTPReceiverSession {
    struct Step {
        var reply: String?
        var accepted: DemoSMTPReceiver.Message?
        var closes = false
    }

    private var mailFrom: String?
    private var recipients: [String] = []
    private var data: [String]?
    private var dataBytes = 0

    mutating func handle(_ line: String) -> Step {
        if data != nil { return handleData(line) }
        let verb = line.prefix { $0 != " " && $0 != ":" }.uppercased()
        switch verb {
        case "EHLO", "HELO": reset(); return Step(reply: "250 pb-demo")
        case "MAIL":
            reset()
            mailFrom = Self.address(in: line)
            return Step(reply: "250 sender ok")
        case "RCPT":
            guard mailFrom != nil else { return Step(reply: "503 MAIL first") }
            recipients.append(Self.address(in: line))
            return Step(reply: "250 recipient ok")
        case "DATA":
            guard mailFrom != nil, !recipients.isEmpty else { return Step(reply: "503 MAIL and RCPT first") }
            data = []
            return Step(reply: "354 end with <CRLF>.<CRLF>")
        case "RSET": reset(); return Step(reply: "250 reset")
        case "NOOP": return Step(reply: "250 ok")
        case "QUIT": return Step(reply: "221 bye", closes: true)
        default: return Step(reply: "502 command not implemented")
        }
    }

    private mutating func handleData(_ line: String) -> Step {
        if line == "." {
            let message = DemoSMTPReceiver.Message(
                mailFrom: mailFrom ?? "", recipients: recipients, data: (data ?? []).joined(separator: "\r\n"))
            reset()
            return Step(reply: "250 message accepted", accepted: message)
        }
        dataBytes += line.utf8.count + 2
        guard dataBytes <= DemoSMTPReceiver.maximumBytes else {
            reset()
            return Step(reply: "552 message too large", closes: true)
        }
        // Dot-stuffing (RFC 5321 section 4.5.2): a line the client began with "." arrives with one more.
        data?.append(line.hasPrefix(".") ? String(line.dropFirst()) : line)
        return Step()
    }

    private mutating func reset() {
        mailFrom = nil
        recipients = []
        data = nil
        dataBytes = 0
    }

    /// The address between < and > of `MAIL FROM:<a>` / `RCPT TO:<b>`.
    private static func address(in line: String) -> String {
        guard let open = line.firstIndex(of: "<"), let close = line[open...].firstIndex(of: ">") else { return "" }
        return String(line[line.index(after: open)..<close])
    }
}
