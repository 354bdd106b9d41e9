import Logging
import PBCore

/// The metering service of the gateway's service group, and its webhook from the environment.
extension GatewayApplication {
    public static let webhookEnvironmentKeys = (url: "PB_WEBHOOK_URL", secret: "PB_WEBHOOK_SECRET")

    /// The ticker and, when `meteringWebhook` is set, the webhook dispatcher, on the gateway's HTTP client.
    public func makeMeteringService(logger: Logger) -> MeteringService {
        let delivery = meteringWebhook.map {
            WebhookDispatcher(store: store, endpoint: $0, httpClient: proxy.httpClient, clock: meter.clock)
        }
        return MeteringService(meter: meter, delivery: delivery, logger: logger)
    }

    /// `PB_WEBHOOK_URL` and `PB_WEBHOOK_SECRET` (only from the environment: a secret stays out of committed files).
    /// Both or neither; the URL must be http(s).
    public static func webhookEndpoint(environment: [String: String]) throws(GatewayConfigurationError) -> WebhookEndpoint? {
        let url = environment[webhookEnvironmentKeys.url].flatMap { $0.isEmpty ? nil : $0 }
        let secret = environment[webhookEnvironmentKeys.secret].flatMap { $0.isEmpty ? nil : $0 }
        switch (url, secret) {
        case (nil, nil): return nil
        case (let url?, let secret?):
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw GatewayConfigurationError(field: webhookEnvironmentKeys.url, "'\(url)' is not an http(s) URL")
            }
            guard secret.utf8.count >= 16 else {
                throw GatewayConfigurationError(field: webhookEnvironmentKeys.secret, "use at least 16 characters")
            }
            return WebhookEndpoint(url: url, secret: secret)
        default:
            throw GatewayConfigurationError(
                field: webhookEnvironmentKeys.url, "set both \(webhookEnvironmentKeys.url) and \(webhookEnvironmentKeys.secret)")
        }
    }
}
