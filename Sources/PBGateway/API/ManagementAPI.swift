import HTTPTypes
import Hummingbird
import PBCore
import PBCrypto
import PBGuard
import PBProtocol
import PBStore

/// The management API under `/v1` (JSON, decimal strings for money, cursor pagination, `Idempotency-Key` on
/// POSTs). Grants and their status, payments, services and API keys.
public struct ManagementAPI: Sendable {
    public let processor: PaymentProcessor
    public var store: any GatewayStore { processor.store }
    /// Called after a service is created, changed or deleted, so prices take effect at once.
    public let onServicesChanged: @Sendable () async throws -> Void
    /// Called after an oracle rate is pushed or withdrawn.
    public let onRatesChanged: @Sendable () async throws -> Void
    public let metrics: GatewayMetrics

    public init(
        processor: PaymentProcessor, onServicesChanged: @escaping @Sendable () async throws -> Void = {},
        onRatesChanged: @escaping @Sendable () async throws -> Void = {}, metrics: GatewayMetrics = GatewayMetrics()
    ) {
        self.processor = processor
        self.onServicesChanged = onServicesChanged
        self.onRatesChanged = onRatesChanged
        self.metrics = metrics
    }

    public func register(on router: Router<GatewayRequestContext>) {
        router.get("/v1/health") { _, _ in
            JSONBodies.response(.object([("status", .string("ok")), ("time", .string(String(processor.now.seconds)))]))
        }
        let merchant = router.group("/v1").add(middleware: APIKeyAuthenticator(store: store))
        merchant.post("/grants") { request, context in try await registerGrant(request, context: context) }
        merchant.get("/grants") { request, _ in
            let (cursor, limit) = try JSONBodies.page(request)
            let page = try await store.grants(after: cursor, limit: limit)
            let decimals = try await assetDecimals()
            let items = page.items.map { RecordJSON.grant($0, decimals: decimals($0.grant.asset)) }
            return JSONBodies.response(JSONBodies.list(items, nextCursor: page.nextCursor))
        }
        merchant.get("/grants/:grantId") { _, context in
            let record = try await grantRecord(context)
            return JSONBodies.response(RecordJSON.grant(record, decimals: try await decimals(of: record.grant.asset)))
        }
        for (action, status) in [("freeze", GrantStatus.frozen), ("unfreeze", .active), ("revoke", .revoked)] {
            merchant.post("/grants/:grantId/\(action)") { request, context in
                let record = try await grantRecord(context)
                let (body, _) = try await JSONBodies.read(request, context: context)
                return try await changeStatus(record, to: status, reason: body["reason"]?.stringValue)
            }
        }
        // Owner-signed status changes need no API key (docs/PROTOCOL.md, section 15).
        router.post("/v1/grants/:grantId/status") { request, context in try await ownerStatusChange(request, context: context) }
        merchant.get("/payments") { request, _ in
            let (cursor, limit) = try JSONBodies.page(request)
            let grantId = try request.uri.queryParameters["grantId"].map { try Bytes32(hex: String($0)) }
            let page = try await store.payments(grantId: grantId, after: cursor, limit: limit)
            let decimals = try await assetDecimals()
            // One grant read per distinct grant on the page, not per payment.
            var assets: [Bytes32: EthereumAddress] = [:]
            var items: [JSONValue] = []
            for payment in page.items {
                if assets[payment.grantId] == nil, let grant = try await store.grant(payment.grantId) {
                    assets[payment.grantId] = grant.grant.asset
                }
                items.append(RecordJSON.payment(payment, decimals: assets[payment.grantId].map(decimals) ?? 6))
            }
            return JSONBodies.response(JSONBodies.list(items, nextCursor: page.nextCursor))
        }
        merchant.get("/payments/:receiptId") { _, context in
            let receiptId = try Bytes32(hex: try context.parameters.require("receiptId"))
            guard let payment = try await store.payment(receiptId) else { throw GatewayError.notFound("no payment \(receiptId)") }
            return JSONBodies.response(HoldJSON.payment(
                payment, hold: try await store.hold(receiptId), decimals: try await decimals(ofGrant: payment.grantId)))
        }
        PricingAPI(processor: processor, metrics: metrics, onRatesChanged: onRatesChanged).register(on: merchant)
        ServicesAPI(store: store, onChange: onServicesChanged).register(on: merchant, admin: router.group("/v1").add(middleware: APIKeyAuthenticator(store: store, minimumRole: .admin)))
    }

