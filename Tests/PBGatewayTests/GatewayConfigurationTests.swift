import PBTestSupport
import Foundation
import PBStore
import Testing

@testable import PBGateway

@Suite struct GatewayConfigurationTests {
    static let packageRoot = RepositoryFiles.root

    static let minimalService = """
        services:
          - id: chat
            payee: "0x1111111111111111111111111111111111111111"
            asset: "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"
            pathPrefix: /chat
            routes:
              - { method: post, path: /completions, price: "0.01" }
        """

    @Test func exampleFileLoads() throws {
        let path = Self.packageRoot.appendingPathComponent("pb.example.yaml").path
        let configuration = try GatewayConfiguration.load(environment: ["PB_CONFIG": path])
        #expect(configuration.listen == ListenAddress(host: "127.0.0.1", port: 8402))
        #expect(configuration.chainId == 8453)
        #expect(configuration.maxRequestBodyBytes == 10 * 1024 * 1024)
        let service = try #require(configuration.services.first)
        #expect(service.id == "chat")
        #expect(service.upstreamURL == "http://127.0.0.1:9000")
        #expect(service.routes.count == 5)
        #expect(service.routes[0] == RouteRecord(method: "POST", path: "/completions", priceBaseUnits: 10_000))
        #expect(service.routes[1].priceBaseUnits == 1)
        #expect(service.routes[2].priceBaseUnits == nil)
        #expect(service.routes[4] == RouteRecord(method: "*", path: "/docs/**", priceBaseUnits: nil))
        #expect(try configuration.maxWindowCreditBaseUnits(decimals: 6) == 1_000_000)
        // The plan examples: per call, per token with a hold, per dimension, per second with a peak window.
        let llm = try #require(configuration.services.last)
        #expect(llm.routes.map { $0.pricing != nil } == [true, true, true, true])
        #expect(llm.routes[1].pricing?.hold == ["input_tokens": 4_000, "output_tokens": 1_000])
        #expect(llm.routes[2].pricing?.dimensions == ["model": DimensionSource(header: "X-Model")])
        #expect(llm.routes[3].pricing?.plan.peakWindows?.first?.multiplier == "2")
    }

    @Test func defaultsWithoutAFile() throws {
        let configuration = try GatewayConfiguration.load(environment: [:], defaultPath: "/nonexistent/pb.yaml")
        #expect(configuration.listen.description == "127.0.0.1:8402")
        #expect(configuration.dataDirectory == "./.pb-data")
        #expect(configuration.verifyingContract == GatewayConfiguration.zeroAddress)
        #expect(configuration.quoteTTLSeconds == 60)
        #expect(configuration.maxWindowCredit == "1")
        #expect(configuration.upstreamTimeoutSeconds == 30)
        #expect(configuration.upstreamMaxConnections == 128)
        #expect(configuration.services.isEmpty)
    }

    @Test func environmentOverridesTheFile() throws {
        let configuration = try GatewayConfiguration(
            yaml: "listen: { host: 127.0.0.1, port: 9 }\ndataDirectory: /a\n",
            environment: ["PB_LISTEN": "[::1]:8500", "PB_DATA_DIR": "/b", "PB_ADMIN_KEY": "secret"])
        #expect(configuration.listen == ListenAddress(host: "::1", port: 8500))
        #expect(configuration.listen.description == "[::1]:8500")
        #expect(configuration.dataDirectory == "/b")
        #expect(configuration.adminKey == "secret")
    }

