import Foundation
import PBCore
import PBCrypto
import PBGateway
import PBMetering
import PBProtocol
import PBStore
import PBStoreSQLite
import Testing

/// Stream sessions paid by a session key's grant (docs/METERING.md, "Sessions paid by a session key"): the session
/// draws on the channel within the credit window the agent's voucher opened, through the charge path, so the grant's
/// spent amount, the channel's charged amount and the session's charges move together and never past the window,
/// the grant's limit, or a freeze, revocation or expiry.
@Suite struct GrantMeteringTests {
    static let gpuPlan = #"{"prices": [{"unit": "second", "rate": "0.001"}]}"#

    /// Starts a GPU session (0.001 U/s, ticked every 60 s) paid by `grant` through a window of `ceiling` base units.
    func startSession(
        _ gateway: RunningGateway, fixture: GatewayFixture, grant: SignedSessionGrant, ceiling: UInt128,
        sequence: UInt64 = 1, id: String = "gpu"
    ) async throws -> (status: Int, json: JSONValue) {
        let voucher = windowVoucher(fixture: fixture, grant: grant, ceiling: ceiling, sequence: sequence)
        return try await gateway.merchant(.POST, "/v1/meter-sessions", """
            {"id": "\(id)", "service": "chat", "plan": \(Self.gpuPlan), "metering": {"unit": "second", "intervalSeconds": 60},
             "grant": \(grant.documentJSON.serialized()), "voucher": \(voucher.documentJSON.serialized())}
            """)
    }

    func windowVoucher(fixture: GatewayFixture, grant: SignedSessionGrant, ceiling: UInt128, sequence: UInt64)
        -> SignedPaymentVoucher
    {
        SignedPaymentVoucher.sign(
            PaymentVoucher(
                grantId: grant.digest, payee: fixture.payee, cumulativeAmount: ceiling, sequence: sequence,
                requestBinding: .zero, validUntil: UInt64(SystemWallClock().now.seconds) + 30 * 86_400),
            domain: fixture.domain, with: fixture.agent)
    }

    /// The grant's spent amount, the channel's charged amount and the session's charged total, in base units.
    func ledger(_ gateway: RunningGateway, fixture: GatewayFixture, grant: SignedSessionGrant, session: String = "gpu")
        async throws -> (spent: UInt128?, channel: UInt128?, session: UInt128?)
    {
        (
            try await gateway.store.grant(grant.digest)?.spent,
            try await gateway.store.channel(ChannelKey(grantId: grant.digest, payee: fixture.payee))?.chargedCumulativeAmount,
            try await gateway.store.session(session)?.charged.baseUnits
        )
    }

    static func wholeSecondNow() -> UnixTime { UnixTime(seconds: SystemWallClock().now.seconds) }

    @Test func aGrantFundedSessionChargesExactlyAndStopsWhenTheGrantsAllowanceCannotPay() async throws {
        let clock = ManualWallClock(Self.wholeSecondNow())
        let start = clock.now
        let fixture = GatewayFixture()
        // 0.5 U a day on the grant, a window of 0.8 U: the grant's allowance binds, after exactly 500 s. (A window
        // above the grant's total limit is refused when it opens, so the total binds only across channels.)
        let grant = fixture.grant(totalLimit: 50_000_000, periodLimit: 500_000, periodSeconds: 86_400)
        try await withGateway(fixture: fixture, store: try SQLiteGatewayStore.inMemory(clock: clock), clock: clock) { gateway in
            let service = gateway.meteringService(clock: clock)
            let small = fixture.grant(totalLimit: 500_000)
            let overLimit = try await startSession(gateway, fixture: fixture, grant: small, ceiling: 800_000, id: "over")
            #expect(overLimit.status == 402, "\(overLimit.json)")
            #expect(try await gateway.store.session("over") == nil, "a refused window stores no session")
            let started = try await startSession(gateway, fixture: fixture, grant: grant, ceiling: 800_000)
            #expect(started.status == 201, "\(started.json)")
            #expect(started.json["grantId"]?.text == grant.digest.hex)
            #expect(started.json["predictedDepletionAt"]?.text == String(start.adding(seconds: 500).milliseconds))

            clock.set(start.adding(seconds: 60))
            await service.tick()
            let early = try await ledger(gateway, fixture: fixture, grant: grant)
            #expect(early.spent == 60_000 && early.channel == 60_000 && early.session == 60_000, "\(early)")

            for seconds in stride(from: 120, through: 600, by: 60) {
                clock.set(start.adding(seconds: Int64(seconds)))
                await service.tick()
            }
            let stopped = try await gateway.merchant(.GET, "/v1/meter-sessions/gpu").json
            #expect(stopped["status"]?.text == "stopped: insufficient_funds")
            #expect(stopped["stoppedAt"]?.text == String(start.adding(seconds: 500).milliseconds))
            #expect(stopped["charged"]?.text == "0.5")
            let final = try await ledger(gateway, fixture: fixture, grant: grant)
            #expect(final.spent == 500_000 && final.channel == 500_000 && final.session == 500_000, "\(final)")
            // Every draw is a charged payment on the grant: they add up to the session's charges.
            let payments = try await gateway.store.payments(grantId: grant.digest, after: nil, limit: 100).items
            #expect(payments.filter { $0.method == "METER" }.reduce(UInt128(0)) { $0 + $1.amount } == 500_000)
            #expect(payments.allSatisfy { $0.service == "chat" && $0.status == .charged })
        }
    }

