/// The protected resource a `PaymentRequired` or `PaymentPayload` refers to.
///
/// Field set of the Python package's `ResourceInfo`: besides `url`, `description` and `mimeType` it carries the
/// Bazaar service metadata (`serviceName`, `tags`, `iconUrl`), kept so that a round trip loses nothing.
public struct ResourceInfo: Codable, Hashable, Sendable {
    public var url: String
    public var description: String?
    public var mimeType: String?
    public var serviceName: String?
    public var tags: [String]?
    public var iconUrl: String?

    public init(
        url: String, description: String? = nil, mimeType: String? = nil, serviceName: String? = nil,
        tags: [String]? = nil, iconUrl: String? = nil
    ) {
        self.url = url
        self.description = description
        self.mimeType = mimeType
        self.serviceName = serviceName
        self.tags = tags
        self.iconUrl = iconUrl
    }
}
