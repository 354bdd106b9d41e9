import PBCore
import PBStore

/// The charge path's copy of the grant and channel rows it decides on, so that a charge does not read both rows back
/// from SQLite (and decode the channel's replay bitmap) on every call: on the gateway benchmark those reads were a
/// third of the store's work per paid call (docs/PERFORMANCE.md).
///
/// Why an entry is never stale, each rule kept by the store's code, not by luck:
/// - written through: a charge writes its rows (or, in a charge batch, defers them to the batch's commit, below),
///   then stores the records here;
/// - every other writer of a grant or channel row (void, capture, status change, registration) forgets the key;
/// - a savepoint or transaction that rolls back forgets everything, since its writes may already be here (and a
///   rolled-back savepoint's deferred rows are put back as they were);
/// - a commit by another connection (a second process on the same file) changes `PRAGMA data_version`, which each
///   write transaction checks when it begins, and forgets everything.
/// It belongs to one `SQLiteConnection` and is used only under that connection's lock. Bounded: past
/// `maximumEntries` of a kind, that kind is emptied (a miss costs one read).
final class ChargeStateCache {
    static let maximumEntries = 4_096

    private var grants: [Bytes32: GrantRecord] = [:]
    private var channels: [ChannelKey: ChannelRecord] = [:]
    /// `PRAGMA data_version` when the entries were last known to match the file.
    private var dataVersion: Int64?

    // MARK: Rows written at the commit

    /// A grant's spent amount changed by a charge batch: what its row holds, what it must hold after the batch.
    struct DeferredGrant {
        let storedSpent: UInt128
        var spent: UInt128
        var updatedAt: UnixTime
        let totalLimit: UInt128
    }

    /// A channel changed by a charge batch: its row as stored (a fresh record when there is none yet), and what it
    /// must hold after the batch.
    struct DeferredChannel {
        let stored: ChannelRecord
        var record: ChannelRecord
    }

    /// Inside a charge batch's transaction (`SQLiteWriteBatcher` for charges) the grant and channel rows are written
    /// once, just before the commit, instead of once per charge: the charges of one key share the rows, and two
    /// UPDATEs per charge were a third of the batch's SQL. Every charge decides on these values (through the entries
    /// above, or overlaid on rows read back), so none sees a row behind the batch.
    var defersRows = false
    private(set) var deferredGrants: [Bytes32: DeferredGrant] = [:]
    private(set) var deferredChannels: [ChannelKey: DeferredChannel] = [:]
    /// What the open savepoint changed in the deferred rows, to put back if it rolls back (nil outside one).
    private var journal: [JournalEntry]?

    private enum JournalEntry {
        case grant(Bytes32, DeferredGrant?)
        case channel(ChannelKey, DeferredChannel?)
    }

    func deferGrant(_ grantId: Bytes32, readSpent: UInt128, spent: UInt128, at time: UnixTime, totalLimit: UInt128) {
        let previous = deferredGrants[grantId]
        journal?.append(.grant(grantId, previous))
        deferredGrants[grantId] = DeferredGrant(
            storedSpent: previous?.storedSpent ?? readSpent, spent: spent, updatedAt: time, totalLimit: totalLimit)
    }

    func deferChannel(_ record: ChannelRecord, read: ChannelRecord) {
        let previous = deferredChannels[record.key]
        journal?.append(.channel(record.key, previous))
        deferredChannels[record.key] = DeferredChannel(stored: previous?.stored ?? read, record: record)
    }

    /// The deferred rows, emptied: the caller writes them now.
    func takeDeferred() -> (grants: [Bytes32: DeferredGrant], channels: [ChannelKey: DeferredChannel]) {
        defer {
            deferredGrants.removeAll(keepingCapacity: true)
            deferredChannels.removeAll(keepingCapacity: true)
        }
        return (deferredGrants, deferredChannels)
    }

    /// The transaction rolled back: nothing deferred is written, and no entry can be trusted.
    func discardDeferred() {
        deferredGrants.removeAll(keepingCapacity: true)
        deferredChannels.removeAll(keepingCapacity: true)
        journal = nil
        forgetAll()
    }

    func beginSavepoint() { journal = [] }

    /// Kept: its deferred changes stay. Rolled back: they are put back as they were before it, and the entries
    /// (which may hold its changes) are forgotten.
    func endSavepoint(kept: Bool) {
        if !kept, let journal {
            for entry in journal.reversed() {
                switch entry {
                case .grant(let grantId, let previous): deferredGrants[grantId] = previous
                case .channel(let key, let previous): deferredChannels[key] = previous
                }
            }
            forgetAll()
        }
        journal = nil
    }

    func grant(_ grantId: Bytes32) -> GrantRecord? { grants[grantId] }

    func channel(_ key: ChannelKey) -> ChannelRecord? { channels[key] }

    /// Stores the record as it is now written in the open transaction (or read from the file).
    func store(_ grant: GrantRecord) {
        if grants.count >= Self.maximumEntries, grants[grant.grantId] == nil { grants.removeAll(keepingCapacity: true) }
        grants[grant.grantId] = grant
    }

    func store(_ channel: ChannelRecord) {
        if channels.count >= Self.maximumEntries, channels[channel.key] == nil { channels.removeAll(keepingCapacity: true) }
        channels[channel.key] = channel
    }

    func forgetGrant(_ grantId: Bytes32) { grants[grantId] = nil }

    func forgetChannel(_ key: ChannelKey) { channels[key] = nil }

    func forgetAll() {
        grants.removeAll(keepingCapacity: true)
        channels.removeAll(keepingCapacity: true)
    }

    /// Forgets everything when another connection has committed since the last check.
    func check(dataVersion current: Int64) {
        if dataVersion != current { forgetAll() }
        dataVersion = current
    }
}
