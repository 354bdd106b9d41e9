import PBCore
import PBProtocol
import PBStore

/// The management API's JSON for stored records: money both as a decimal string and in base units.
enum RecordJSON {
    static func grant(_ record: GrantRecord, decimals: Int) -> JSONValue {
        let grant = record.grant
        return .object([
            ("grantId", .string(record.grantId.hex)),
            ("status", .string(record.status.rawValue)),
            ("statusReason", record.statusReason.map { .string($0) } ?? .null),
            ("owner", .string(grant.owner.checksummed)),
            ("sessionKey", .string(grant.sessionKey.checksummed)),
            ("asset", .string(grant.asset.checksummed)),
            ("payees", .array(grant.payees.map { .string($0.checksummed) })),
            ("services", .array(grant.services.map { .string($0) })),
            ("totalLimit", JSONBodies.money(grant.totalLimit, decimals: decimals)),
            ("spent", JSONBodies.money(record.spent, decimals: decimals)),
            ("remaining", JSONBodies.money(record.remaining, decimals: decimals)),
            ("totalLimitBaseUnits", .string(String(grant.totalLimit))),
            ("spentBaseUnits", .string(String(record.spent))),
            ("remainingBaseUnits", .string(String(record.remaining))),
            ("perPaymentLimit", JSONBodies.money(grant.perPaymentLimit, decimals: decimals)),
            ("validAfter", .string(String(grant.validAfter))),
            ("validUntil", .string(String(grant.validUntil))),
            ("registeredAt", .string(String(record.registeredAt.seconds))),
            ("updatedAt", .string(String(record.updatedAt.seconds))),
        ])
    }

    static func payment(_ record: PaymentRecord, decimals: Int) -> JSONValue {
        let receipt = record.receipt
        return .object([
            ("receiptId", .string(receipt.receiptId.hex)),
            ("grantId", .string(receipt.grantId.hex)),
            ("payee", .string(receipt.payee.checksummed)),
            ("service", .string(record.service)),
            ("method", .string(record.method)),
            ("target", .string(record.target)),
            ("status", .string(record.status.rawValue)),
            ("amount", JSONBodies.money(receipt.amount, decimals: decimals)),
            ("amountBaseUnits", .string(String(receipt.amount))),
            ("chargedCumulativeAmount", .string(String(receipt.chargedCumulativeAmount))),
            ("remainingLimit", .string(String(receipt.remainingLimit))),
            ("sequence", .string(String(receipt.sequence))),
            ("callIndex", .string(String(receipt.callIndex))),
            ("createdAt", .string(String(record.createdAt.seconds))),
        ])
    }

    static func apiKey(_ record: APIKeyRecord) -> JSONValue {
        .object([
            ("id", .string(record.id)), ("name", .string(record.name)), ("role", .string(record.role.rawValue)),
            ("secretPrefix", .string(record.secretPrefix)), ("createdAt", .string(String(record.createdAt.seconds))),
            ("revoked", .bool(record.revokedAt != nil)),
        ])
    }
}
