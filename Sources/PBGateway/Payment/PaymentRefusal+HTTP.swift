import HTTPTypes
import Hummingbird
import PBCore
import PBProtocol

/// A refusal thrown outside the payment gate (e.g. registering a grant): its status and a JSON body with its code.
extension PaymentRefusal: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: httpStatus) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONBodies.response(JSONBodies.error(code: code.rawValue, message: message), status: status)
    }
}
