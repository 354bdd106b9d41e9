import AsyncHTTPClient
import Logging
import PBAlerts
import PBCore
import PBStore

extension AlertsConfiguration {
    /// The configured channels, in the order webhook, e-mail, Telegram; webhooks and Telegram on `httpClient`.
    public func makeChannels(httpClient: HTTPClient, clock: any WallClock) -> [any AlertChannel] {
        var channels: [any AlertChannel] = []
        if let webhook, let secret = webhook.secret {
            channels.append(
                WebhookChannel(
                    url: webhook.url, secret: secret, minimumSeverity: webhook.minimumSeverity, httpClient: httpClient,
                    clock: clock))
        }
        if let email {
            channels.append(
                EmailChannel(client: SMTPClient(settings: email.smtp), from: email.from, to: email.to, minimumSeverity: email.minimumSeverity))
        }
        if let telegram, let token = telegram.token {
            channels.append(
                TelegramChannel(
                    token: token, chatId: telegram.chatId, baseURL: telegram.baseURL,
                    minimumSeverity: telegram.minimumSeverity, httpClient: httpClient))
        }
        return channels
    }
}

extension GatewayApplication {
    /// The dispatcher of `configuration.alerts`, on the gateway's HTTP client, store and clock.
    static func makeAlertDispatcher(
        configuration: GatewayConfiguration, store: any GatewayStore, httpClient: HTTPClient, clock: any WallClock
    ) -> AlertDispatcher {
        AlertDispatcher(
            channels: configuration.alerts.makeChannels(httpClient: httpClient, clock: clock), store: store,
            settings: configuration.alerts.dispatcher, clock: clock, logger: Logger(label: "pb.alerts"))
    }
}
