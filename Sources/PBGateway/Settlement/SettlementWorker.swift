import Logging
import PBCore
import PBSettlement
import PBStore
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The settlement worker: a `Service` in the gateway's ServiceGroup that settles accumulated charges on a rail
/// (docs/SETTLEMENT.md).
///
/// Every round (each `intervalSeconds`, or at once when nudged) it first drives the stored open settlements on
/// (prepare a `due` one, rebroadcast and poll a `submitted` one), then asks the store for channels with unsettled
/// charges, keeps those the policy finds due, cuts them into batches of at most `batchSize` claims and drives each
/// through due -> (prepare, stored) -> submitted -> (broadcast, status) -> confirmed | failed. The prepared
/// settlement is stored before it is broadcast, so after a kill -9 at any point the next start resends exactly the
/// same settlement or, when none was stored, prepares one that was never sent: nothing is paid twice, and a channel
/// stays in its open settlement until that settles, so nothing due is forgotten.
public final class SettlementWorker: Service, Sendable {
    public let store: any SettlementStore
    public let rail: any SettlementRail
    public let settings: SettlementSettings
    public let clock: any WallClock
    let logger: Logger
    private let wakeUps: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    /// Channels whose session stopped, judged due at the next round; bounded.
    private let stoppedChannels = Mutex<Set<ChannelKey>>([])
    public static let stoppedChannelsLimit = 10_000

    public init(
        store: any SettlementStore, rail: any SettlementRail, settings: SettlementSettings,
        clock: any WallClock = SystemWallClock(), logger: Logger
    ) {
        self.store = store
        self.rail = rail
        self.settings = settings
        self.clock = clock
        self.logger = logger
        // One pending wake-up is enough: a round settles everything due at that moment.
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wakeUps = stream
        wake = continuation
    }

    /// Runs a round now instead of at the next interval.
    public func nudge() { wake.yield() }

    /// A stream or metering session on `channel` stopped: settle it at the next round (which starts now).
    public func sessionStopped(on channel: ChannelKey) {
        stoppedChannels.withLock { channels in
            if channels.count < Self.stoppedChannelsLimit { channels.insert(channel) }
        }
        nudge()
    }

