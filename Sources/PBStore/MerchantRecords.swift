import PBCore
import PBCrypto

/// A priced route of a service: method + path pattern (`*` matches one segment, a trailing `**` the rest).
public struct RouteRecord: Sendable, Hashable, Codable {
    public var method: String
    public var path: String
    /// Price per call in base units (a standard per-call plan); nil with `pricing` nil marks a free path.
    public var priceBaseUnits: UInt128?
    /// A price plan (per token, per second, tiers, peaks, holds); exclusive with `priceBaseUnits`.
    public var pricing: RoutePlan?

    public init(method: String, path: String, priceBaseUnits: UInt128?, pricing: RoutePlan? = nil) {
        self.method = method
        self.path = path
        self.priceBaseUnits = priceBaseUnits
        self.pricing = pricing
    }

    public var isFree: Bool { priceBaseUnits == nil && pricing == nil }
}

/// A merchant's API behind the gateway.
public struct ServiceRecord: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var payee: EthereumAddress
    public var asset: EthereumAddress
    public var assetDecimals: Int
    /// CAIP-2, e.g. `eip155:8453`.
    public var network: String
    /// Reverse-proxy mode: where paid requests go. Nil when the gateway is embedded as middleware.
    public var upstreamURL: String?
    /// Requests under this prefix belong to the service (e.g. `/chat`); routes match the rest of the path.
    public var pathPrefix: String
    public var routes: [RouteRecord]

    public init(
        id: String, name: String, payee: EthereumAddress, asset: EthereumAddress, assetDecimals: Int = 6,
        network: String, upstreamURL: String?, pathPrefix: String, routes: [RouteRecord]
    ) {
        self.id = id
        self.name = name
        self.payee = payee
        self.asset = asset
        self.assetDecimals = assetDecimals
        self.network = network
        self.upstreamURL = upstreamURL
        self.pathPrefix = pathPrefix
        self.routes = routes
    }
}

public enum APIKeyRole: String, Sendable, Hashable, Codable {
    /// Everything, including creating merchant keys.
    case admin
    /// Services, keys and payments of the gateway, and the facilitator endpoints.
    case merchant
}

/// A management API key. Only the SHA-256 of the secret is stored; the secret is shown once at creation.
public struct APIKeyRecord: Sendable, Hashable {
    public let id: String
    public let name: String
    public let role: APIKeyRole
    public let secretHash: Bytes32
    /// The first characters of the secret, to recognise a key in a list without revealing it.
    public let secretPrefix: String
    public let createdAt: UnixTime
    public var revokedAt: UnixTime?

    public init(
        id: String, name: String, role: APIKeyRole, secretHash: Bytes32, secretPrefix: String, createdAt: UnixTime,
        revokedAt: UnixTime? = nil
    ) {
        self.id = id
        self.name = name
        self.role = role
        self.secretHash = secretHash
        self.secretPrefix = secretPrefix
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// A stored POST response, replayed for a repeated `Idempotency-Key`.
public struct IdempotentResponse: Sendable, Hashable {
    public let key: String
    /// SHA-256 of method, path and body: the same key with a different request is a conflict, not a replay.
    public let requestHash: Bytes32
    public let status: Int
    public let body: [UInt8]
    public let createdAt: UnixTime

    public init(key: String, requestHash: Bytes32, status: Int, body: [UInt8], createdAt: UnixTime) {
        self.key = key
        self.requestHash = requestHash
        self.status = status
        self.body = body
        self.createdAt = createdAt
    }
}
