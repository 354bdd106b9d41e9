import PBCore
import PBCrypto
import PBProtocol
import PBStore

/// How the store's Swift values become SQLite values and back. Every decoder throws a `StoreError` on a value the
/// store could not have written, so a damaged file is reported rather than misread.
extension SQLiteValue {
    static func amount(_ value: UInt128) -> SQLiteValue { .text(String(value)) }
    static func time(_ value: UnixTime) -> SQLiteValue { .integer(value.milliseconds) }
    static func bytes32(_ value: Bytes32) -> SQLiteValue { .blob(value.bytes) }
    static func address(_ value: EthereumAddress) -> SQLiteValue { .text(Hex.encode(value.bytes)) }
    /// UInt64 above Int64.max is stored as its bit pattern: exact both ways, and never compared in SQL.
    static func unsigned(_ value: UInt64) -> SQLiteValue { .integer(Int64(bitPattern: value)) }
    static func optionalText(_ value: String?) -> SQLiteValue { value.map { .text($0) } ?? .null }
}

extension SQLiteRow {
    func amount(_ index: Int) throws(StoreError) -> UInt128 {
        let text = try text(index)
        guard let value = UInt128(text) else { throw StoreError("stored column \(index) is not an amount") }
        return value
    }

    func time(_ index: Int) throws(StoreError) -> UnixTime { UnixTime(milliseconds: try integer(index)) }

    func optionalTime(_ index: Int) throws(StoreError) -> UnixTime? { isNull(index) ? nil : try time(index) }

    func unsigned(_ index: Int) throws(StoreError) -> UInt64 { UInt64(bitPattern: try integer(index)) }

    func bytes32(_ index: Int) throws(StoreError) -> Bytes32 {
        let bytes = try blob(index)
        guard bytes.count == 32 else { throw StoreError("stored column \(index) is not 32 bytes") }
        return Bytes32(unchecked: bytes)
    }

    func address(_ index: Int) throws(StoreError) -> EthereumAddress {
        do { return try EthereumAddress(text(index)) } catch {
            throw StoreError("stored column \(index) is not an address")
        }
    }

    /// A signed pb-session document stored as its JSON text, read back through the same strict parser the wire
    /// uses, so a stored grant or voucher is exactly what was verified.
    func document(_ index: Int) throws(StoreError) -> SessionDocument {
        do {
            let stored = try text(index)
            if let cached = StoredDocumentCache.shared.document(for: stored) { return cached }
            let document = try SessionDocument.parse(JSONValue.parse(stored))
            StoredDocumentCache.shared.insert(document, for: stored)
            return document
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("stored column \(index) is not a signed pb-session document: \(error)")
        }
    }
}

/// The 1,024-bit used-calls map as 128 bytes: sixteen little-endian words, word 0 first.
enum UsedCallsBitmap {
    /// Little-endian words, written into one array (a charge inside a window encodes and decodes this map once each;
    /// the nested `map`s it replaces allocated an array per word).
    static func encode(_ words: [UInt64]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: words.count * 8)
        for (index, word) in words.enumerated() {
            for byte in 0..<8 { bytes[index * 8 + byte] = UInt8(truncatingIfNeeded: word &>> (8 * byte)) }
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) throws(StoreError) -> [UInt64] {
        let wordCount = Int(CreditWindow.replayWindowCalls / 64)
        guard bytes.count == wordCount * 8 else { throw StoreError("stored used-calls map has \(bytes.count) bytes") }
        var words = [UInt64](repeating: 0, count: wordCount)
        for index in 0..<wordCount {
            var word: UInt64 = 0
            for byte in 0..<8 { word |= UInt64(bytes[index * 8 + byte]) &<< (8 * byte) }
            words[index] = word
        }
        return words
    }
}

/// The opaque list cursor: the sort key (time, id) of the last item of a page. Pages continue strictly after it,
/// so items inserted meanwhile neither repeat nor shift the next page.
struct ListCursor: Equatable {
    let milliseconds: Int64
    let id: Bytes32

    init(milliseconds: Int64, id: Bytes32) {
        self.milliseconds = milliseconds
        self.id = id
    }

    init(_ text: String) throws(StoreError) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let milliseconds = Int64(parts[0]), let id = try? Bytes32(hex: String(parts[1])) else {
            throw StoreError("malformed list cursor")
        }
        self.milliseconds = milliseconds
        self.id = id
    }

    var text: String { "\(milliseconds).\(Hex.encode(id.bytes, prefix: false))" }

    /// Page sizes are kept between 1 and 500 whatever the caller asks for.
    static func clamp(_ limit: Int) -> Int { min(max(limit, 1), 500) }

    /// A page from rows fetched with `LIMIT limit + 1`: the extra row only says that another page follows.
    static func page<Record: Sendable>(
        _ rows: [SQLiteRow], limit: Int, record: (SQLiteRow) throws(StoreError) -> Record,
        cursor: (Record) -> ListCursor
    ) throws(StoreError) -> Page<Record> {
        let records = try rows.prefix(limit).map { (row) throws(StoreError) in try record(row) }
        let more = rows.count > limit
        return Page(items: records, nextCursor: more ? records.last.map { cursor($0).text } : nil)
    }
}
