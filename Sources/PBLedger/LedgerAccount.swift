/// An account of the double-entry ledger: what has been posted and what is held (pending) on each side.
///
/// Amounts are base units of one asset. An account never changes asset, and its constraint is checked on every
/// transfer: an owner's prepaid or escrow account (`debitsMustNotExceedCredits`) can never be spent below zero.
public struct LedgerAccount: Sendable, Hashable, Codable {
    public enum Constraint: String, Sendable, Hashable, Codable {
        case none
        /// Debits (posted + pending) never exceed posted credits: a balance that cannot go negative.
        case debitsMustNotExceedCredits
        /// Credits (posted + pending) never exceed posted debits.
        case creditsMustNotExceedDebits
    }

    public let id: String
    /// The asset's identifier, e.g. `eip155:8453/0x8335…` for USDC on Base.
    public let asset: String
    public let constraint: Constraint
    public internal(set) var debitsPosted: UInt128 = 0
    public internal(set) var creditsPosted: UInt128 = 0
    public internal(set) var debitsPending: UInt128 = 0
    public internal(set) var creditsPending: UInt128 = 0

    public init(id: String, asset: String, constraint: Constraint = .none) {
        self.id = id
        self.asset = asset
        self.constraint = constraint
    }

    /// Posted credits minus posted debits, for accounts whose constraint keeps it non-negative.
    public var creditBalance: UInt128? { creditsPosted >= debitsPosted ? creditsPosted - debitsPosted : nil }
    /// What a `debitsMustNotExceedCredits` account can still pay: credits minus posted and pending debits.
    public var available: UInt128 {
        let committed = debitsPosted &+ debitsPending
        return creditsPosted > committed ? creditsPosted - committed : 0
    }

    /// Whether the account's constraint holds now.
    public var isWithinConstraint: Bool {
        switch constraint {
        case .none: true
        case .debitsMustNotExceedCredits: debitsPosted.addingReportingOverflow(debitsPending).partialValue <= creditsPosted
        case .creditsMustNotExceedDebits: creditsPosted.addingReportingOverflow(creditsPending).partialValue <= debitsPosted
        }
    }
}
