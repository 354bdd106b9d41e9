import HTTPTypes
import Hummingbird
import Logging
import PBCore
import PBCrypto
import PBGuard
import PBProtocol
import PBStore

extension HTTPField.Name {
    /// The usage an upstream reports for a held call: `PB-Usage: input_tokens=1234;output_tokens=567`.
    public static let pbUsage = HTTPField.Name(ReportedUsage.headerName)!
}

/// Authorize-then-capture after the handler answered (docs/PRICING.md, "The gateway"):
/// - the handler captured through `context.payment?.capture(_:)`: that capture stands;
/// - else a `PB-Usage` header is captured (and never reaches the client);
/// - a malformed `PB-Usage` is ignored: logged, counted, and the hold stays open for the capture API;
/// - nothing reported: the hold stays open until `POST /v1/payments/{receiptId}/capture` or its expiry.
extension PBStreamMiddleware {
    func finishHold(
        _ paid: PaidPayment, capture: HoldCaptureHandle, response: inout Response, context: Context
    ) async -> SettleResponse {
        let usageHeader = response.headers[.pbUsage]
        response.headers[.pbUsage] = nil
        let receipt = paid.record.receiptId.hex
        var result = capture.captured
        if result == nil, let usageHeader {
            do {
                result = try await capture.capture(try ReportedUsage(header: usageHeader))
            } catch {
                metrics.recordInvalidUsageReport()
                context.logger.warning(
                    "PB-Usage refused; the hold stays open",
                    metadata: ["payment.receipt": .string(receipt), "usage.error": .string("\(error)")])
            }
        }
        switch result {
        case .captured(let captured, let hold)?:
            metrics.recordCapture(heldBaseUnits: hold.amount, capturedBaseUnits: captured.record.amount, overHold: hold.capture?.overHold ?? false)
            if hold.capture?.overHold == true {
                context.logger.warning("usage over the hold; captured the hold", metadata: ["payment.receipt": .string(receipt)])
            }
            return captured.settleResponse
        case .alreadyCaptured(let captured, _)?:
            return captured.settleResponse
        default:
            guard let hold = try? await processor.store.hold(paid.record.receiptId) else { return paid.settleResponse }
            let payer = paid.settleResponse.payer.flatMap { try? EthereumAddress($0) }
            return processor.settleResponse(for: paid.record, hold: hold, payer: payer)
        }
    }
}
