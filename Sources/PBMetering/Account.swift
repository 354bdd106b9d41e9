import PBCore

/// A prepaid balance an enterprise tops up for an agent ("充值 100 U") and metering sessions draw down.
///
/// Amounts are whole base units of `asset`. The balance can never go below zero: a debit larger than the balance
/// throws and changes nothing. Every movement keeps `toppedUp == spent + balance` (asserted), which is what the
/// store checks again when it writes: what left the balance is exactly what the sessions charged.
public struct Account: Hashable, Sendable {
    public let id: String
    public let asset: Asset
    public private(set) var balance: Amount
    /// Everything credited by top-ups.
    public private(set) var toppedUp: Amount
    /// Everything debited by sessions.
    public private(set) var spent: Amount
    /// The balance right after the most recent top-up: the low-balance reference unless the policy fixes one.
    public private(set) var refillLevel: Amount
    public let lowBalance: LowBalancePolicy
    /// Set when the low-balance event fired; cleared when a top-up lifts the balance above the threshold, so the
    /// event fires once per crossing.
    public private(set) var lowBalanceAlerted: Bool
    public let createdAt: UnixTime
    public private(set) var updatedAt: UnixTime

    /// A new, empty account.
    public init(id: String, asset: Asset, lowBalance: LowBalancePolicy = try! LowBalancePolicy(), createdAt: UnixTime)
        throws(MeteringError)
    {
        try MeteringName.validate(id, field: "id")
        guard !GrantFunding.isGrantAccount(id) else {
            throw .invalid("id", "'\(GrantFunding.accountPrefix)…' names a grant's funding, not a prepaid account")
        }
        if let reference = lowBalance.fixedReference, reference.decimals != asset.decimals {
            throw .invalid("lowBalanceReference", "is in \(reference.decimals) decimals, the account's asset has \(asset.decimals)")
        }
        self.id = id
        self.asset = asset
        balance = .zero(of: asset)
        toppedUp = .zero(of: asset)
        spent = .zero(of: asset)
        refillLevel = .zero(of: asset)
        self.lowBalance = lowBalance
        lowBalanceAlerted = false
        self.createdAt = createdAt
        updatedAt = createdAt
    }

    /// Restores a stored account; refuses one whose amounts do not balance.
    public init(
        id: String, asset: Asset, balance: Amount, toppedUp: Amount, spent: Amount, refillLevel: Amount,
        lowBalance: LowBalancePolicy, lowBalanceAlerted: Bool, createdAt: UnixTime, updatedAt: UnixTime
    ) throws(MeteringError) {
        guard (try? spent.adding(balance)) == toppedUp, balance.decimals == asset.decimals,
            refillLevel.decimals == asset.decimals
        else { throw .invalid("account", "stored account \(id) does not balance: topped up \(toppedUp), spent \(spent), balance \(balance)") }
        self.id = id
        self.asset = asset
        self.balance = balance
        self.toppedUp = toppedUp
        self.spent = spent
        self.refillLevel = refillLevel
        self.lowBalance = lowBalance
        self.lowBalanceAlerted = lowBalanceAlerted
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var lowBalanceThreshold: Amount { lowBalance.threshold(refillLevel: refillLevel) }

    /// The low-balance event can still fire (enabled, and not fired since the last crossing).
    public var lowBalanceArmed: Bool { lowBalance.isEnabled && !lowBalanceAlerted }

    /// Adds a top-up. The refill level becomes the new balance, and the alert re-arms if the balance is now above
    /// the (new) threshold.
    public mutating func credit(_ amount: Amount, at time: UnixTime) throws(MeteringError) {
        guard amount.decimals == asset.decimals else {
            throw .invalid("amount", "is in \(amount.decimals) decimals, the account's asset has \(asset.decimals)")
        }
        guard !amount.isZero else { throw .invalid("amount", "a top-up must be above zero") }
        let (newBalance, newToppedUp) = try MeteringError.money { () throws(MoneyError) in
            (try balance.adding(amount), try toppedUp.adding(amount))
        }
        balance = newBalance
        toppedUp = newToppedUp
        refillLevel = newBalance
        if balance > lowBalanceThreshold { lowBalanceAlerted = false }
        updatedAt = time
        assertBalanced()
    }

    /// Takes `amount` from the balance; throws `insufficientFunds` (changing nothing) when the balance is smaller.
    /// Returns true when this debit fired the low-balance alert: the balance is now at or below the threshold and
    /// the alert was armed.
    @discardableResult
    mutating func debit(_ amount: Amount, at time: UnixTime) throws(MeteringError) -> Bool {
        guard amount <= balance else {
            throw .insufficientFunds("a debit of \(amount) exceeds the balance \(balance) of account \(id)")
        }
        let newSpent = try MeteringError.money { () throws(MoneyError) in try spent.adding(amount) }
        balance = try! balance.subtracting(amount)
        spent = newSpent
        updatedAt = time
        assertBalanced()
        guard lowBalanceArmed, balance <= lowBalanceThreshold else { return false }
        lowBalanceAlerted = true
        return true
    }

    private func assertBalanced() {
        assert((try? spent.adding(balance)) == toppedUp, "an account's top-ups must equal its spending plus its balance")
    }
}

/// One credit to an account, idempotent by `id` (the API's Idempotency-Key).
public struct TopUp: Hashable, Sendable {
    public let id: String
    public let accountId: String
    public let amount: Amount
    public let balanceAfter: Amount
    public let at: UnixTime

    public init(id: String, accountId: String, amount: Amount, balanceAfter: Amount, at: UnixTime) {
        self.id = id
        self.accountId = accountId
        self.amount = amount
        self.balanceAfter = balanceAfter
        self.at = at
    }
}
