import PBAlerts
import PBSentinel
import Yams

/// Reads the `alerts:` mapping into `AlertsConfiguration`, naming the field of every mistake.
enum AlertsConfigurationReader {
    static func read(_ fields: inout ConfigurationNode) throws(GatewayConfigurationError) -> AlertsConfiguration {
        var alerts = AlertsConfiguration()
        var settings = AlertDispatcher.Settings()
        settings.queueCapacity = try fields.integer("queueCapacity", in: 1...100_000) ?? settings.queueCapacity
        if let text = try fields.string("overflow") {
            guard let overflow = AlertDispatcher.Overflow(rawValue: text) else {
                throw GatewayConfigurationError(field: fields.fieldPath("overflow"), "'\(text)' is not dropNewest or dropOldest")
            }
            settings.overflow = overflow
        }
        let attempts = try fields.integer("maximumAttempts", in: RetryPolicy.attemptsRange) ?? 5
        let first = try fields.integer("firstRetrySeconds", in: 1...3_600) ?? 2
        let longest = try fields.integer("maximumRetrySeconds", in: first...86_400) ?? max(300, first)
        settings.retry = RetryPolicy(maximumAttempts: attempts, firstDelay: .seconds(first), maximumDelay: .seconds(longest))
        settings.maximumConcurrentAlerts = try fields.integer("maximumConcurrentAlerts", in: 1...256) ?? 8
        settings.drainTime = .seconds(try fields.integer("shutdownDrainSeconds", in: 0...600) ?? 10)
        alerts.dispatcher = settings
        if var node = try fields.mapping("webhook") {
            var hook = AlertsConfiguration.Webhook(url: try httpURL(&node, "url"))
            hook.secretEnvironmentKey = try node.string("secretEnv") ?? hook.secretEnvironmentKey
            hook.minimumSeverity = try severity(&node)
            try node.rejectUnknownKeys()
            alerts.webhook = hook
        }
        if var node = try fields.mapping("email") {
            alerts.email = try email(&node)
        }
        if var node = try fields.mapping("telegram") {
            var chat = AlertsConfiguration.Telegram(chatId: try node.requiredString("chatId"))
            if try node.string("baseURL") != nil { chat.baseURL = try httpURL(&node, "baseURL") }
            chat.tokenEnvironmentKey = try node.string("tokenEnv") ?? chat.tokenEnvironmentKey
            chat.minimumSeverity = try severity(&node)
            try node.rejectUnknownKeys()
            alerts.telegram = chat
        }
        try fields.rejectUnknownKeys()
        return alerts
    }

    static func email(_ node: inout ConfigurationNode) throws(GatewayConfigurationError) -> AlertsConfiguration.Email {
        var smtp = SMTPSettings(host: try node.requiredString("host"), port: try node.integer("port", in: 1...65535) ?? 587)
        smtp.startTLS = try node.boolean("startTLS") ?? false
        smtp.trustedCertificatePath = try node.string("trustedCertificateFile")
        smtp.username = try node.string("username")
        smtp.allowsPlaintextAuthentication = try node.boolean("allowPlaintextAuth") ?? false
        smtp.timeoutSeconds = Int64(try node.integer("timeoutSeconds", in: 1...600) ?? 30)
        let from = try address(try node.requiredString("from"), field: node.fieldPath("from"))
        var recipients: [String] = []
        for item in try node.list("to") {
            guard let text = item.node.scalar?.string else {
                throw GatewayConfigurationError(field: item.path, "expected an e-mail address")
            }
            recipients.append(try address(text, field: item.path))
        }
        guard !recipients.isEmpty, recipients.count <= 50 else {
            throw GatewayConfigurationError(field: node.fieldPath("to"), "list 1 to 50 recipients")
        }
        var email = AlertsConfiguration.Email(smtp: smtp, from: from, to: recipients)
        email.passwordEnvironmentKey = try node.string("passwordEnv") ?? email.passwordEnvironmentKey
        email.minimumSeverity = try severity(&node)
        try node.rejectUnknownKeys()
        return email
    }

    static func severity(_ node: inout ConfigurationNode) throws(GatewayConfigurationError) -> Severity {
        guard let text = try node.string("minimumSeverity") else { return .low }
        guard let severity = Severity(rawValue: text) else {
            throw GatewayConfigurationError(
                field: node.fieldPath("minimumSeverity"), "'\(text)' is not low, medium, high or critical")
        }
        return severity
    }

    static func httpURL(_ node: inout ConfigurationNode, _ key: String) throws(GatewayConfigurationError) -> String {
        let url = try node.requiredString(key)
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), !url.contains(where: \.isWhitespace) else {
            throw GatewayConfigurationError(field: node.fieldPath(key), "'\(url)' is not an http(s) URL")
        }
        return url
    }

    /// A plain `local@domain`; SMTP commands and headers are built from it, so no spaces, brackets or line breaks.
    static func address(_ text: String, field: String) throws(GatewayConfigurationError) -> String {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        let forbidden = Set("<>\r\n\t ,;:\"")
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !text.contains(where: forbidden.contains) else {
            throw GatewayConfigurationError(field: field, "'\(text)' is not an e-mail address")
        }
        return text
    }
}
