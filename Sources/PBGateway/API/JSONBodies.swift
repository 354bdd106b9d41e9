import HTTPTypes
import Hummingbird
import PBCore

/// JSON in and out of the management API, through PBCore's exact JSON (numbers keep their digits; money is
/// always a decimal string).
enum JSONBodies {
    static let maximumBodyBytes = 256 * 1024

    static func response(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: value.serialized())))
    }

    /// `{"error": code, "message": text}`: every error the gateway's own API answers.
    static func error(code: String, message: String) -> JSONValue {
        .object([("error", .string(code)), ("message", .string(message))])
    }

    static func read(_ request: Request, context: some RequestContext) async throws -> (JSONValue, [UInt8]) {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: maximumBodyBytes) } catch {
            throw GatewayError(.contentTooLarge, code: "body_too_large", message: "a request body is at most \(maximumBodyBytes) bytes")
        }
        return try parse(Array(buffer.readableBytesView))
    }

    static func parse(_ bytes: [UInt8]) throws -> (JSONValue, [UInt8]) {
        guard !bytes.isEmpty else { return (.object([]), bytes) }
        do { return (try JSONValue.parse(bytes), bytes) } catch {
            throw GatewayError.badRequest("body is not JSON: \(error)")
        }
    }

    /// Page size from `?limit=` (1...500, default 50) and the opaque `?cursor=`.
    static func page(_ request: Request) throws -> (cursor: String?, limit: Int) {
        let query = request.uri.queryParameters
        var limit = 50
        if let text = query["limit"] {
            guard let parsed = Int(String(text)), (1...500).contains(parsed) else {
                throw GatewayError.badRequest("limit must be 1...500")
            }
            limit = parsed
        }
        return (query["cursor"].map(String.init), limit)
    }

    static func list(_ items: [JSONValue], nextCursor: String?) -> JSONValue {
        .object([("data", .array(items)), ("nextCursor", nextCursor.map { .string($0) } ?? .null)])
    }

    static func money(_ baseUnits: UInt128, decimals: Int) -> JSONValue {
        .string((try? Amount(baseUnits: baseUnits, decimals: decimals))?.decimalString ?? String(baseUnits))
    }
}