    public func run() async throws {
        let ticker = Task { [wake, settings] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: .seconds(settings.intervalSeconds)) } catch { return }
                wake.yield()
            }
        }
        defer { ticker.cancel() }
        await cancelWhenGracefulShutdown {
            // The first round resumes whatever a previous process left open.
            await self.runRound()
            for await _ in self.wakeUps {
                if Task.isCancelled { return }
                await self.runRound()
            }
        }
    }

    /// What one round did, for the demo, the logs and tests.
    public struct RoundReport: Sendable, Hashable {
        public var confirmed: [SettlementRecord] = []
        public var failed: [SettlementRecord] = []
        public var pending: [SettlementRecord] = []
        public var errors: [String] = []
    }

    /// One round: resume open settlements, then settle due channels. Errors are logged and reported, never thrown:
    /// a stored settlement stays where it is and the next round picks it up.
    @discardableResult
    public func runRound() async -> RoundReport {
        var report = RoundReport()
        do {
            for record in try await store.settlements(in: [.due, .submitted], limit: settings.openSettlementsPerRound) {
                await drive(record, report: &report)
            }
            for batch in try await dueBatches() {
                await settle(batch, report: &report)
            }
        } catch {
            report.errors.append("\(error)")
            logger.error("settlement round failed", metadata: ["error": "\(error)"])
        }
        return report
    }

    /// Due channels, cut into batches of at most `batchSize` claims, with the reasons each batch is due.
    func dueBatches() async throws -> [(claims: [SettlementClaim], reasons: [SettlementDueReason], attempt: Int)] {
        let now = clock.now
        let stopped = stoppedChannels.withLock { channels in
            defer { channels.removeAll() }
            return channels
        }
        var due: [(claim: SettlementClaim, reasons: [SettlementDueReason], attempt: Int)] = []
        for candidate in try await store.settlementCandidates(at: now, limit: settings.candidatesPerRound) {
            guard let voucher = candidate.channel.latestVoucher,
                candidate.channel.chargedCumulativeAmount > candidate.settledCumulativeAmount
            else { continue }
            let claim = SettlementClaim(
                grant: candidate.grant.signed, voucher: voucher,
                chargedCumulativeAmount: candidate.channel.chargedCumulativeAmount,
                settledCumulativeAmount: candidate.settledCumulativeAmount)
            let view = ChannelSettlementView(
                payee: claim.payee, unsettledAmount: claim.amountDue,
                oldestUnsettledChargeAt: candidate.oldestUnsettledChargeAt,
                grantValidUntilSeconds: candidate.grant.grant.validUntil,
                sessionStopped: stopped.contains(candidate.channel.key))
            let reasons = settings.policy.dueReasons(for: view, at: now)
            if !reasons.isEmpty { due.append((claim, reasons, candidate.failedAttempts + 1)) }
        }
        let size = max(1, min(settings.batchSize, rail.maximumClaimsPerBatch))
        return stride(from: 0, to: due.count, by: size).map { start in
            let slice = due[start..<min(start + size, due.count)]
            let reasons = SettlementDueReason.allCases.filter { reason in slice.contains { $0.reasons.contains(reason) } }
            return (slice.map(\.claim), reasons, slice.map(\.attempt).max() ?? 1)
        }
    }

    private func settle(
        _ batch: (claims: [SettlementClaim], reasons: [SettlementDueReason], attempt: Int), report: inout RoundReport
    ) async {
        let record = SettlementRecord(
            batchId: SettlementWorker.newBatchId(at: clock.now), rail: rail.name, reasons: batch.reasons,
            claims: batch.claims.map { StoredSettlementClaim($0) }, attempt: batch.attempt, createdAt: clock.now)
        do {
            try await store.createSettlement(record)
        } catch {
            report.errors.append("\(error)")
            logger.error("settlement not recorded", metadata: ["error": "\(error)"])
            return
        }
        settings.faultInjection.crashIfAt(.afterCreate)
        logger.info(
            "settlement due",
            metadata: [
                "settlement.batch": .string(record.batchId), "settlement.claims": .stringConvertible(record.claims.count),
                "settlement.amount": .string(String(record.totalAmountDue)),
                "settlement.reasons": .string(record.reasons.map(\.rawValue).joined(separator: ",")),
            ])
        await drive(record, report: &report)
    }

    /// Takes a stored open settlement as far as it goes now.
    private func drive(_ stored: SettlementRecord, report: inout RoundReport) async {
        var record = stored
        let batch = record.batch
        let retryAt = retrySchedule
        do {
            if record.state == .due {
                let prepared: PreparedSettlement
                do { prepared = try await rail.prepare(batch) } catch {
                    // Nothing was sent: the settlement fails and its channels are retried in a new batch.
                    record = try await store.failSettlement(
                        record.batchId, reason: "prepare: \(error)", at: clock.now, retryAt: retryAt)
                    report.failed.append(record)
                    return
                }
                record = try await store.recordPrepared(prepared, at: clock.now)
                settings.faultInjection.crashIfAt(.afterPrepare)
            }
            guard let prepared = record.prepared else { throw StoreError("submitted settlement without its prepared form") }
            // Sent again after a restart: the same bytes, which a rail accepts as already known.
            try await rail.broadcast(prepared, of: batch)
            settings.faultInjection.crashIfAt(.afterBroadcast)
            var status = SettlementStatus.pending
            for poll in 0..<settings.statusPollsPerRound {
                if poll > 0 { try await Task.sleep(for: .milliseconds(settings.statusPollDelayMilliseconds)) }
                status = try await rail.status(of: prepared, of: batch)
                if status != .pending { break }
            }
            switch status {
            case .pending:
                report.pending.append(record)
            case .confirmed(let amounts):
                record = try await store.confirmSettlement(
                    record.batchId, settledCumulativeAmounts: amounts, at: clock.now, retryAt: retryAt)
                settings.faultInjection.crashIfAt(.afterConfirm)
                logger.info(
                    "settlement confirmed",
                    metadata: [
                        "settlement.batch": .string(record.batchId), "settlement.reference": .string(prepared.reference),
                        "settlement.amount": .string(String(record.totalAmountDue)),
                    ])
                report.confirmed.append(record)
            case .failed(let reason):
                record = try await store.failSettlement(record.batchId, reason: reason, at: clock.now, retryAt: retryAt)
                logger.warning(
                    "settlement failed", metadata: ["settlement.batch": .string(record.batchId), "reason": .string(reason)])
                report.failed.append(record)
            }
        } catch {
            // Left as stored: the next round resends and polls again.
            report.errors.append("\(record.batchId): \(error)")
            logger.error("settlement step failed", metadata: ["settlement.batch": .string(record.batchId), "error": "\(error)"])
        }
    }

    private var retrySchedule: @Sendable (Int) -> UnixTime? {
        { [retry = settings.retry, now = clock.now] attempts in retry.retryAt(afterFailedAttempts: attempts, now: now) }
    }

    /// A new batch id: time-ordered and unique (`stl-<ms>-<random>`).
    static func newBatchId(at time: UnixTime) -> String {
        "stl-\(time.milliseconds)-\(Bytes32.random().hex.dropFirst(2).prefix(16))"
    }
}