    @Test func aStoppedGrantSessionIsSettledAtOnceBelowTheThreshold() async throws {
        let clock = ManualWallClock(Self.wholeSecondNow())
        let start = clock.now
        let fixture = GatewayFixture()
        let grant = fixture.grant(totalLimit: 50_000_000)
        try await withGateway(fixture: fixture, store: try SQLiteGatewayStore.inMemory(clock: clock), clock: clock) { gateway in
            let worker = try #require(gateway.application.settlementWorker, "the default settlement rail is the ledger")
            let service = gateway.meteringService(clock: clock)
            #expect(try await startSession(gateway, fixture: fixture, grant: grant, ceiling: 800_000).status == 201)
            clock.set(start.adding(seconds: 120))
            await service.tick()
            // 0.12 U charged, far below the 10 U threshold and young: nothing is due while the session runs.
            let running = await worker.runRound()
            #expect(running.confirmed.isEmpty && running.errors.isEmpty, "\(running)")

            #expect(try await gateway.merchant(.POST, "/v1/meter-sessions/gpu/stop", "{}").status == 200)
            let stopped = await worker.runRound()
            #expect(stopped.errors.isEmpty, "\(stopped.errors)")
            let settlement = try #require(stopped.confirmed.first)
            #expect(stopped.confirmed.count == 1)
            #expect(settlement.reasons == [.sessionStopped])
            #expect(settlement.totalAmountDue == 120_000)
            // Settled is what was charged; a further round finds nothing more to settle.
            let channel = ChannelKey(grantId: grant.digest, payee: fixture.payee)
            #expect(try await gateway.store.channel(channel)?.chargedCumulativeAmount == 120_000)
            #expect((await worker.runRound()).confirmed.isEmpty)
        }
    }

