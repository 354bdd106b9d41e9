/// A fixed-capacity map that forgets its least recently used entry to make room: what bounds Sentinel's memory
/// per key and per owner. Slots live in arrays linked into a recency list by index, so a lookup moves an entry to the
/// front without allocating, and values are mutated in place (no copy-on-write copy of their arrays).
struct LRUTable<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var slotOfKey: [Key: Int] = [:]
    private var keys: [Key?] = []
    private var values: [Value?] = []
    /// Towards the more recent entry; -1 at the head.
    private var newer: [Int] = []
    /// Towards the less recent entry; -1 at the tail.
    private var older: [Int] = []
    private var head = -1
    private var tail = -1
    private var freeSlots: [Int] = []
    let capacity: Int
    /// Entries forgotten to make room, for the operator's metrics.
    private(set) var evictionCount = 0

    init(capacity: Int) {
        precondition(capacity > 0, "an LRU table holds at least one entry")
        self.capacity = capacity
    }

    var count: Int { slotOfKey.count }

    func peek(_ key: Key) -> Value? { slotOfKey[key].flatMap { values[$0] } }

    /// Runs `body` on the entry for `key`, creating it with `make` (evicting the least recent entry when full),
    /// and marks it most recently used.
    mutating func withValue<Result>(
        for key: Key, orInsert make: () -> Value, _ body: (inout Value) -> Result
    ) -> Result {
        let slot: Int
        if let existing = slotOfKey[key] {
            slot = existing
            unlink(slot)
        } else {
            if slotOfKey.count >= capacity, tail >= 0 { evict(tail) }
            slot = allocate(key: key, value: make())
        }
        linkAtHead(slot)
        return body(&values[slot]!)
    }

    /// Entries from the least to the most recently used: the order that `insertAsMostRecent` replays.
    var entriesFromLeastRecent: [(key: Key, value: Value)] {
        var result: [(key: Key, value: Value)] = []
        result.reserveCapacity(count)
        var slot = tail
        while slot >= 0 {
            result.append((keys[slot]!, values[slot]!))
            slot = newer[slot]
        }
        return result
    }

    /// Inserts or replaces `key` as the most recently used entry (restoring a snapshot).
    mutating func insertAsMostRecent(_ key: Key, _ value: Value) {
        withValue(for: key, orInsert: { value }) { $0 = value }
    }

    private mutating func allocate(key: Key, value: Value) -> Int {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            keys[slot] = key
            values[slot] = value
        } else {
            slot = keys.count
            keys.append(key)
            values.append(value)
            newer.append(-1)
            older.append(-1)
        }
        slotOfKey[key] = slot
        return slot
    }

    private mutating func evict(_ slot: Int) {
        unlink(slot)
        slotOfKey[keys[slot]!] = nil
        keys[slot] = nil
        values[slot] = nil
        freeSlots.append(slot)
        evictionCount += 1
    }

    private mutating func unlink(_ slot: Int) {
        let newerSlot = newer[slot]
        let olderSlot = older[slot]
        if newerSlot >= 0 { older[newerSlot] = olderSlot } else { head = olderSlot }
        if olderSlot >= 0 { newer[olderSlot] = newerSlot } else { tail = newerSlot }
        newer[slot] = -1
        older[slot] = -1
    }

    private mutating func linkAtHead(_ slot: Int) {
        older[slot] = head
        newer[slot] = -1
        if head >= 0 { newer[head] = slot }
        head = slot
        if tail < 0 { tail = slot }
    }
}