    @Test func missingExplicitFileIsAnError() {
        #expect(throws: GatewayConfigurationError.self) {
            try GatewayConfiguration.load(environment: ["PB_CONFIG": "/nonexistent/pb.yaml"])
        }
    }

    @Test func unquotedPriceIsReadExactly() throws {
        let yaml = Self.minimalService.replacingOccurrences(of: "\"0.01\"", with: "0.30000000000000004")
        let error = #expect(throws: GatewayConfigurationError.self) { try GatewayConfiguration(yaml: yaml) }
        #expect(error?.field == "services[0].routes[0].price")
        let exact = Self.minimalService.replacingOccurrences(of: "\"0.01\"", with: "0.3")
        #expect(try GatewayConfiguration(yaml: exact).services[0].routes[0].priceBaseUnits == 300_000)
    }

    @Test(arguments: [
        ("payee: \"0x1111111111111111111111111111111111111111\"", "payee: \"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD\"",
         "services[0].payee"),
        ("pathPrefix: /chat", "pathPrefix: chat", "services[0].pathPrefix"),
        ("pathPrefix: /chat", "pathPrefix: /chat\n    upstream: ftp://example.com", "services[0].upstream"),
        ("pathPrefix: /chat", "pathPrefix: /chat\n    upstrem: http://example.com", "services[0].upstrem"),
        ("price: \"0.01\"", "price: \"0.0000001\"", "services[0].routes[0].price"),
        ("price: \"0.01\"", "price: \"1e-2\"", "services[0].routes[0].price"),
        ("price: \"0.01\"", "price: \"0\"", "services[0].routes[0].price"),
        ("price: \"0.01\"", "price: \"0.01\", free: true", "services[0].routes[0]"),
        ("price: \"0.01\"", "free: false", "services[0].routes[0]"),
        ("path: /completions", "path: /a/**/b", "services[0].routes[0].path"),
        ("method: post", "method: \"G T\"", "services[0].routes[0].method"),
        ("pathPrefix: /chat", "pathPrefix: /chat\n    network: base", "services[0].network"),
        ("pathPrefix: /chat", "pathPrefix: /chat\n    decimals: 40", "services[0].decimals"),
    ])
    func invalidFieldsAreNamed(original: String, replacement: String, field: String) {
        let yaml = Self.minimalService.replacingOccurrences(of: original, with: replacement)
        #expect(yaml != Self.minimalService)
        let error = #expect(throws: GatewayConfigurationError.self) { try GatewayConfiguration(yaml: yaml) }
        #expect(error?.field == field)
    }

    @Test func topLevelProblemsAreNamed() {
        let cases: [(String, String)] = [
            ("listen: { host: 127.0.0.1, port: 70000 }", "listen.port"),
            ("verifyingContract: \"0xABC\"", "verifyingContract"),
            ("maxWindowCredit: \"0.0000001\"", "maxWindowCredit"),
            ("upstreamTimeoutSeconds: soon", "upstreamTimeoutSeconds"),
            ("upstreamMaxConnections: 0", "upstreamMaxConnections"),
            ("servics: []", "servics"),
            ("chainId: 0", "chainId"),
        ]
        for (yaml, field) in cases {
            let error = #expect(throws: GatewayConfigurationError.self, "\(yaml)") {
                try GatewayConfiguration(yaml: yaml)
            }
            #expect(error?.field == field, "\(yaml)")
        }
        let badListen = #expect(throws: GatewayConfigurationError.self) {
            try GatewayConfiguration(yaml: "", environment: ["PB_LISTEN": "localhost"])
        }
        #expect(badListen?.field == "PB_LISTEN")
    }

    /// The minimal service again, as a second list item, with `edit` applied.
    static func withSecondService(_ edit: (String) -> String) -> String {
        minimalService + "\n" + edit(minimalService.split(separator: "\n").dropFirst().joined(separator: "\n"))
    }

    @Test func duplicateServiceIdIsRejected() {
        let yaml = Self.withSecondService { $0.replacingOccurrences(of: "/chat", with: "/other") }
        let error = #expect(throws: GatewayConfigurationError.self) { try GatewayConfiguration(yaml: yaml) }
        #expect(error?.field == "services[1].id")
        #expect(error?.description.contains("duplicate service id 'chat'") == true)
    }

    @Test func duplicatePrefixIsRejected() {
        let yaml = Self.withSecondService { $0.replacingOccurrences(of: "id: chat", with: "id: chat2") }
        let error = #expect(throws: GatewayConfigurationError.self) { try GatewayConfiguration(yaml: yaml) }
        #expect(error?.field == "services[1].pathPrefix")
    }

    @Test func invalidYAMLIsReported() {
        let error = #expect(throws: GatewayConfigurationError.self) { try GatewayConfiguration(yaml: "a: [1, 2") }
        #expect(error?.field == "")
    }

    @Test func sentinelSectionSwitchesAndSetsThePolicy() throws {
        #expect(try GatewayConfiguration(yaml: "").sentinel.enabled)
        #expect(try GatewayConfiguration(yaml: "").sentinel.policy == nil, "no section: the defaults (or a stored policy)")
        let configuration = try GatewayConfiguration(yaml: """
            sentinel:
              enabled: false
              snapshotIntervalSeconds: 5
              rules:
                - id: big
                  message: too big
                  when: [{amount: {above: "5"}}]
                  action: block
                  severity: medium
            """)
        #expect(!configuration.sentinel.enabled)
        #expect(configuration.sentinel.snapshotIntervalSeconds == 5)
        #expect(configuration.sentinel.policy?.rules.map(\.id) == ["big"])
        let example = try GatewayConfiguration.load(
            environment: ["PB_CONFIG": Self.packageRoot.appendingPathComponent("pb.example.yaml").path])
        #expect(example.sentinel.enabled && example.sentinel.policy == nil)
    }

    @Test func sentinelProblemsNameTheirField() {
        let cases: [(String, String)] = [
            ("sentinel: {enabled: maybe}", "sentinel.enabled"),
            ("sentinel: {snapshotIntervalSeconds: 0}", "sentinel.snapshotIntervalSeconds"),
            ("sentinel: {rulez: []}", "sentinel.rulez"),
            ("sentinel: {rules: [{id: r, when: [{calls: {window: 90s, above: 3}}], action: freeze, severity: high}]}",
             "sentinel.rules[0].when[0].calls.window"),
            ("sentinel: {rules: [{id: r, when: [], severity: high}]}", "sentinel.rules[0].action"),
        ]
        for (yaml, field) in cases {
            let error = #expect(throws: GatewayConfigurationError.self, "\(yaml)") { try GatewayConfiguration(yaml: yaml) }
            #expect(error?.field == field, "\(yaml): \(String(describing: error))")
        }
    }
}
