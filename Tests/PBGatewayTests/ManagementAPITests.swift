import Foundation
import PBClient
import PBCore
import PBCrypto
import PBGateway
import PBProtocol
import PBStore
import Testing

/// The management API over a real socket: grants and their status, payments, services, keys, idempotency.
@Suite struct ManagementAPITests {
    @Test func healthNeedsNoKeyButEverythingElseDoes() async throws {
        try await withGateway(fixture: GatewayFixture()) { gateway in
            let health = try await gateway.send(.GET, "/v1/health")
            #expect(health.status == 200)
            #expect(try JSONValue.parse(health.body)["status"]?.stringValue == "ok")
            let anonymous = try await gateway.send(.GET, "/v1/grants")
            #expect(anonymous.status == 401)
            #expect(try JSONValue.parse(anonymous.body)["error"]?.stringValue == "unauthorized")
            let wrongKey = try await gateway.send(.GET, "/v1/grants", headers: [("Authorization", "Bearer pbk_nope")])
            #expect(wrongKey.status == 401)
        }
    }

    @Test func registerListFreezeUnfreezeRevokeAGrant() async throws {
        let fixture = GatewayFixture()
        try await withGateway(fixture: fixture) { gateway in
            let grant = fixture.grant()
            let created = try await gateway.admin(.POST, "/v1/grants", body: grant.documentJSON.serialized())
            #expect(created.status == 201, "\(created.body)")
            let record = try JSONValue.parse(created.body)
            #expect(record["grantId"]?.stringValue == grant.digest.hex)
            #expect(record["remaining"]?.stringValue == "50")
            #expect(record["status"]?.stringValue == "active")

            let client = try fixture.client(grant)
            #expect(try await client.send(method: "POST", url: gateway.url("/v1/chat")).status == 200)
            let listed = try JSONValue.parse(try await gateway.admin(.GET, "/v1/grants").body)
            #expect(listed["data"]?.arrayValues?.first?["spent"]?.stringValue == "0.01")
            #expect(listed["data"]?.arrayValues?.first?["remainingBaseUnits"]?.stringValue == "49990000")

            let frozen = try await gateway.admin(.POST, "/v1/grants/\(grant.digest.hex)/freeze", body: #"{"reason":"odd traffic"}"#)
            #expect(try JSONValue.parse(frozen.body)["status"]?.stringValue == "frozen")
            // A freeze takes effect on the very next payment.
            let refused = try await client.send(method: "POST", url: gateway.url("/v1/chat"))
            #expect(refused.status == 403)
            #expect(refused.errorCode == "pb_key_frozen")

            _ = try await gateway.admin(.POST, "/v1/grants/\(grant.digest.hex)/unfreeze")
            #expect(try await client.send(method: "POST", url: gateway.url("/v1/chat")).status == 200)

            _ = try await gateway.admin(.POST, "/v1/grants/\(grant.digest.hex)/revoke", body: #"{"reason":"done"}"#)
            #expect(try await client.send(method: "POST", url: gateway.url("/v1/chat")).errorCode == "pb_grant_revoked")
            let unrevoke = try await gateway.admin(.POST, "/v1/grants/\(grant.digest.hex)/unfreeze")
            #expect(unrevoke.status == 409)

            let payments = try JSONValue.parse(try await gateway.admin(.GET, "/v1/payments?grantId=\(grant.digest.hex)").body)
            #expect(payments["data"]?.arrayValues?.count == 2)
            #expect(payments["data"]?.arrayValues?.first?["amount"]?.stringValue == "0.01")
        }
    }

    @Test func anOwnerCanFreezeWithASignatureAndNobodyElseCan() async throws {
        let fixture = GatewayFixture()
        try await withGateway(fixture: fixture) { gateway in
            let grant = fixture.grant()
            _ = try await gateway.admin(.POST, "/v1/grants", body: grant.documentJSON.serialized())
            let now = UInt64(SystemWallClock().now.seconds)
            let change = GrantStatusChange(grantId: grant.digest, status: "frozen", issuedAt: now)
            let byStranger = SignedMessage.sign(change, domain: fixture.domain, with: PrivateKey.random())
            let refused = try await gateway.send(
                .POST, "/v1/grants/\(grant.digest.hex)/status",
                body: #"{"status":"frozen","issuedAt":"\#(now)","signature":"\#(Hex.encode(byStranger.signatureBytes))"}"#)
            #expect(refused.status == 402)
            #expect(try JSONValue.parse(refused.body)["error"]?.stringValue == "pb_grant_signature_invalid")
            #expect(try await gateway.store.grant(grant.digest)?.status == .active)

            let byOwner = SignedMessage.sign(change, domain: fixture.domain, with: fixture.owner)
            let accepted = try await gateway.send(
                .POST, "/v1/grants/\(grant.digest.hex)/status",
                body: #"{"status":"frozen","issuedAt":"\#(now)","signature":"\#(Hex.encode(byOwner.signatureBytes))"}"#)
            #expect(accepted.status == 200, "\(accepted.body)")
            #expect(try await gateway.store.grant(grant.digest)?.status == .frozen)
        }
    }

    @Test func registeringATamperedGrantIsRefusedAndStoresNothing() async throws {
        let fixture = GatewayFixture()
        try await withGateway(fixture: fixture) { gateway in
            let grant = fixture.grant(signer: PrivateKey.random())
            let response = try await gateway.admin(.POST, "/v1/grants", body: grant.documentJSON.serialized())
            #expect(response.status == 402)
            #expect(try JSONValue.parse(response.body)["error"]?.stringValue == "pb_grant_signature_invalid")
            #expect(try await gateway.store.grant(grant.digest) == nil)
            let malformed = try await gateway.admin(.POST, "/v1/grants", body: #"{"typedData": 1}"#)
            #expect(malformed.status == 400)
        }
    }

    @Test func idempotencyKeyReplaysTheFirstResponseAndRefusesADifferentBody() async throws {
        let fixture = GatewayFixture()
        try await withGateway(fixture: fixture) { gateway in
            let body = #"{"name":"ops","role":"merchant"}"#
            let first = try await gateway.admin(.POST, "/v1/api-keys", body: body, headers: [("Idempotency-Key", "k-1")])
            let second = try await gateway.admin(.POST, "/v1/api-keys", body: body, headers: [("Idempotency-Key", "k-1")])
            #expect(first.status == 201)
            #expect(second.status == 201)
            #expect(first.body == second.body)
            #expect(second.headers.first(name: "Idempotent-Replayed") == "true")
            let keys = try JSONValue.parse(try await gateway.admin(.GET, "/v1/api-keys").body)
            #expect(keys["data"]?.arrayValues?.filter { $0["name"]?.stringValue == "ops" }.count == 1)
            let conflict = try await gateway.admin(
                .POST, "/v1/api-keys", body: #"{"name":"other"}"#, headers: [("Idempotency-Key", "k-1")])
            #expect(conflict.status == 409)
            // The new merchant key works, and its secret is not in the key list.
            let secret = try #require(try JSONValue.parse(first.body)["secret"]?.stringValue)
            #expect(!(try await gateway.admin(.GET, "/v1/api-keys").body.contains(secret)))
            #expect(try await gateway.send(.GET, "/v1/grants", headers: [("Authorization", "Bearer \(secret)")]).status == 200)
            // A merchant key cannot create keys.
            let forbidden = try await gateway.send(
                .POST, "/v1/api-keys", headers: [("Authorization", "Bearer \(secret)")], body: body)
            #expect(forbidden.status == 403)
        }
    }

    @Test func servicePriceChangesApplyToTheNextRequest() async throws {
        let fixture = GatewayFixture()
        try await withGateway(fixture: fixture) { gateway in
            let services = try JSONValue.parse(try await gateway.admin(.GET, "/v1/services").body)
            let chat = try #require(services["data"]?.arrayValues?.first)
            #expect(chat["routes"]?.arrayValues?.first?["price"]?.stringValue == "0.01")
            let updated = chat.serialized().replacingOccurrences(of: #""price":"0.01""#, with: #""price":"0.25""#)
            let put = try await gateway.admin(.PUT, "/v1/services/chat", body: updated)
            #expect(put.status == 200, "\(put.body)")
            let offer = try await gateway.send(.POST, "/v1/chat")
            let required = try PaymentHeaderCodec.decode(try #require(offer.headers.first(name: "PAYMENT-REQUIRED")), as: PaymentRequired.self)
            #expect(required.accepts.first?.amount == "250000")
            let badPrice = try await gateway.admin(
                .PUT, "/v1/services/chat", body: updated.replacingOccurrences(of: #""0.25""#, with: #""0.0000001""#))
            #expect(badPrice.status == 400)
            #expect(try await gateway.admin(.DELETE, "/v1/services/chat").status == 204)
            #expect(try await gateway.send(.POST, "/v1/chat").status == 404)
        }
    }

    @Test func metricsCountPaidAndRefusedRequests() async throws {
        let fixture = GatewayFixture()
        try await withGateway(fixture: fixture) { gateway in
            let client = try fixture.client(fixture.grant())
            for _ in 1...3 { _ = try await client.send(method: "POST", url: gateway.url("/v1/chat")) }
            _ = try await gateway.send(.POST, "/v1/chat", headers: [("PAYMENT-SIGNATURE", "%%%")])
            let metrics = try await gateway.send(.GET, "/metrics").body
            #expect(metrics.contains(#"pb_requests_total{outcome="paid"} 3"#))
            #expect(metrics.contains(#"pb_payments_refused_total{code="invalid_payload"} 1"#))
            #expect(metrics.contains("pb_paid_base_units_total 30000"))
            #expect(metrics.contains("pb_charge_duration_seconds_count 3"))
        }
    }
}
