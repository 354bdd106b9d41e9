import Foundation
import Hummingbird
import PBCore
import PBCrypto
import PBGuard
import PBSentinel
import PBStore

/// Sentinel's API under `/v1/sentinel` (merchant key; changing the rules takes an admin key):
/// `GET /events?key=0x…|owner=0x…&cursor=&limit=` lists stored events newest first; `GET /rules` returns the policy
/// in force in its config form plus `enabled`; `PUT /rules` validates a policy in that form (every error names its
/// field), puts it in force at once, stores it, and switches Sentinel on or off when `enabled` is given.
public struct SentinelAPI: Sendable {
    public let gate: PaymentRiskGate
    public let store: any GatewayStore
    public let clock: any WallClock

    public init(gate: PaymentRiskGate, store: any GatewayStore, clock: any WallClock) {
        self.gate = gate
        self.store = store
        self.clock = clock
    }

    public func register(on merchant: RouterGroup<GatewayRequestContext>, admin: RouterGroup<GatewayRequestContext>) {
        merchant.get("/sentinel/events") { request, _ in
            let (cursor, limit) = try JSONBodies.page(request)
            let page: Page<StoredSentinelEvent>
            do {
                page = try await store.sentinelEvents(subject: try subject(request), after: cursor, limit: limit)
            } catch let error as StoreError {
                throw GatewayError.invalidField("cursor", error.description)
            }
            return JSONBodies.response(JSONBodies.list(page.items.map(Self.json), nextCursor: page.nextCursor))
        }
        merchant.get("/sentinel/rules") { _, _ in rules() }
        admin.put("/sentinel/rules") { request, context in
            let buffer = try await request.body.collect(upTo: JSONBodies.maximumBodyBytes)
            let bytes = Data(buffer.readableBytesView)
            let (body, _) = try JSONBodies.parse([UInt8](bytes))
            guard case .object = body else { throw GatewayError.badRequest("send the policy as a JSON object") }
            var enabled: Bool?
            if let flag = body["enabled"] {
                guard case .bool(let value) = flag else { throw GatewayError.invalidField("enabled", "expected true or false") }
                enabled = value
            }
            let policy: SentinelPolicy
            do throws(SentinelError) { policy = try SentinelPolicyReader.policy(json: bytes) } catch {
                throw GatewayError.invalidField(error.field ?? "", error.message)
            }
            try await store.saveSentinelPolicy(policy.config, at: clock.now)
            gate.engine.replacePolicy(policy)
            if let enabled { gate.isEnabled = enabled }
            return rules()
        }
    }

    private func rules() -> Response {
        var members: [(key: String, value: JSONValue)] = [("enabled", .bool(gate.isEnabled))]
        if let data = try? JSONEncoder().encode(gate.engine.policy.config), case .object(let policy) = try? JSONValue.parse([UInt8](data)) {
            members += policy
        }
        return JSONBodies.response(.object(members))
    }

    /// `?key=0x…` (a grant id) or `?owner=0x…` (an owner's address), at most one.
    private func subject(_ request: Request) throws -> SentinelSubject? {
        let query = request.uri.queryParameters
        switch (query["key"], query["owner"]) {
        case (nil, nil): return nil
        case (let key?, nil):
            guard let id = try? Bytes32(hex: String(key)) else { throw GatewayError.invalidField("key", "must be a grant id: 0x + 64 hex digits") }
            return .key(id)
        case (nil, let owner?):
            guard let address = try? EthereumAddress(String(owner)) else { throw GatewayError.invalidField("owner", "must be an address: 0x + 40 hex digits") }
            return .owner(address)
        default:
            throw GatewayError.badRequest("filter by key or by owner, not both")
        }
    }

    static func json(_ stored: StoredSentinelEvent) -> JSONValue {
        let event = stored.event
        let subject: JSONValue
        switch event.subject {
        case .key(let id): subject = .object([("type", .string("key")), ("id", .string(id.hex))])
        case .owner(let owner): subject = .object([("type", .string("owner")), ("id", .string(owner.checksummed))])
        }
        return .object([
            ("sequence", .string(String(stored.sequence))), ("subject", subject), ("kind", .string(event.kind.rawValue)),
            ("severity", .string(event.severity.rawValue)), ("rule", event.ruleID.map { .string($0) } ?? .null),
            ("action", event.action.map { .string($0.rawValue) } ?? .null), ("details", .string(event.details)),
            ("time", .string(String(event.time.seconds))),
        ])
    }
}
