import PBAlerts
import PBSentinel

/// The `alerts:` section (see pb.example.yaml): the dispatcher's bounds and the channels. Secrets are never in the
/// file: each channel names the environment variable holding its secret (`secretEnv`, `passwordEnv`, `tokenEnv`),
/// read by `GatewayConfiguration.applyEnvironment`. `description` shows which secrets are set, never their values.
public struct AlertsConfiguration: Sendable, CustomStringConvertible {
    public struct Webhook: Sendable {
        public var url: String
        public var secretEnvironmentKey = "PB_ALERT_WEBHOOK_SECRET"
        public var secret: String?
        public var minimumSeverity = Severity.low

        public init(url: String) { self.url = url }
    }

    public struct Email: Sendable {
        public var smtp: SMTPSettings
        public var from: String
        public var to: [String]
        public var passwordEnvironmentKey = "PB_ALERT_SMTP_PASSWORD"
        public var minimumSeverity = Severity.low

        public init(smtp: SMTPSettings, from: String, to: [String]) {
            self.smtp = smtp
            self.from = from
            self.to = to
        }
    }

    public struct Telegram: Sendable {
        public var chatId: String
        public var baseURL = TelegramChannel.defaultBaseURL
        public var tokenEnvironmentKey = "PB_ALERT_TELEGRAM_TOKEN"
        public var token: String?
        public var minimumSeverity = Severity.low

        public init(chatId: String) { self.chatId = chatId }
    }

    public var dispatcher = AlertDispatcher.Settings()
    public var webhook: Webhook?
    public var email: Email?
    public var telegram: Telegram?

    public init() {}

    public var description: String {
        var parts = ["queueCapacity=\(dispatcher.queueCapacity)", "maximumAttempts=\(dispatcher.retry.maximumAttempts)"]
        if let webhook { parts.append("webhook=\(webhook.url) secret=\(webhook.secret == nil ? "unset" : "set")") }
        if let email {
            parts.append("email=\(email.smtp.host):\(email.smtp.port) password=\(email.smtp.password == nil ? "unset" : "set")")
        }
        if let telegram { parts.append("telegram chat=\(telegram.chatId) token=\(telegram.token == nil ? "unset" : "set")") }
        return "alerts(" + parts.joined(separator: ", ") + ")"
    }

    /// Fills the secrets from the environment; a configured channel whose secret is missing is an error naming the
    /// variable (its value is never part of a message).
    mutating func applyEnvironment(_ environment: [String: String]) throws(GatewayConfigurationError) {
        func value(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        if var hook = webhook {
            guard let secret = value(hook.secretEnvironmentKey), secret.utf8.count >= 16 else {
                throw GatewayConfigurationError(
                    field: "alerts.webhook.secretEnv", "set \(hook.secretEnvironmentKey) to a secret of at least 16 characters")
            }
            hook.secret = secret
            webhook = hook
        }
        if var mail = email, mail.smtp.username != nil {
            guard let password = value(mail.passwordEnvironmentKey) else {
                throw GatewayConfigurationError(
                    field: "alerts.email.passwordEnv", "set \(mail.passwordEnvironmentKey): a username is configured")
            }
            mail.smtp.password = password
            email = mail
        }
        if var chat = telegram {
            guard let token = value(chat.tokenEnvironmentKey) else {
                throw GatewayConfigurationError(field: "alerts.telegram.tokenEnv", "set \(chat.tokenEnvironmentKey)")
            }
            chat.token = token
            telegram = chat
        }
    }
}
