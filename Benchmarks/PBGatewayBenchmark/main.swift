// pb-gateway-benchmark: paid vs unpaid calls through the gateway, measured with wrk in one run.
//
//     swift build -c release --product pb-gateway-benchmark && .build/release/pb-gateway-benchmark [--seconds 5]
//         [--pairs 5] [--headers 300000] [--connections 64] [--sentinel on|off] [--paid-only | --unpaid-only]
//
// `--sentinel on` (the default, as in production) judges every paid call with Sentinel's default rules and
// detectors; their call-count thresholds are lifted so that the benchmark's one agent, calling thousands of times a
// second, is measured paying rather than frozen (the rules cost the same either way). `off` charges without it.
// It starts a small upstream and the gateway (SQLite in a temporary folder) in this process, opens one credit
// window for an agent, writes one PAYMENT-SIGNATURE header per future call (call index 1, 2, 3, … with its MAC),
// then runs wrk against the same gateway: once GET /free/echo without headers, then `--pairs` pairs of GET /free/echo
// with the same PAYMENT-SIGNATURE headers (proxied, the free route ignores them) and GET /paid/echo (proxied, every
// request verified and charged in SQLite). Both hit the same upstream handler.
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PBCore
import PBCrypto
import PBGateway
import PBProtocol
import PBSentinel
import PBStore
import PBStoreSQLite

func argument(_ name: String, default value: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let parsed = Int(arguments[index + 1])
    else { return value }
    return parsed
}

let seconds = argument("--seconds", default: 5)
let connections = argument("--connections", default: 64)
let headerCount = argument("--headers", default: 300_000)
let sentinelSwitch = CommandLine.arguments.firstIndex(of: "--sentinel").flatMap {
    $0 + 1 < CommandLine.arguments.count ? CommandLine.arguments[$0 + 1] : nil
} ?? "on"
guard sentinelSwitch == "on" || sentinelSwitch == "off" else {
    print("--sentinel takes on or off")
    exit(2)
}
var logger = Logger(label: "pb.benchmark")
logger.logLevel = .critical

