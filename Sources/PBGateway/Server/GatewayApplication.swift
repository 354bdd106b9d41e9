import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import Logging
import PBAlerts
import PBCore
import PBCrypto
import PBGuard
import PBProtocol
import PBSentinel
import PBSettlement
import PBStore
import ServiceLifecycle

/// Builds the gateway: management and facilitator APIs, `/metrics`, and every other path through the payment gate
/// into the reverse proxy.
public struct GatewayApplication: Sendable {
    public let configuration: GatewayConfiguration
    public let store: any GatewayStore
    public let processor: PaymentProcessor
    public let catalog: ServiceCatalog
    public let metrics: GatewayMetrics
    public let proxy: UpstreamProxy
    /// Stream sessions and prepaid accounts on the gateway's clock (docs/METERING.md).
    public let meter: Meter
    /// Where metering events are POSTed (`PB_WEBHOOK_URL`, `PB_WEBHOOK_SECRET`); nil keeps them listable only.
    public var meteringWebhook: WebhookEndpoint?
    /// Sentinel's background half: stores its events, hands them to the alert sink, saves the engine's snapshot.
    public let sentinel: SentinelService
    /// Sentinel on the payment path (switched on or off by the config's `sentinel.enabled` or `PUT /v1/sentinel/rules`).
    public let riskGate: PaymentRiskGate
    /// Sends alerts to the channels of `alerts:` (docs/SENTINEL.md, "Alerts"); runs in the server's ServiceGroup.
    /// Anything on the payment path hands it alerts with `alerts.submit(Alert(event))`, which never waits.
    public let alerts: AlertDispatcher

    /// Settles accumulated charges on the configured rail; nil with `settlement.rail: none` (docs/SETTLEMENT.md).
    public let settlementWorker: SettlementWorker?

    /// `sentinelAlertSink` receives every Sentinel event (rule firings are the alerts), off the payment path; rule
    /// firings and freezes also go to the alert channels of `alerts:`. `settlementRail` is the rail for
    /// `settlement.rail: evm` (built by the caller from its chain settings); the ledger rail is built here over `store`.
    public init(
        configuration: GatewayConfiguration, store: any GatewayStore, gatewayKey: PrivateKey,
        clock: any WallClock = SystemWallClock(), httpClient: HTTPClient,
        sentinelAlertSink: any SentinelAlertSink = LoggingSentinelAlertSink(),
        settlementRail: (any SettlementRail)? = nil, logger: Logger = Logger(label: "pb.settlement")
    ) throws {
        self.configuration = configuration
        self.store = store
        let decimals = configuration.services.first?.assetDecimals ?? 6
        let alerts = Self.makeAlertDispatcher(configuration: configuration, store: store, httpClient: httpClient, clock: clock)
        self.alerts = alerts
        sentinel = SentinelService(
            engine: RiskEngine(policy: configuration.sentinel.policy ?? .standard), store: store,
            sink: AlertingSentinelSink(next: sentinelAlertSink, dispatcher: alerts),
            snapshotIntervalSeconds: configuration.sentinel.snapshotIntervalSeconds, clock: clock)
        riskGate = PaymentRiskGate(engine: sentinel.engine, isEnabled: configuration.sentinel.enabled, events: sentinel)
        processor = PaymentProcessor(
            store: store, gatewayKey: gatewayKey,
            domain: PBSessionDomain.make(chainId: configuration.chainId, verifyingContract: configuration.verifyingContract),
            clock: clock, quoteTTLSeconds: UInt64(configuration.quoteTTLSeconds),
            maxWindowCredit: try configuration.maxWindowCreditBaseUnits(decimals: decimals), risk: riskGate)
        catalog = ServiceCatalog(store: store)
        metrics = GatewayMetrics()
        proxy = UpstreamProxy(httpClient: httpClient, configuration: configuration)
        let settlementWorker = try Self.makeSettlementWorker(
            configuration: configuration, store: store, rail: settlementRail, clock: clock, logger: logger)
        self.settlementWorker = settlementWorker
        meter = Meter(store: store, clock: clock, grantSessionStopped: settlementWorker.map { $0.sessionStopped(on:) })
    }

