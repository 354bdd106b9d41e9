import PBCore
import PBGuard
import Synchronization

/// The 402 offers of the current second, so that a busy route is quoted once a second instead of once a request.
///
/// Building an offer prices the route's plan, writes its breakdown (`extra.priceRule`), formats decimal prices and
/// authenticates the quote id: about a tenth of a paid call's CPU, for a result that is the same for every request
/// of one target within a second. An entry is keyed by everything the offer depends on: the catalog's generation
/// (which moves whenever a service, plan or oracle rate changes), the request's method, target and dimension
/// values, and the second. The quote an entry holds is the one made by the first request of that second, so its
/// `quotedAt` can be up to a second before a later request's arrival; that quote is honoured for its whole
/// lifetime anyway, so reusing it within the second promises nothing the gateway would not keep.
final class RouteOfferCache: Sendable {
    struct Key: Hashable, Sendable {
        let generation: UInt64
        let method: String
        let target: String
        let dimensions: [String: String]
    }

    /// Bounds the memory of one second's entries; past it, offers are built without being kept.
    static let maximumEntries = 4_096

    private struct State: Sendable {
        var second: Int64 = .min
        var entries: [Key: Entry] = [:]
    }

    struct Entry: Sendable {
        let quote: RouteQuote
        let offer: PaymentOffer
    }

    private let state = Mutex(State())

    /// The cached entry for `key` in `second`, or `make()`'s, kept for the rest of that second.
    func entry(for key: Key, second: Int64, make: () throws -> Entry) rethrows -> Entry {
        if let cached = state.withLock({ $0.second == second ? $0.entries[key] : nil }) { return cached }
        let made = try make()
        state.withLock { state in
            if state.second != second {
                // Only a newer second replaces the map: a request that read the clock just before the turn
                // must not wipe the new second's entries.
                guard second > state.second else { return }
                state.second = second
                state.entries.removeAll(keepingCapacity: true)
            }
            if state.entries.count < Self.maximumEntries { state.entries[key] = made }
        }
        return made
    }
}
