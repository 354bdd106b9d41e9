import HTTPTypes
import Hummingbird
import PBStore

/// Requires `Authorization: Bearer pbk_…` with a stored, unrevoked key of at least `minimumRole`.
public struct APIKeyAuthenticator: RouterMiddleware {
    public typealias Context = GatewayRequestContext

    public let store: any GatewayStore
    public let minimumRole: APIKeyRole

    public init(store: any GatewayStore, minimumRole: APIKeyRole = .merchant) {
        self.store = store
        self.minimumRole = minimumRole
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer ") else {
            throw GatewayError.unauthorized("send Authorization: Bearer <API key>")
        }
        let secret = String(authorization.dropFirst("Bearer ".count).drop { $0 == " " })
        guard secret.utf8.count <= 256, let key = try await store.apiKey(secretHash: APIKeySecrets.hash(secret)) else {
            throw GatewayError.unauthorized("unknown or revoked API key")
        }
        if minimumRole == .admin, key.role != .admin {
            throw GatewayError.forbidden("this needs an admin API key")
        }
        var context = context
        context.apiKey = key
        return try await next(request, context)
    }
}