    private func grantRecord(_ context: GatewayRequestContext) async throws -> GrantRecord {
        let text = try context.parameters.require("grantId")
        guard let grantId = try? Bytes32(hex: text) else { throw GatewayError.badRequest("grantId must be 0x + 64 hex digits") }
        guard let record = try await store.grant(grantId) else { throw GatewayError.notFound("no grant \(grantId)") }
        return record
    }

    /// `POST /v1/grants` with `{typedData, signature}` as `pb grant sign` writes it or a wallet returns it.
    private func registerGrant(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (body, bytes) = try await JSONBodies.read(request, context: context)
        return try await Idempotency(store: store).run(request, body: bytes, at: processor.now) {
            let signed: SignedSessionGrant
            switch try SessionDocument.parse(body) {
            case .grant(let grant): signed = grant
            default: throw GatewayError.badRequest("the document is not a SessionGrant")
            }
            let verdict = SessionVerifier(expectedDomain: processor.domain).verify(grant: signed, now: UInt64(clamping: processor.now.seconds))
            if let refusal = verdict.refusal { throw refusal }
            let record = try await store.registerGrant(signed, at: processor.now)
            return (.created, RecordJSON.grant(record, decimals: try await decimals(of: record.grant.asset)))
        }
    }

    private func changeStatus(_ record: GrantRecord, to status: GrantStatus, reason: String?) async throws -> Response {
        guard record.status != .revoked || status == .revoked else {
            throw GatewayError.conflict("grant \(record.grantId) is revoked; revocation is final")
        }
        guard let updated = try await store.updateGrantStatus(record.grantId, to: status, reason: reason.map { String($0.prefix(200)) }, at: processor.now) else {
            throw GatewayError.notFound("no grant \(record.grantId)")
        }
        if status == .active {
            // Sentinel's breaker too, or the next payment would still be refused by the engine's memory of the freeze.
            processor.risk?.unfreeze(record.grantId, at: processor.now, note: "unfrozen \(reason ?? "by the merchant")")
        }
        return JSONBodies.response(RecordJSON.grant(updated, decimals: try await decimals(of: updated.grant.asset)))
    }

    private func ownerStatusChange(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let record = try await grantRecord(context)
        let (body, _) = try await JSONBodies.read(request, context: context)
        guard let status = body["status"]?.stringValue, let issuedText = body["issuedAt"]?.stringValue,
            let issuedAt = UInt64(issuedText), let signatureText = body["signature"]?.stringValue,
            let signature = try? Hex.decode(signatureText), let newStatus = GrantStatus(rawValue: status)
        else {
            throw GatewayError.badRequest("send {status: frozen|active|revoked, issuedAt, signature}")
        }
        let change = GrantStatusChange(grantId: record.grantId, status: status, issuedAt: issuedAt)
        try change.verify(
            signature: signature, owner: record.grant.owner, domain: processor.domain,
            now: UInt64(clamping: processor.now.seconds))
        return try await changeStatus(record, to: newStatus, reason: "by the owner")
    }

    /// Token decimals by asset, from the services read once per request (6, USDC's, for an unknown asset).
    private func assetDecimals() async throws -> @Sendable (EthereumAddress) -> Int {
        let byAsset = Dictionary(try await store.services().map { ($0.asset, $0.assetDecimals) }, uniquingKeysWith: { first, _ in first })
        return { byAsset[$0] ?? 6 }
    }

    private func decimals(of asset: EthereumAddress) async throws -> Int {
        try await assetDecimals()(asset)
    }

    private func decimals(ofGrant grantId: Bytes32) async throws -> Int {
        guard let grant = try await store.grant(grantId) else { return 6 }
        return try await decimals(of: grant.grant.asset)
    }
}