// The upstream: the same small JSON for every path.
let upstreamRouter = Router()
upstreamRouter.get("/**") { _, _ in
    Response(
        status: .ok, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(string: "{\"model\":\"demo\",\"reply\":\"ok\",\"tokens\":12,\"pad\":\"0123456789\"}")))
}
let (upstreamPorts, upstreamContinuation) = AsyncStream.makeStream(of: Int.self)
let upstream = Application(
    router: upstreamRouter, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
    onServerRunning: { upstreamContinuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
let upstreamTask = Task { try await upstream.runService() }
var upstreamPort = 0
for await port in upstreamPorts { upstreamPort = port; break }

let usdc = try EthereumAddress("0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913")
let payee = try EthereumAddress("0x9f1B6b1E2c4a0a1c83c6af1Bd6E7f0a2b3C4d5e6")
let price: UInt128 = 10_000
var configuration = GatewayConfiguration()
configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
configuration.maxWindowCredit = "1000000"
configuration.services = [
    ServiceRecord(
        id: "echo", name: "Echo", payee: payee, asset: usdc, network: "eip155:8453",
        upstreamURL: "http://127.0.0.1:\(upstreamPort)", pathPrefix: "/",
        routes: [
            RouteRecord(method: "GET", path: "/free/**", priceBaseUnits: nil),
            RouteRecord(method: "GET", path: "/paid/**", priceBaseUnits: price),
        ])
]
configuration.sentinel.enabled = sentinelSwitch == "on"
configuration.sentinel.policy = try SentinelPolicy.standard(callsAbove: 1_000_000_000)
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pb-bench-\(UUID().uuidString.prefix(8))")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
let store = try SQLiteGatewayStore(path: directory.appendingPathComponent("gateway.sqlite").path)
let gatewayKey = PrivateKey.random()
let httpClient = UpstreamProxy.makeHTTPClient(timeoutSeconds: 10)
let application = try GatewayApplication(configuration: configuration, store: store, gatewayKey: gatewayKey, httpClient: httpClient)
try await application.applyConfiguredServices()
let (gatewayPorts, gatewayContinuation) = AsyncStream.makeStream(of: Int.self)
let gateway = Application(
    responder: application.makeResponder(publicBaseURL: "http://127.0.0.1"),
    configuration: .init(address: .hostname("127.0.0.1", port: 0)),
    onServerRunning: { gatewayContinuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
let gatewayTask = Task { try await gateway.runService() }
var gatewayPort = 0
for await port in gatewayPorts { gatewayPort = port; break }
let base = "http://127.0.0.1:\(gatewayPort)"

// The agent: a grant large enough for the whole run, one window opened by a real paid request.
let owner = PrivateKey.random(), agent = PrivateKey.random()
let now = UInt64(SystemWallClock().now.seconds)
let grant = SignedSessionGrant.sign(
    SessionGrant(
        owner: owner.address, sessionKey: agent.address, asset: usdc, payees: [payee], services: ["echo"],
        totalLimit: UInt128(headerCount + 100_010) * price, validAfter: now - 60, validUntil: now + 86_400),
    domain: application.processor.domain, with: owner)

func fetch(_ path: String, payment: String?) async throws -> (Int, HTTPHeaders) {
    var request = HTTPClientRequest(url: base + path)
    if let payment { request.headers.add(name: "PAYMENT-SIGNATURE", value: payment) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    _ = try await response.body.collect(upTo: 1 << 20)
    return (Int(response.status.code), response.headers)
}

let (_, offerHeaders) = try await fetch("/paid/echo", payment: nil)
let offer = try PaymentHeaderCodec.decode(offerHeaders.first(name: "PAYMENT-REQUIRED") ?? "", as: PaymentRequired.self).accepts[0]
let windowVoucher = SignedPaymentVoucher.sign(
    PaymentVoucher(
        grantId: grant.digest, payee: payee, cumulativeAmount: UInt128(headerCount + 100_001) * price, sequence: 1,
        requestBinding: .zero, validUntil: now + 3_600),
    domain: application.processor.domain, with: agent)
let opening = try PaymentHeaderCodec.encode(
    PaymentPayload(accepted: offer, payload: SessionPaymentPayload.voucher(grant: grant, voucher: windowVoucher).jsonValue))
let (openStatus, _) = try await fetch("/paid/echo", payment: opening)
precondition(openStatus == 200, "opening the window failed with HTTP \(openStatus)")

let windowKey = CreditWindowKey(sessionKey: agent, gatewayPublicKey: gatewayKey.publicKey, windowId: windowVoucher.digest)
let binding = RequestBinding.compute(method: "GET", target: "/paid/echo")
let headersPath = directory.appendingPathComponent("payments.txt").path
var lines = ""
lines.reserveCapacity(headerCount * 1_400)
for callIndex in 1...UInt64(headerCount) {
    let call = SessionCall(
        grantId: grant.digest, windowId: windowVoucher.digest, callIndex: callIndex,
        mac: windowKey.mac(callIndex: callIndex, requestBinding: binding, amount: price))
    lines += try PaymentHeaderCodec.encode(PaymentPayload(accepted: offer, payload: SessionPaymentPayload.call(call).jsonValue))
    lines += "\n"
}
try lines.write(toFile: headersPath, atomically: true, encoding: .utf8)
/// A wrk script sending the prepared headers, one per request, to `path`. The unpaid run sends the very same
/// headers to the free route (which ignores them), so both runs cost wrk and the HTTP parser the same and the
/// difference is the gateway's payment work alone.
/// `firstHeader` (1-based) lets each paid run of a pair start after the calls earlier runs already paid: a call
/// index is charged once, and a replayed one is refused.
func wrkScript(name: String, path: String, firstHeader: Int = 1) throws -> String {
    let script = directory.appendingPathComponent(name).path
    try """
        local headers = {}
        for line in io.lines("\(headersPath)") do headers[#headers + 1] = line end
        local index = \(firstHeader - 1)
        request = function()
            index = index + 1
            if index > #headers then index = #headers end
            return wrk.format("GET", "\(path)", { ["PAYMENT-SIGNATURE"] = headers[index] })
        end
        """.write(toFile: script, atomically: true, encoding: .utf8)
    return script
}
let unpaidScript = try wrkScript(name: "unpaid.lua", path: "/free/echo")

struct WrkResult {
    var requestsPerSecond = 0.0, p50 = "", p99 = "", non2xx = 0, total = 0
    /// This process's CPU time (user + system, gateway and upstream together) per request during the run: on a
    /// shared machine it moves far less than req/s does when a neighbour takes the cores.
    var serverCPUMicrosecondsPerRequest = 0.0
}

func processCPUMicroseconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let user = Double(usage.ru_utime.tv_sec) * 1e6 + Double(usage.ru_utime.tv_usec)
    let system = Double(usage.ru_stime.tv_sec) * 1e6 + Double(usage.ru_stime.tv_usec)
    return user + system
}

func wrk(_ arguments: [String]) throws -> WrkResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
    process.arguments = ["-t1", "-c\(connections)", "-d\(seconds)s", "--latency"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    let cpuBefore = processCPUMicroseconds()
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let cpuMicroseconds = processCPUMicroseconds() - cpuBefore
    var result = WrkResult()
    for line in output.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if line.contains("Requests/sec:"), let value = fields.last { result.requestsPerSecond = Double(value) ?? 0 }
        if fields.first == "50%", fields.count > 1 { result.p50 = String(fields[1]) }
        if fields.first == "99%", fields.count > 1 { result.p99 = String(fields[1]) }
        if line.contains("Non-2xx"), let value = fields.last { result.non2xx = Int(value) ?? 0 }
        if line.contains("requests in"), let value = fields.first { result.total = Int(value) ?? 0 }
    }
    result.serverCPUMicrosecondsPerRequest = cpuMicroseconds / Double(max(result.total, 1))
    return result
}

let profileOnly = CommandLine.arguments.contains("--profile-only")
if !profileOnly, !FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") {
    FileHandle.standardError.write(Data("pb-gateway-benchmark: /usr/bin/wrk is missing; install it with `apt-get install wrk` (or pass --profile-only)\n".utf8))
    exit(2)
}
print("pb-gateway-benchmark: wrk -t1 -c\(connections) -d\(seconds)s, gateway and upstream in one process on this machine, Sentinel \(sentinelSwitch)")
// --paid-only: skip both unpaid runs (to attach a profiler to the paid path alone).
let paidOnly = CommandLine.arguments.contains("--paid-only")
// --unpaid-only: only the same-headers unpaid run (its profile is the baseline of the paid one).
let unpaidOnly = CommandLine.arguments.contains("--unpaid-only")
func row(_ name: String, _ result: WrkResult) -> String {
    "\(name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(String(format: "%9.0f", result.requestsPerSecond)) req/s"
        + "  p50 \(result.p50)  p99 \(result.p99)  requests \(result.total)  non-2xx \(result.non2xx)"
        + "  server CPU \(String(format: "%.0f", result.serverCPUMicrosecondsPerRequest)) µs/request"
}
func percent(_ value: Double) -> String { String(format: "%.1f", value * 100) + "%" }
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
// --pairs N: N pairs of runs, unpaid (same headers) and paid back to back, their order swapped every other pair; the
// ratio reported is the median of the pairs' ratios, so a neighbour's burst slows both halves of a pair or spoils
// one pair, not the result (the same method as pb-benchmarks' verification ratio).
let pairCount = max(1, argument("--pairs", default: 5))
let bare = profileOnly || paidOnly || unpaidOnly ? WrkResult() : try wrk([base + "/free/echo"])
if !(profileOnly || paidOnly || unpaidOnly) { print(row("unpaid, no header", bare)) }
var nextHeader = 1
var ratios: [Double] = [], cpuRatios: [Double] = []
var unpaidRates: [Double] = [], paidRates: [Double] = []
for pair in 0..<(profileOnly ? 0 : pairCount) {
    func paidRun() async throws -> WrkResult {
        let script = try wrkScript(name: "paid-\(pair).lua", path: "/paid/echo", firstHeader: nextHeader)
        let spentBefore = try await store.grant(grant.digest)?.spent ?? 0
        let result = try wrk(["-s", script, base + "/paid/echo"])
        let spentAfter = try await store.grant(grant.digest)?.spent ?? 0
        let charged = Int((spentAfter - spentBefore) / price)
        // Past every call sent, answered or still in flight when wrk stopped.
        nextHeader += max(result.total, charged) + connections
        if result.non2xx > 0 || charged < result.total - result.non2xx {
            print("warning: pair \(pair + 1): \(result.non2xx) non-2xx, \(charged) charged for \(result.total) requests")
        }
        if nextHeader + result.total >= headerCount { print("warning: the next paid run may run out of headers; raise --headers") }
        return result
    }
    var unpaid = WrkResult(), paid = WrkResult()
    if pair % 2 == 0 {
        if !paidOnly { unpaid = try wrk(["-s", unpaidScript, base + "/free/echo"]) }
        if !unpaidOnly { paid = try await paidRun() }
    } else {
        if !unpaidOnly { paid = try await paidRun() }
        if !paidOnly { unpaid = try wrk(["-s", unpaidScript, base + "/free/echo"]) }
    }
    if !paidOnly { print(row("pair \(pair + 1): unpaid (same headers)", unpaid)) }
    if !unpaidOnly { print(row("pair \(pair + 1): paid (window call + charge)", paid)) }
    if !paidOnly, !unpaidOnly {
        ratios.append(paid.requestsPerSecond / max(unpaid.requestsPerSecond, 1))
        cpuRatios.append(unpaid.serverCPUMicrosecondsPerRequest / max(paid.serverCPUMicrosecondsPerRequest, 1))
        print("pair \(pair + 1): paid / unpaid \(percent(ratios.last ?? 0))")
    }
    unpaidRates.append(unpaid.requestsPerSecond)
    paidRates.append(paid.requestsPerSecond)
}
if !ratios.isEmpty {
    print("median over \(ratios.count) pairs: unpaid (same headers) \(String(format: "%.0f", median(unpaidRates))) req/s, "
        + "paid \(String(format: "%.0f", median(paidRates))) req/s")
    print("paid / unpaid: median \(percent(median(ratios))) (pairs \(percent(ratios.min() ?? 0))-\(percent(ratios.max() ?? 0))) (goal >= 70%)")
    print("server CPU per request, unpaid / paid: median \(percent(median(cpuRatios)))")
}

// Where a paid call's time goes, without sockets: the processor alone (decode, verify, charge in SQLite,
// receipt signature), then the store's charge alone, sequentially over prepared calls.
let profileCalls = argument("--profile-calls", default: 2_000)
let offerForProfile = application.processor.offer(
    service: configuration.services[0], price: price, method: "GET", target: "/paid/echo", priceRule: "benchmark")
var profileHeaders: [String] = []
for callIndex in UInt64(headerCount + 1)...UInt64(headerCount + profileCalls) {
    let call = SessionCall(
        grantId: grant.digest, windowId: windowVoucher.digest, callIndex: callIndex,
        mac: windowKey.mac(callIndex: callIndex, requestBinding: binding, amount: price))
    profileHeaders.append(try PaymentHeaderCodec.encode(PaymentPayload(accepted: offer, payload: SessionPaymentPayload.call(call).jsonValue)))
}
// The per-request work around the processor: the route's offer (quote id, addresses, extra) and the receipt header.
let offerCPUStart = processCPUMicroseconds()
for _ in 0..<profileCalls {
    _ = application.processor.offer(
        service: configuration.services[0], price: price, method: "GET", target: "/paid/echo", priceRule: "benchmark")
}
let offerCPU = processCPUMicroseconds() - offerCPUStart
let decodeCPUStart = processCPUMicroseconds()
var decoded: [PaymentPayload] = []
for header in profileHeaders { decoded.append(try PaymentHeaderCodec.decode(header, as: PaymentPayload.self)) }
let decodeCPU = processCPUMicroseconds() - decodeCPUStart
// 64 callers at once, like wrk's connections, so the store can group their charges as it does under load.
let processCPUStart = processCPUMicroseconds()
let processStart = ContinuousClock.now
let payloads = decoded
let processor = application.processor
let paidCount = await withTaskGroup(of: Int.self) { group in
    let callers = 64
    for caller in 0..<callers {
        group.addTask {
            var paid = 0
            for index in stride(from: caller, to: payloads.count, by: callers) {
                if case .paid = await processor.process(payloads[index], offer: offerForProfile) { paid += 1 }
            }
            return paid
        }
    }
    var total = 0
    for await paid in group { total += paid }
    return total
}
let processTime = ContinuousClock.now - processStart
let processCPU = processCPUMicroseconds() - processCPUStart
guard let sampleReceipt = try await store.payments(grantId: grant.digest, after: nil, limit: 1).items.first else {
    print("no payment stored: the receipt profile is skipped")
    exit(0)
}
let sampleSettle = application.processor.settleResponse(for: sampleReceipt, payer: owner.address)
let signCPUStart = processCPUMicroseconds()
for _ in 0..<profileCalls { _ = application.processor.settleResponse(for: sampleReceipt, payer: owner.address) }
let signCPU = processCPUMicroseconds() - signCPUStart
let macCPUStart = processCPUMicroseconds()
for _ in 0..<profileCalls {
    _ = application.processor.settleResponse(for: sampleReceipt, payer: owner.address, windowKey: windowKey)
}
let macCPU = processCPUMicroseconds() - macCPUStart
let encodeCPUStart = processCPUMicroseconds()
for _ in 0..<profileCalls { _ = try PaymentHeaderCodec.encode(sampleSettle) }
let encodeCPU = processCPUMicroseconds() - encodeCPUStart
func microseconds(_ duration: Duration, _ count: Int) -> String {
    let total = Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
    return String(format: "%.1f", total / Double(count))
}
print("per paid call, in process: CPU for the offer \(String(format: "%.1f", offerCPU / Double(profileCalls))) µs, "
    + "for signing a receipt into its SettleResponse \(String(format: "%.1f", signCPU / Double(profileCalls))) µs "
    + "(MAC'd with the window key instead: \(String(format: "%.1f", macCPU / Double(profileCalls))) µs), "
    + "for encoding PAYMENT-RESPONSE \(String(format: "%.1f", encodeCPU / Double(profileCalls))) µs")
print("per paid call, in process (64 concurrent callers): CPU for header decode "
    + "\(String(format: "%.1f", decodeCPU / Double(profileCalls))) µs, CPU for verify + charge + receipt "
    + "\(String(format: "%.1f", processCPU / Double(profileCalls))) µs, wall \(microseconds(processTime, profileCalls)) µs "
    + "(\(paidCount) charged)")



gatewayTask.cancel()
upstreamTask.cancel()
_ = await gatewayTask.result
_ = await upstreamTask.result
try await httpClient.shutdown()
try? FileManager.default.removeItem(at: directory)
