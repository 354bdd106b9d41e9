import HTTPTypes
import Hummingbird
import PBCore
import PBStore

/// Services CRUD (merchant key) and API keys (admin key).
struct ServicesAPI: Sendable {
    let store: any GatewayStore
    let onChange: @Sendable () async throws -> Void

    func register(on merchant: RouterGroup<GatewayRequestContext>, admin: RouterGroup<GatewayRequestContext>) {
        merchant.get("/services") { _, _ in
            JSONBodies.response(JSONBodies.list(try await store.services().map(ServiceJSON.encode), nextCursor: nil))
        }
        merchant.get("/services/:serviceId") { _, context in
            let id = try context.parameters.require("serviceId")
            guard let service = try await store.service(id) else { throw GatewayError.notFound("no service \(id)") }
            return JSONBodies.response(ServiceJSON.encode(service))
        }
        merchant.post("/services") { request, context in
            let (body, bytes) = try await JSONBodies.read(request, context: context)
            return try await Idempotency(store: store).run(request, body: bytes, at: SystemWallClock().now) {
                let service = try ServiceJSON.decode(body)
                guard try await store.service(service.id) == nil else {
                    throw GatewayError.conflict("service \(service.id) exists; PUT /v1/services/\(service.id) to change it")
                }
                try await store.upsertService(service)
                try await onChange()
                return (.created, ServiceJSON.encode(service))
            }
        }
        merchant.put("/services/:serviceId") { request, context in
            let (body, _) = try await JSONBodies.read(request, context: context)
            let service = try ServiceJSON.decode(body, id: try context.parameters.require("serviceId"))
            try await store.upsertService(service)
            try await onChange()
            return JSONBodies.response(ServiceJSON.encode(service))
        }
        merchant.delete("/services/:serviceId") { _, context in
            let id = try context.parameters.require("serviceId")
            guard try await store.deleteService(id) else { throw GatewayError.notFound("no service \(id)") }
            try await onChange()
            return Response(status: .noContent)
        }
        admin.post("/api-keys") { request, context in
            let (body, bytes) = try await JSONBodies.read(request, context: context)
            return try await Idempotency(store: store).run(request, body: bytes, at: SystemWallClock().now) {
                let role = APIKeyRole(rawValue: body["role"]?.stringValue ?? "merchant")
                guard let role else { throw GatewayError.badRequest("role is admin or merchant") }
                let (record, secret) = try APIKeySecrets.make(
                    name: String((body["name"]?.stringValue ?? "merchant").prefix(100)), role: role,
                    at: SystemWallClock().now)
                try await store.createAPIKey(record)
                guard case .object(var members) = RecordJSON.apiKey(record) else { return (.created, .null) }
                // The only time the secret is shown; it is not stored.
                members.append(("secret", .string(secret)))
                return (.created, .object(members))
            }
        }
        admin.get("/api-keys") { _, _ in
            JSONBodies.response(JSONBodies.list(try await store.apiKeys().map(RecordJSON.apiKey), nextCursor: nil))
        }
    }
}
