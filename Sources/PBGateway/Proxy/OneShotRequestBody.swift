import Hummingbird
import NIOCore
import Synchronization

/// Thrown into the upload when the client sends more than the bound.
struct RequestBodyTooLargeError: Error {}

/// Thrown when the HTTP client reads the streamed body after it was closed: a second attempt (a retry on a fresh
/// connection) or a read after the response was written.
struct RequestBodyClosedError: Error, CustomStringConvertible {
    var description: String { "the request body was already streamed to the upstream and cannot be read again" }
}

/// The client's request body as the upstream upload, counted as it streams: past the bound the upload stops with
/// `RequestBodyTooLargeError`, so a body without Content-Length cannot grow without limit.
///
/// The server's request body is a view of the connection's inbound stream, which allows one reader at a time and
/// traps on a second concurrent `next()`. The HTTP client reads it from a task of its own, which can outlive the
/// exchange (the upstream answered before the upload ended, or failed), while the server goes on to read the
/// connection's next request as soon as the handler's response is written. `close()` therefore waits for a read in
/// progress to return and then cuts the client off: every later read, and any second iterator, throws instead of
/// touching the connection.
struct OneShotRequestBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    private let base: RequestBody
    private let limitBytes: Int
    private let gate: UploadGate

    init(base: RequestBody, limitBytes: Int) {
        self.base = base
        self.limitBytes = limitBytes
        gate = UploadGate()
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator?
        let limitBytes: Int
        let gate: UploadGate
        var receivedBytes = 0

        mutating func next() async throws -> ByteBuffer? {
            guard base != nil, gate.beginRead() else { throw RequestBodyClosedError() }
            let buffer: ByteBuffer?
            do {
                buffer = try await base?.next()
            } catch {
                gate.endRead()
                throw error
            }
            gate.endRead()
            guard let buffer else { return nil }
            receivedBytes += buffer.readableBytes
            if receivedBytes > limitBytes { throw RequestBodyTooLargeError() }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: gate.takeIterator() ? base.makeAsyncIterator() : nil, limitBytes: limitBytes, gate: gate)
    }

    /// Waits until no read is in progress, then refuses every later one.
    func close() async { await gate.close() }
}

/// The reads of one upload: at most one iterator, and once closed no read reaches the connection.
final class UploadGate: Sendable {
    private struct State {
        var iteratorTaken = false
        var reading = false
        var closed = false
        /// `close()` callers waiting for the read in progress (one in practice; a few at most).
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func takeIterator() -> Bool {
        state.withLock { state in
            defer { state.iteratorTaken = true }
            return !state.iteratorTaken && !state.closed
        }
    }

    func beginRead() -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            state.reading = true
            return true
        }
    }

    func endRead() {
        let waiters = state.withLock { state in
            state.reading = false
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                state.closed = true
                guard state.reading else { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
