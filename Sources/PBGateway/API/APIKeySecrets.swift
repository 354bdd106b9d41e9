import PBCore
import PBCrypto
import PBStore

/// Management API secrets: `pbk_` + 64 hex digits, shown once; the store keeps only their SHA-256.
public enum APIKeySecrets {
    public static let prefix = "pbk_"

    /// A new key record and its secret; the secret is not kept anywhere.
    public static func make(name: String, role: APIKeyRole, at time: UnixTime) throws -> (record: APIKeyRecord, secret: String) {
        let secret = prefix + Hex.encode(Bytes32.random().bytes, prefix: false)
        let record = APIKeyRecord(
            id: try Identifier.make(prefix: "key").description, name: name, role: role, secretHash: hash(secret),
            secretPrefix: String(secret.prefix(prefix.count + 6)), createdAt: time)
        return (record, secret)
    }

    /// A record for a secret chosen by the operator (e.g. `PB_ADMIN_KEY`).
    public static func record(forSecret secret: String, name: String, role: APIKeyRole, at time: UnixTime) throws -> APIKeyRecord {
        APIKeyRecord(
            id: try Identifier.make(prefix: "key").description, name: name, role: role, secretHash: hash(secret),
            secretPrefix: String(secret.prefix(prefix.count + 6)), createdAt: time)
    }

    public static func hash(_ secret: String) -> Bytes32 {
        Bytes32(unchecked: SHA256Functions.hash(Array(secret.utf8)))
    }
}
