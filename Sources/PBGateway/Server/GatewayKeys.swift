import Logging
import PBCore
import PBCrypto
import PBStore

#if canImport(Glibc)
import Glibc
#endif

/// The gateway's own secrets under the data directory, created on first start.
public enum GatewayKeys {
    /// The key that signs receipts and derives credit-window keys: `<data>/gateway.key` (0600).
    public static func loadOrCreateGatewayKey(dataDirectory: String, logger: Logger) throws -> PrivateKey {
        let path = dataDirectory + "/gateway.key"
        if access(path, F_OK) == 0 { return try KeyFile.read(from: path) }
        let key = PrivateKey.random()
        try KeyFile.write(key, to: path)
        logger.notice("created the gateway key", metadata: ["gateway.address": .string(key.address.checksummed), "path": .string(path)])
        return key
    }

    /// Makes sure an admin API key exists: `PB_ADMIN_KEY` when set (stored hashed), else a new one printed once.
    /// Returns the secret when it was generated now (the caller shows it to the operator exactly once).
    public static func bootstrapAdminKey(store: any GatewayStore, configuredSecret: String?, at time: UnixTime) async throws -> String? {
        if let configuredSecret {
            if try await store.apiKey(secretHash: APIKeySecrets.hash(configuredSecret)) == nil {
                try await store.createAPIKey(try APIKeySecrets.record(forSecret: configuredSecret, name: "admin (PB_ADMIN_KEY)", role: .admin, at: time))
            }
            return nil
        }
        guard try await !store.apiKeys().contains(where: { $0.role == .admin && $0.revokedAt == nil }) else { return nil }
        let (record, secret) = try APIKeySecrets.make(name: "admin (first start)", role: .admin, at: time)
        try await store.createAPIKey(record)
        return secret
    }

    public static func ensureDirectory(_ path: String) throws {
        var status = stat()
        if stat(path, &status) == 0 { return }
        guard mkdir(path, 0o700) == 0 else {
            throw StoreError("cannot create the data directory \(path): \(String(cString: strerror(errno)))")
        }
    }
}
