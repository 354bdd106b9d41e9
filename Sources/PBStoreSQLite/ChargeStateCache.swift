import PBCore
import PBStore

/// The charge path's copy of the grant and channel rows it decides on, so that a charge does not read both rows back
/// from SQLite (and decode the channel's replay bitmap) on every call: on the gateway benchmark those reads were a
/// third of the store's work per paid call (docs/PERFORMANCE.md).
///
/// Why an entry is never stale, each rule kept by the store's code, not by luck:
/// - written through: a charge writes its rows as before, then stores the records it wrote here;
/// - every other writer of a grant or channel row (void, capture, status change, registration) forgets the key;
/// - a savepoint or transaction that rolls back forgets everything, since its writes may already be here;
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
