import PBCore
import PBCrypto
import PBSettlement
import Testing

@Suite struct SettlementPolicyTests {
    static let payee = PrivateKey.random().address
    static let now = UnixTime(seconds: 1_764_000_000)
    static let farValidUntil: UInt64 = 1_766_592_000

    static func view(
        unsettled: UInt128, oldest: UnixTime? = now, validUntil: UInt64 = farValidUntil, stopped: Bool = false,
        payee: EthereumAddress = payee
    ) -> ChannelSettlementView {
        ChannelSettlementView(
            payee: payee, unsettledAmount: unsettled, oldestUnsettledChargeAt: oldest,
            grantValidUntilSeconds: validUntil, sessionStopped: stopped)
    }

    @Test func dueAtTheTenUnitThresholdAndNotOneBaseUnitBefore() {
        let policy = SettlementPolicy()
        #expect(policy.dueReasons(for: Self.view(unsettled: 9_999_999), at: Self.now).isEmpty)
        #expect(policy.dueReasons(for: Self.view(unsettled: 10_000_000), at: Self.now) == [.threshold])
        #expect(policy.dueReasons(for: Self.view(unsettled: 10_000_001), at: Self.now) == [.threshold])
    }

    @Test func aPayeesOwnThresholdWinsOverTheDefault() {
        let other = PrivateKey.random().address
        let policy = SettlementPolicy(payeeThresholdsBaseUnits: [Self.payee: 5_000_000])
        #expect(policy.dueReasons(for: Self.view(unsettled: 5_000_000), at: Self.now) == [.threshold])
        #expect(policy.dueReasons(for: Self.view(unsettled: 5_000_000, payee: other), at: Self.now).isEmpty)
    }

    @Test func anOldChargeIsDueAfterTheMaximumAgeWhateverItsAmount() {
        let policy = SettlementPolicy(maxAgeSeconds: 3_600)
        let oldest = Self.now.adding(seconds: -3_600)
        #expect(policy.dueReasons(for: Self.view(unsettled: 1, oldest: oldest), at: Self.now).isEmpty, "exactly the age")
        #expect(
            policy.dueReasons(for: Self.view(unsettled: 1, oldest: oldest), at: Self.now.adding(milliseconds: 1))
                == [.maxAge])
        #expect(policy.dueReasons(for: Self.view(unsettled: 1, oldest: nil), at: Self.now.adding(seconds: 99_999)).isEmpty)
    }

    @Test func aStoppedSessionAndAnExpiringGrantMakeAChannelDue() {
        let policy = SettlementPolicy(grantExpiryMarginSeconds: 600)
        #expect(policy.dueReasons(for: Self.view(unsettled: 1, stopped: true), at: Self.now) == [.sessionStopped])
        let validUntil = UInt64(Self.now.seconds) + 600
        #expect(policy.dueReasons(for: Self.view(unsettled: 1, validUntil: validUntil + 1), at: Self.now).isEmpty)
        #expect(policy.dueReasons(for: Self.view(unsettled: 1, validUntil: validUntil), at: Self.now) == [.grantExpiring])
        #expect(
            policy.dueReasons(for: Self.view(unsettled: 20_000_000, validUntil: 0, stopped: true), at: Self.now)
                == [.threshold, .sessionStopped, .grantExpiring], "every reason is recorded")
    }

    @Test func nothingUnsettledIsNeverDue() {
        let policy = SettlementPolicy(thresholdBaseUnits: 0)
        #expect(
            policy.dueReasons(for: Self.view(unsettled: 0, oldest: UnixTime(seconds: 0), validUntil: 0, stopped: true), at: Self.now)
                .isEmpty)
    }

    @Test func retriesDoubleTheirDelayUpToTheCapThenPark() {
        let retry = SettlementRetryPolicy(maxAttempts: 4, firstDelaySeconds: 30, maxDelaySeconds: 100)
        #expect(retry.retryAt(afterFailedAttempts: 1, now: Self.now) == Self.now.adding(seconds: 30))
        #expect(retry.retryAt(afterFailedAttempts: 2, now: Self.now) == Self.now.adding(seconds: 60))
        #expect(retry.retryAt(afterFailedAttempts: 3, now: Self.now) == Self.now.adding(seconds: 100))
        #expect(retry.retryAt(afterFailedAttempts: 4, now: Self.now) == nil, "parked after the last attempt")
    }
}
