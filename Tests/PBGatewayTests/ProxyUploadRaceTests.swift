import NIOCore
import NIOPosix
import Testing

@testable import PBGateway

/// The upload and the server's next read of the same connection: the upstream answers before the client has sent
/// its whole body, the gateway's response is written, and the server goes on to read the connection while the HTTP
/// client's upload may still be waiting for body bytes. Before `OneShotRequestBody` this crashed the gateway
/// (two readers of one NIO stream: "only allow a single Iterator to be created").
@Suite struct ProxyUploadRaceTests {
    /// A declared body that arrives in two writes, then a second request on the same connection.
    @Test func aSplitDeclaredBodyThenAnotherRequestOnTheSameConnection() async throws {
        try await withProxyGateway { _, gatewayPort in
            let exchange = try await RawHTTPExchange.run(port: gatewayPort, writes: [
                "POST /early HTTP/1.1\r\nHost: gateway\r\nContent-Length: 10\r\n\r\n12345",
                "67890",
                "GET /target/next HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n",
            ])
            #expect(exchange.statusLines == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"], "\(exchange.text)")
            #expect(exchange.text.contains("early"))
            #expect(exchange.text.contains("/target/next"), "the second request reached the upstream: \(exchange.text)")
        }
    }

    /// A chunked (streamed) body whose second chunk comes after the upstream answered, then a second request.
    @Test func aStreamedBodyOvertakenByTheAnswerThenAnotherRequest() async throws {
        try await withProxyGateway { _, gatewayPort in
            let exchange = try await RawHTTPExchange.run(port: gatewayPort, writes: [
                "POST /early HTTP/1.1\r\nHost: gateway\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
                "5\r\nworld\r\n0\r\n\r\n",
                "GET /target/after-stream HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n",
            ])
            #expect(exchange.statusLines == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"], "\(exchange.text)")
            #expect(exchange.text.contains("/target/after-stream"), "\(exchange.text)")
        }
    }

    /// Many such exchanges at once, as the chatbot demo's 1,000 calls made: none may bring the gateway down.
    @Test func manySplitBodiesConcurrently() async throws {
        try await withProxyGateway { client, gatewayPort in
            try await withThrowingTaskGroup(of: [String].self) { group in
                for index in 0..<40 {
                    group.addTask {
                        try await RawHTTPExchange.run(port: gatewayPort, pauseMilliseconds: index % 3 * 5, writes: [
                            "POST /early HTTP/1.1\r\nHost: gateway\r\nContent-Length: 4\r\n\r\nab",
                            "cd",
                            "POST /early HTTP/1.1\r\nHost: gateway\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n",
                            "0\r\n\r\nGET /target/done HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n",
                        ]).statusLines
                    }
                }
                for try await statusLines in group {
                    #expect(statusLines == Array(repeating: "HTTP/1.1 200 OK", count: 3))
                }
            }
            let after = try await client.execute(uri: "/headers", method: .get)
            #expect(after.status == .ok, "the gateway is still up")
        }
    }
}

/// One connection written to in steps (with a pause between writes, so each is its own TCP segment) and read to
/// its end.
struct RawHTTPExchange {
    let text: String

    /// The status line of every response, in order (a body without a line end runs into the next status line).
    var statusLines: [String] {
        text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { "HTTP/1.1 " + ($0.components(separatedBy: "\r\n").first ?? "") }
    }

    static func run(port: Int, pauseMilliseconds: Int = 150, writes: [String]) async throws -> RawHTTPExchange {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            for (index, write) in writes.enumerated() {
                if index > 0 { try await Task.sleep(for: .milliseconds(pauseMilliseconds)) }
                try await outbound.write(ByteBuffer(string: write))
            }
            var received = ByteBuffer()
            // The last request says Connection: close, so the gateway ends the stream; bounded in size anyway.
            for try await var buffer in inbound {
                received.writeBuffer(&buffer)
                if received.readableBytes > 1 << 20 { break }
            }
            return RawHTTPExchange(text: String(buffer: received))
        }
    }
}