    /// Stores the configured services (the file wins over earlier API edits of the same id) and loads the catalog;
    /// restores Sentinel's saved state and, unless the file names a policy (which wins, like services), the policy
    /// last put through `/v1/sentinel/rules`. Call once, before serving.
    public func applyConfiguredServices() async throws {
        for service in configuration.services { try await store.upsertService(service) }
        try await catalog.reload()
        try await sentinel.restoreSnapshot()
        if configuration.sentinel.policy == nil, let stored = try await store.sentinelPolicy() {
            riskGate.engine.replacePolicy(try SentinelPolicy(config: stored))
        }
    }

    /// Paths the gateway answers itself; every other path belongs to the merchant's API behind the payment gate.
    /// (Hummingbird's trie does not backtrack from `/v1/…` literals to a catch-all, so the split is made up front.)
    public static let ownPathPrefixes = [
        "/v1/health", "/v1/grants", "/v1/payments", "/v1/services", "/v1/api-keys", "/v1/quote", "/v1/verify",
        "/v1/settle", "/v1/supported", "/metrics", "/v1/accounts", "/v1/meter-sessions", "/v1/metering-events",
        "/v1/sentinel",
        "/v1/alerts",
    ]

    /// The gateway's own API: management, facilitator and metrics.
    public func makeOwnRouter() -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        ManagementAPI(
            processor: processor, onServicesChanged: { [catalog] in try await catalog.reload() },
            onRatesChanged: { [catalog] in try await catalog.reloadRates() }, metrics: metrics
        ).register(on: router)
        FacilitatorAPI(processor: processor, pricing: catalog).register(on: router)
        let merchant = router.group("/v1").add(middleware: APIKeyAuthenticator(store: store))
        MeteringAPI(store: store, meter: meter, processor: processor).register(on: merchant)
        SentinelAPI(gate: riskGate, store: store, clock: meter.clock).register(
            on: merchant, admin: router.group("/v1").add(middleware: APIKeyAuthenticator(store: store, minimumRole: .admin)))
        AlertsAPI(store: store, dispatcher: alerts, clock: meter.clock).register(on: merchant)
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        return router
    }

    /// Everything else: the payment gate, then the reverse proxy to the service's upstream.
    public func makeGateRouter(publicBaseURL: String) -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        router.add(
            middleware: PBStreamMiddleware<GatewayRequestContext>(
                processor: processor, pricing: catalog, unknownRoutes: .refuse, publicBaseURL: publicBaseURL,
                metrics: metrics))
        let forward: @Sendable (Request, GatewayRequestContext) async throws -> Response = { [proxy, catalog] request, context in
            let service: ServiceRecord?
            if let paid = context.payment { service = paid.service } else {
                service = try await catalog.route(method: request.method.rawValue, path: request.uri.path)?.service
            }
            guard let upstream = service?.upstreamURL else {
                throw GatewayError.notFound("service \(service?.id ?? "?") has no upstream configured")
            }
            return await proxy.forward(request, to: upstream, context: context).clientResponse
        }
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch, .head, .options] {
            router.on("/**", method: method, use: forward)
            router.on("/", method: method, use: forward)
        }
        return router
    }

    public func makeResponder(publicBaseURL: String) -> GatewayResponder {
        GatewayResponder(
            own: makeOwnRouter().buildResponder(), gate: makeGateRouter(publicBaseURL: publicBaseURL).buildResponder())
    }

    public func makeApplication(logger: Logger) -> some ApplicationProtocol {
        let address = configuration.listen
        // The background services run in the server's service group: started with it, stopped gracefully with it
        // (the alert dispatcher drains or dead-letters what is queued).
        var services: [any Service] = [
            HoldSweeper(processor: processor, metrics: metrics, logger: logger), makeMeteringService(logger: logger),
            sentinel, alerts,
        ]
        if let settlementWorker { services.append(settlementWorker) }
        return Application(
            responder: makeResponder(publicBaseURL: "http://\(address)"),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "pb-stream"),
            services: services,
            logger: logger)
    }
}

/// Sends the gateway's own paths to its API and everything else through the payment gate.
public struct GatewayResponder: HTTPResponder {
    public typealias Context = GatewayRequestContext
    let own: RouterResponder<GatewayRequestContext>
    let gate: RouterResponder<GatewayRequestContext>

    public func respond(to request: Request, context: GatewayRequestContext) async throws -> Response {
        let path = request.uri.path
        let isOwn = GatewayApplication.ownPathPrefixes.contains { path == $0 || path.hasPrefix($0 + "/") }
        return try await (isOwn ? own : gate).respond(to: request, context: context)
    }
}
