import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PBCore
import PBCrypto
import PBProtocol

public struct PBClientError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A response after payment: the upstream's answer plus the gateway's receipt.
public struct PaidResponse: Sendable {
    public let status: Int
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]
    /// The receipt of this call's charge, its gateway signature checked.
    public var receipt: PaymentReceipt?
    /// The gateway's error code when it refused (`pb_limit_exceeded`, …).
    public var errorCode: String?

    var paymentRequired: PaymentRequired? {
        header(PaymentHeaderCodec.paymentRequiredHeader).flatMap { try? PaymentHeaderCodec.decode($0, as: PaymentRequired.self) }
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Everything the client remembers, per grant: each channel's progress and the last offer per route.
struct ClientState: Sendable {
    let grantId: Bytes32
    var channels: [String: ChannelProgress] = [:]
    /// The last pb-session entry seen per `METHOD path`, so later calls can pay without a 402 round trip.
    var offers: [String: PaymentRequirements] = [:]
    /// The gateway address (from its announced public key) per payee: receipts must be signed by it.
    var gateways: [String: EthereumAddress] = [:]

    init(grantId: Bytes32) { self.grantId = grantId }

    /// Learns from a refusal; returns whether paying (again) can succeed.
    mutating func absorb(refusal code: String, entry: PaymentRequirements, extra: SessionRequirementsExtra) -> Bool {
        let payee = entry.payTo.lowercased()
        var channel = channels[payee] ?? ChannelProgress()
        defer { channels[payee] = channel }
        if let state = extra.channel, state.grantId == grantId {
            channel.chargedCumulativeAmount = state.chargedCumulativeAmount
            channel.lastSequence = state.lastSequence
        }
        switch code {
        case X402ErrorCode.paymentRequired.rawValue:
            return true
        case X402ErrorCode.pbGrantUnknown.rawValue:
            channel.grantKnown = false
            return true
        case X402ErrorCode.pbCumulativeMismatch.rawValue, X402ErrorCode.pbSequenceReplayed.rawValue,
            X402ErrorCode.pbWindowClosed.rawValue, X402ErrorCode.pbWindowExhausted.rawValue,
            X402ErrorCode.pbWindowExpired.rawValue, X402ErrorCode.pbCallMACInvalid.rawValue:
            channel.window = nil
            return true
        default:
            return false
        }
    }

    /// Refusals that mean another concurrent call of this client moved the channel first.
    static func isChannelRace(_ code: String) -> Bool {
        [
            X402ErrorCode.pbCumulativeMismatch.rawValue, X402ErrorCode.pbSequenceReplayed.rawValue,
            X402ErrorCode.pbWindowClosed.rawValue,
        ].contains(code)
    }

    static func load(from path: String, grantId: Bytes32) throws -> ClientState {
        var state = ClientState(grantId: grantId)
        guard let data = FileManager.default.contents(atPath: path) else { return state }
        guard let document = try? JSONValue.parse([UInt8](data)), document["grantId"]?.stringValue == grantId.hex else {
            throw PBClientError("\(path) is not this grant's client state")
        }
        for member in document["channels"]?.objectMembers ?? [] {
            if let progress = ChannelProgress(jsonValue: member.value) { state.channels[member.key] = progress }
        }
        return state
    }

    var jsonValue: JSONValue {
        .object([
            ("grantId", .string(grantId.hex)),
            ("channels", .object(channels.sorted { $0.key < $1.key }.map { ($0.key, $0.value.jsonValue) })),
        ])
    }
}

extension PBClient {
    func execute(method: String, url: String, headers: [(String, String)], body: [UInt8], payment: String?) async throws -> PaidResponse {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method.uppercased())
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let payment { request.headers.replaceOrAdd(name: PaymentHeaderCodec.paymentSignatureHeader, value: payment) }
        if !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await httpClient.execute(request, timeout: .seconds(options.timeoutSeconds))
        let buffer = try await response.body.collect(upTo: options.maximumResponseBytes)
        var paid = PaidResponse(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: Array(buffer.readableBytesView))
        if paid.status >= 400, let error = try? JSONValue.parse(paid.body), let code = error["error"]?.stringValue {
            paid.errorCode = code
        }
        return paid
    }

    /// Takes the receipt from a response: checks the gateway's signature (or, for a call inside a credit window,
    /// the window key's MAC) and moves the channel forward.
    func record(_ response: PaidResponse) throws -> PaymentReceipt? {
        guard let header = response.header(PaymentHeaderCodec.paymentResponseHeader),
            let settle = try? PaymentHeaderCodec.decode(header, as: SettleResponse.self), settle.success,
            let extra = settle.extra
        else { return nil }
        let receipt = try SessionReceiptExtra.parse(extra, domain: grant.domain)
        guard receipt.message.grantId == grant.digest else { return nil }
        let signer = receipt.signed == nil ? nil : try receipt.recoverSigner().address
        let recorded = try state.withLock { state -> Bool in
            let payee = receipt.message.payee.lowercased
            var channel = state.channels[payee] ?? ChannelProgress()
            if let signer, let gateway = state.gateways[payee], gateway != signer {
                throw PBClientError("receipt is signed by \(signer), not by the gateway \(gateway) that quoted the price")
            }
            if signer == nil {
                // A MAC'd receipt is checked with the key of the window it names (the receipt id is derived from the
                // window id); one of a window this client no longer remembers is left out (a later receipt carries
                // the cumulative total anyway).
                guard let window = channel.recentWindows.last(where: {
                    PaymentReceipt.receiptId(voucherId: $0.windowId, callIndex: receipt.message.callIndex)
                        == receipt.message.receiptId
                }) else { return false }
                let key = try windowKey(for: window)
                guard receipt.isAuthentic(windowKey: key) else {
                    throw PBClientError("receipt's window MAC does not match the window key: not from the gateway")
                }
            }
            channel.grantKnown = true
            // A usage-priced call reserved its hold in the window; the capture released the rest, which later calls
            // of the same window may use again (the receipt id names the window and the call).
            if var window = channel.window,
                PaymentReceipt.receiptId(voucherId: window.windowId, callIndex: receipt.message.callIndex)
                    == receipt.message.receiptId,
                let held = extra["heldAmount"]?.stringValue.flatMap({ UInt128($0) }),
                let captured = extra["capturedAmount"]?.stringValue.flatMap({ UInt128($0) }), captured <= held
            {
                window.reservedAmount -= min(held - captured, window.reservedAmount)
                channel.window = window
            }
            channel.chargedCumulativeAmount = max(channel.chargedCumulativeAmount, receipt.message.chargedCumulativeAmount)
            channel.lastSequence = max(channel.lastSequence, receipt.message.sequence)
            state.channels[payee] = channel
            return true
        }
        guard recorded else { return nil }
        try persist()
        return receipt.message
    }

    func persist() throws {
        guard let stateFile else { return }
        let text = state.withLock { $0.jsonValue.serialized() }
        do { try text.write(toFile: stateFile, atomically: true, encoding: .utf8) } catch {
            throw PBClientError("cannot write the client state to \(stateFile): \(error.localizedDescription)")
        }
    }
}
