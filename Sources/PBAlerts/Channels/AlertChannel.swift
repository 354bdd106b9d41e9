import PBSentinel

/// Somewhere an alert can be sent: a webhook, an SMTP server, a Telegram chat. The dispatcher retries a throwing
/// `deliver`; channels make one attempt each call, bounded by their own timeout.
public protocol AlertChannel: Sendable {
    /// `webhook`, `email`, `telegram`: the name in the delivery log and the dead-letter list.
    var name: String { get }
    /// Alerts below this severity are not sent on this channel.
    var minimumSeverity: Severity { get }
    /// One attempt; throws `AlertChannelError` (or any error) when the alert was not accepted.
    func deliver(_ alert: Alert) async throws
}

/// Why an attempt failed, in words safe to store and log: never a secret, a token or a password.
public struct AlertChannelError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
