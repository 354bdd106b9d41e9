import Foundation
import PBCore
import PBCrypto
import PBEVMRail
import PBStore
import Yams

/// Where the gateway listens.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, with IPv6 hosts in brackets (`[::1]:8402`).
    public init(parsing text: String, field: String) throws(GatewayConfigurationError) {
        guard let colon = text.lastIndex(of: ":") else {
            throw GatewayConfigurationError(field: field, "'\(text)' is not host:port")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]) else {
            throw GatewayConfigurationError(field: field, "'\(text)' is not host:port")
        }
        self.init(host: host, port: port)
        try validate(field: field)
    }

    func validate(field: String) throws(GatewayConfigurationError) {
        guard !host.isEmpty, !host.contains(where: \.isWhitespace) else {
            throw GatewayConfigurationError(field: field, "host '\(host)' is empty or contains spaces")
        }
        // Port 0 asks the system for a free port, which tests use.
        guard (0...65535).contains(port) else {
            throw GatewayConfigurationError(field: field, "port \(port) is outside 0...65535")
        }
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Everything the gateway reads at start-up: `pb.yaml` (see `pb.example.yaml`) with environment overrides.
public struct GatewayConfiguration: Sendable {
    public var listen = ListenAddress(host: "127.0.0.1", port: 8402)
    public var dataDirectory = "./.pb-data"
    /// Only from `PB_ADMIN_KEY`: secrets stay out of files that get committed.
    public var adminKey: String?
    public var chainId: UInt64 = 8453
    public var verifyingContract = GatewayConfiguration.zeroAddress
    public var quoteTTLSeconds = 60
    /// Whole tokens, as a decimal string; convert with `maxWindowCreditBaseUnits(decimals:)`.
    public var maxWindowCredit = "1"
    public var upstreamTimeoutSeconds = 30
    /// Connections kept open to each upstream host; requests beyond them wait (within the timeout) for one.
    public var upstreamMaxConnections = UpstreamProxy.defaultMaxConnectionsPerHost
    public var maxRequestBodyBytes = 10 * 1024 * 1024
    public var services: [ServiceRecord] = []
    /// Sentinel, the risk engine: on by default with the default rules.
    public var sentinel = SentinelConfiguration()
    /// The alert dispatcher and its channels (`alerts:`); secrets come from the environment.
    public var alerts = AlertsConfiguration()
    /// The settlement worker and its rail (docs/SETTLEMENT.md).
    public var settlement = SettlementConfiguration()
    /// The EVM rail's chain, node, contract, token and key file (`evm:`); nil when the gateway has no chain rail.
    public var evm: EVMRailConfiguration?

    /// The verifying contract when none is deployed: signatures still bind chain id and gateway.
    public static let zeroAddress: EthereumAddress = {
        // Twenty bytes is exactly an address, so this cannot fail.
        try! EthereumAddress(bytes: [UInt8](repeating: 0, count: 20))
    }()

    /// A configuration file larger than this is a mistake, not a configuration.
    public static let maxFileBytes = 1024 * 1024
    public static let environmentKeys = (
        listen: "PB_LISTEN", dataDirectory: "PB_DATA_DIR", adminKey: "PB_ADMIN_KEY", configPath: "PB_CONFIG"
    )

    /// The defaults, with no services.
    public init() {}

    /// Reads YAML text and then applies the environment overrides.
    public init(yaml: String, environment: [String: String] = [:]) throws(GatewayConfigurationError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw GatewayConfigurationError(field: "", "not valid YAML: \(error)")
        }
        if let root { try read(root) }
        try applyEnvironment(environment)
        try validate()
    }

    /// Loads the file named by `PB_CONFIG`, else `defaultPath` if it exists, else the defaults; then the overrides.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment, defaultPath: String = "pb.yaml"
    ) throws(GatewayConfigurationError) -> GatewayConfiguration {
        let explicitPath = environment[environmentKeys.configPath]
        let path = explicitPath ?? defaultPath
        guard explicitPath != nil || FileManager.default.fileExists(atPath: path) else {
            var configuration = GatewayConfiguration()
            try configuration.applyEnvironment(environment)
            try configuration.validate()
            return configuration
        }
        return try GatewayConfiguration(yaml: readFile(path), environment: environment)
    }

    static func readFile(_ path: String) throws(GatewayConfigurationError) -> String {
        let field = environmentKeys.configPath
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw GatewayConfigurationError(field: field, "cannot open '\(path)'")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxFileBytes + 1) ?? Data()
        } catch {
            throw GatewayConfigurationError(field: field, "cannot read '\(path)': \(error)")
        }
        guard data.count <= maxFileBytes else {
            throw GatewayConfigurationError(field: field, "'\(path)' is larger than \(maxFileBytes) bytes")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw GatewayConfigurationError(field: field, "'\(path)' is not UTF-8")
        }
        return text
    }

    /// Base units of `maxWindowCredit` for an asset with `decimals` decimals, converted exactly.
    public func maxWindowCreditBaseUnits(decimals: Int) throws(GatewayConfigurationError) -> UInt128 {
        try ServiceConfigurationReader.parseAmount(maxWindowCredit, decimals: decimals, field: "maxWindowCredit")
            .baseUnits
    }

    private mutating func read(_ root: Node) throws(GatewayConfigurationError) {
        var fields = try ConfigurationNode(root, path: "")
        if var listenFields = try fields.mapping("listen") {
            listen.host = try listenFields.string("host") ?? listen.host
            listen.port = try listenFields.integer("port", in: 0...65535) ?? listen.port
            try listenFields.rejectUnknownKeys()
        }
        dataDirectory = try fields.string("dataDirectory") ?? dataDirectory
        if let text = try fields.string("chainId") {
            guard let value = UInt64(text), value > 0 else {
                throw GatewayConfigurationError(field: "chainId", "'\(text)' is not a positive chain id")
            }
            chainId = value
        }
        if let text = try fields.string("verifyingContract") {
            verifyingContract = try ServiceConfigurationReader.address(text, field: "verifyingContract")
        }
        quoteTTLSeconds = try fields.integer("quoteTTLSeconds", in: 1...86_400) ?? quoteTTLSeconds
        maxWindowCredit = try fields.string("maxWindowCredit") ?? maxWindowCredit
        upstreamTimeoutSeconds = try fields.integer("upstreamTimeoutSeconds", in: 1...3_600) ?? upstreamTimeoutSeconds
        upstreamMaxConnections = try fields.integer("upstreamMaxConnections", in: 1...4_096) ?? upstreamMaxConnections
        maxRequestBodyBytes = try fields.integer("maxRequestBodyBytes", in: 0...(1 << 32)) ?? maxRequestBodyBytes
        if var alertFields = try fields.mapping("alerts") { alerts = try AlertsConfigurationReader.read(&alertFields) }
        if var settlementFields = try fields.mapping("settlement") { try settlement.read(&settlementFields) }
        if var evmFields = try fields.mapping(EVMRailConfiguration.section) {
            let values = try evmFields.scalarFields()
            do { evm = try EVMRailConfiguration(fields: values) } catch {
                throw GatewayConfigurationError(field: error.field, error.message)
            }
        }
        services = []
        for item in try fields.list("services") {
            services.append(try ServiceConfigurationReader.read(item.node, path: item.path))
        }
        if let node = fields.node("sentinel") { sentinel = try SentinelConfiguration(node, path: "sentinel") }
        try fields.rejectUnknownKeys()
    }

    mutating func applyEnvironment(_ environment: [String: String]) throws(GatewayConfigurationError) {
        if let text = environment[Self.environmentKeys.listen] {
            listen = try ListenAddress(parsing: text, field: Self.environmentKeys.listen)
        }
        if let text = environment[Self.environmentKeys.dataDirectory] { dataDirectory = text }
        if let text = environment[Self.environmentKeys.adminKey], !text.isEmpty { adminKey = text }
        try alerts.applyEnvironment(environment)
        settlement.faultInjection = try SettlementFaultInjection.from(environment: environment)
    }

    /// Checks that span fields: unique ids and prefixes, and a window credit every asset can express.
    func validate() throws(GatewayConfigurationError) {
        try listen.validate(field: "listen")
        guard !dataDirectory.isEmpty else { throw GatewayConfigurationError(field: "dataDirectory", "is empty") }
        var ids: Set<String> = []
        var prefixes: Set<String> = []
        for (index, service) in services.enumerated() {
            guard ids.insert(service.id).inserted else {
                throw GatewayConfigurationError(field: "services[\(index)].id", "duplicate service id '\(service.id)'")
            }
            guard prefixes.insert(service.pathPrefix).inserted else {
                throw GatewayConfigurationError(
                    field: "services[\(index)].pathPrefix", "'\(service.pathPrefix)' is used by another service")
            }
        }
        let decimalsInUse = Set(services.map(\.assetDecimals)).union([ServiceConfigurationReader.defaultDecimals])
        for decimals in decimalsInUse.sorted() {
            _ = try maxWindowCreditBaseUnits(decimals: decimals)
        }
        _ = try settlement.settings(services: services)
    }
}
