import PBCore

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

extension ResourceInfo: X402JSONDecodable, X402JSONEncodable {
    public init(json: JSONValue, path: String = "") throws(PaymentHeaderError) {
        let reader = try X402ObjectReader(json, path: path)
        self.init(
            url: try reader.string("url"), description: try reader.optionalString("description"),
            mimeType: try reader.optionalString("mimeType"), serviceName: try reader.optionalString("serviceName"),
            tags: try reader.optionalStrings("tags"), iconUrl: try reader.optionalString("iconUrl"))
    }

    public var jsonValue: JSONValue {
        var writer = X402ObjectWriter()
        writer.add("url", url)
        writer.add("description", description)
        writer.add("mimeType", mimeType)
        writer.add("serviceName", serviceName)
        writer.add("tags", tags.map { tags in JSONValue.array(tags.map { .string($0) }) })
        writer.add("iconUrl", iconUrl)
        return writer.object
    }
}
