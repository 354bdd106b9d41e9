import HTTPTypes
import Hummingbird
import PBCore
import PBCrypto
import PBStore

/// `Idempotency-Key` for POSTs: the first response under a key is stored and replayed for the same request; the
/// same key with a different request is a 409. Without the header the request simply runs.
struct Idempotency {
    static let header = HTTPField.Name("Idempotency-Key")!
    let store: any GatewayStore

    func run(
        _ request: Request, body: [UInt8], at time: UnixTime,
        _ operation: () async throws -> (HTTPResponse.Status, JSONValue)
    ) async throws -> Response {
        guard let key = request.headers[Self.header] else {
            let (status, value) = try await operation()
            return JSONBodies.response(value, status: status)
        }
        guard (1...255).contains(key.utf8.count) else { throw GatewayError.badRequest("Idempotency-Key is 1-255 characters") }
        let requestHash = Bytes32(unchecked: SHA256Functions.hash(Array("\(request.method.rawValue) \(request.uri.path)\n".utf8) + body))
        if let stored = try await store.idempotentResponse(key: key) {
            guard stored.requestHash == requestHash else {
                throw GatewayError.conflict("Idempotency-Key \(key) was used for a different request")
            }
            var response = Response(
                status: HTTPResponse.Status(code: stored.status),
                headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: stored.body)))
            response.headers[HTTPField.Name("Idempotent-Replayed")!] = "true"
            return response
        }
        let (status, value) = try await operation()
        let text = value.serialized()
        try await store.saveIdempotentResponse(
            IdempotentResponse(key: key, requestHash: requestHash, status: Int(status.code), body: Array(text.utf8), createdAt: time))
        return JSONBodies.response(value, status: status)
    }
}
