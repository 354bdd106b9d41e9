import Foundation
import PBSentinel

/// Sends each alert as a plain-text e-mail through `SMTPClient`: subject `[PB alert] [HIGH] <title>`, the alert's
/// text as the body, its id as the Message-ID (a retry is recognisably the same message).
public struct EmailChannel: AlertChannel {
    public let name = "email"
    public let client: SMTPClient
    public let from: String
    public let to: [String]
    public let minimumSeverity: Severity

    public init(client: SMTPClient, from: String, to: [String], minimumSeverity: Severity = .low) {
        self.client = client
        self.from = from
        self.to = to
        self.minimumSeverity = minimumSeverity
    }

    public func message(for alert: Alert) -> SMTPMessage {
        let domain = from.split(separator: "@").last.map(String.init) ?? "pb-gateway"
        return SMTPMessage(
            from: from, to: to, subject: "[PB alert] [\(alert.severity.rawValue.uppercased())] \(alert.title)",
            body: alert.text, messageId: "\(alert.id)@\(domain)",
            date: Date(timeIntervalSince1970: Double(alert.time.milliseconds) / 1000))
    }

    public func deliver(_ alert: Alert) async throws {
        try await client.send(message(for: alert))
    }
}
