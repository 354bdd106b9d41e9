import HTTPTypes
import Hummingbird
import PBCore

/// Errors of the gateway's own API, as JSON: `{"error": code, "message": text}`.
public struct GatewayError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// The request field at fault (`routes[0].pricing.prices[1].rate`), when one is.
    public let field: String?

    public init(_ status: HTTPResponse.Status, code: String, message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    /// A 400 naming the field at fault, in the message and as `field`.
    public static func invalidField(_ field: String, _ message: String) -> GatewayError {
        GatewayError(.badRequest, code: "invalid_request", message: field.isEmpty ? message : "\(field): \(message)", field: field)
    }

    public static func notFound(_ message: String) -> GatewayError { GatewayError(.notFound, code: "not_found", message: message) }
    public static func badRequest(_ message: String) -> GatewayError { GatewayError(.badRequest, code: "invalid_request", message: message) }
    public static func unauthorized(_ message: String) -> GatewayError { GatewayError(.unauthorized, code: "unauthorized", message: message) }
    public static func forbidden(_ message: String) -> GatewayError { GatewayError(.forbidden, code: "forbidden", message: message) }
    public static func conflict(_ message: String) -> GatewayError { GatewayError(.conflict, code: "conflict", message: message) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        guard let field, case .object(var members) = JSONBodies.error(code: code, message: message) else {
            return JSONBodies.response(JSONBodies.error(code: code, message: message), status: status)
        }
        members.append(("field", .string(field)))
        return JSONBodies.response(.object(members), status: status)
    }
}
