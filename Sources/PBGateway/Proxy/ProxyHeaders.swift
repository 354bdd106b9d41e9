import Foundation
import HTTPTypes
import NIOHTTP1

/// Header rules of a reverse proxy (RFC 9110 section 7.6.1) plus PB's own: payment credentials stop here.
enum ProxyHeaders {
    /// Meaningful for one connection only, so never forwarded in either direction.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade",
    ]

    /// The upstream must never see payment credentials: it could replay them.
    static let payment: Set<String> = ["payment-signature", "x-payment"]

    /// Host and Content-Length are set by the HTTP client from the URL and body it sends; Expect was answered (or not)
    /// on the client's hop, and the upload to the upstream starts at once.
    static let endAtGateway: Set<String> = ["host", "content-length", "expect"]

    /// Headers beyond this many are dropped rather than copied; Hummingbird already bounds the head size.
    static let maxHeaderCount = 256

    /// Lower-cased names listed in `Connection` headers, which are hop-by-hop for this message too.
    static func namedInConnection(_ values: [String]) -> Set<String> {
        var names: Set<String> = []
        for value in values {
            for name in value.split(separator: ",") {
                names.insert(name.trimmingCharacters(in: .whitespaces).lowercased())
            }
        }
        return names
    }

    static func isHopByHop(_ lowercasedName: String, connectionNames: Set<String>) -> Bool {
        hopByHop.contains(lowercasedName) || lowercasedName.hasPrefix("proxy-") || connectionNames.contains(lowercasedName)
    }

    /// The request headers the upstream receives.
    static func upstreamRequestHeaders(
        from fields: HTTPFields, clientAddress: String?, scheme: String, host: String?
    ) -> HTTPHeaders {
        let connectionNames = namedInConnection(fields[values: .connection])
        var headers = HTTPHeaders()
        var forwardedFor: [String] = []
        for field in fields.prefix(maxHeaderCount) {
            let name = field.name.canonicalName
            if isHopByHop(name, connectionNames: connectionNames) || payment.contains(name)
                || endAtGateway.contains(name)
            {
                continue
            }
            // Earlier proxies' entries are kept and ours appended; Proto and Host describe our hop, so we replace them.
            switch name {
            case "x-forwarded-for": forwardedFor.append(field.value)
            case "x-forwarded-proto", "x-forwarded-host": continue
            default: headers.add(name: field.name.rawName, value: field.value)
            }
        }
        if let clientAddress { forwardedFor.append(clientAddress) }
        if !forwardedFor.isEmpty { headers.add(name: "X-Forwarded-For", value: forwardedFor.joined(separator: ", ")) }
        headers.add(name: "X-Forwarded-Proto", value: scheme)
        if let host { headers.add(name: "X-Forwarded-Host", value: host) }
        return headers
    }

    /// The response headers the client receives.
    static func clientResponseHeaders(from headers: HTTPHeaders) -> HTTPFields {
        let connectionNames = namedInConnection(headers[canonicalForm: "connection"].map(String.init))
        var fields = HTTPFields()
        for (name, value) in headers.prefix(maxHeaderCount) {
            guard !isHopByHop(name.lowercased(), connectionNames: connectionNames),
                let fieldName = HTTPField.Name(name)
            else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return fields
    }
}