    @Test func theWindowBindsAndANewVoucherResumesTheSession() async throws {
        let clock = ManualWallClock(Self.wholeSecondNow())
        let start = clock.now
        let fixture = GatewayFixture()
        let grant = fixture.grant(totalLimit: 50_000_000, perPaymentLimit: 300_000)
        try await withGateway(fixture: fixture, store: try SQLiteGatewayStore.inMemory(clock: clock), clock: clock) { gateway in
            let service = gateway.meteringService(clock: clock)
            // A window above the per-payment limit is refused like a paid call's, and nothing is stored.
            let tooWide = try await startSession(gateway, fixture: fixture, grant: grant, ceiling: 400_000)
            #expect(tooWide.status == 402, "\(tooWide.json)")
            #expect(tooWide.json["error"]?.text == "pb_per_payment_limit_exceeded")
            #expect(try await gateway.store.session("gpu") == nil)

            #expect(try await startSession(gateway, fixture: fixture, grant: grant, ceiling: 200_000, sequence: 2).status == 201)
            clock.set(start.adding(seconds: 300))
            await service.tick()
            let stopped = try await gateway.merchant(.GET, "/v1/meter-sessions/gpu").json
            #expect(stopped["status"]?.text == "stopped: insufficient_funds")
            #expect(stopped["stoppedAt"]?.text == String(start.adding(seconds: 200).milliseconds))
            #expect(stopped["charged"]?.text == "0.2")

            // The agent signs the next window (0.2 more); the session resumes from that instant.
            let next = windowVoucher(fixture: fixture, grant: grant, ceiling: 400_000, sequence: 3)
            let extended = try await gateway.merchant(
                .POST, "/v1/meter-sessions/gpu/vouchers", #"{"voucher": \#(next.documentJSON.serialized())}"#)
            #expect(extended.status == 200, "\(extended.json)")
            #expect(extended.json["status"]?.text == "active")
            clock.set(start.adding(seconds: 600))
            await service.tick()
            let again = try await gateway.merchant(.GET, "/v1/meter-sessions/gpu").json
            #expect(again["status"]?.text == "stopped: insufficient_funds")
            #expect(again["stoppedAt"]?.text == String(start.adding(seconds: 500).milliseconds))
            let final = try await ledger(gateway, fixture: fixture, grant: grant)
            #expect(final.spent == 400_000 && final.channel == 400_000 && final.session == 400_000, "\(final)")
            // A prepaid-style top-up cannot feed a grant's view.
            let topUp = try await gateway.merchant(
                .POST, "/v1/accounts/\(again["accountId"]?.text ?? "")/top-ups", #"{"amount": "100"}"#, idempotencyKey: "t1")
            #expect(topUp.status == 400, "\(topUp.json)")
        }
    }

    @Test func aFrozenGrantStopsTheSessionAtTheFreezeAndARevokedOneForGood() async throws {
        let clock = ManualWallClock(Self.wholeSecondNow())
        let start = clock.now
        let fixture = GatewayFixture()
        let grant = fixture.grant(totalLimit: 50_000_000)
        try await withGateway(fixture: fixture, store: try SQLiteGatewayStore.inMemory(clock: clock), clock: clock) { gateway in
            let service = gateway.meteringService(clock: clock)
            #expect(try await startSession(gateway, fixture: fixture, grant: grant, ceiling: 1_000_000).status == 201)
            clock.set(start.adding(seconds: 60))
            await service.tick()
            clock.set(start.adding(seconds: 90))
            _ = try await gateway.store.updateGrantStatus(grant.digest, to: .frozen, reason: "sentinel", at: clock.now)
            // Honoured at the next tick: the session stops at the freeze, and a frozen grant pays nothing more
            // (like a paid call's charge): the 30 s since the last tick are the merchant's exposure.
            clock.set(start.adding(seconds: 120))
            await service.tick()
            let frozen = try await gateway.merchant(.GET, "/v1/meter-sessions/gpu").json
            #expect(frozen["status"]?.text == "stopped: grant_frozen")
            #expect(frozen["stoppedAt"]?.text == String(start.adding(seconds: 90).milliseconds))
            #expect(frozen["charged"]?.text == "0.06")
            #expect(try await gateway.merchant(.POST, "/v1/meter-sessions/gpu/resume", "{}").status == 402, "still frozen")

            clock.set(start.adding(seconds: 200))
            _ = try await gateway.store.updateGrantStatus(grant.digest, to: .active, reason: nil, at: clock.now)
            let resumed = try await gateway.merchant(.POST, "/v1/meter-sessions/gpu/resume", "{}")
            #expect(resumed.json["status"]?.text == "active", "\(resumed.json)")
            clock.set(start.adding(seconds: 220))
            _ = try await gateway.application.meter.advance(sessionId: "gpu")
            clock.set(start.adding(seconds: 230))
            _ = try await gateway.store.updateGrantStatus(grant.digest, to: .revoked, reason: "owner", at: clock.now)
            clock.set(start.adding(seconds: 280))
            await service.tick()
            let revoked = try await gateway.merchant(.GET, "/v1/meter-sessions/gpu").json
            #expect(revoked["status"]?.text == "stopped: grant_revoked")
            #expect(revoked["stoppedAt"]?.text == String(start.adding(seconds: 230).milliseconds))
            #expect(revoked["charged"]?.text == "0.08", "60 s before the freeze, 20 s after the resume")
            #expect(try await gateway.merchant(.POST, "/v1/meter-sessions/gpu/resume", "{}").status == 409, "revoked is final")
            let final = try await ledger(gateway, fixture: fixture, grant: grant)
            #expect(final.spent == 80_000 && final.channel == 80_000 && final.session == 80_000, "\(final)")
        }
    }
}
