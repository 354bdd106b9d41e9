import PBTestSupport
import Foundation
import PBCore
import Testing

/// spec/vectors/pb-session.json, written by spec/tools/gen_pb_session_vectors.py with eth-account and `cryptography`.
enum SessionVectors {
    struct Entry: Sendable, CustomTestStringConvertible {
        let value: JSONValue
        var testDescription: String { value["name"]?.stringValue ?? value["method"]?.stringValue ?? "case" }

        func text(_ key: String) throws -> String { try #require(value[key]?.stringValue, "missing \(key)") }
        subscript(key: String) -> JSONValue? { value[key] }
        /// `{"typedData": …, "signature": …}`, the document form `pb` reads and writes.
        var document: JSONValue {
            .object([("typedData", value["typedData"] ?? .null), ("signature", value["signature"] ?? .null)])
        }
    }

    static let document = RepositoryFiles.vectorDocument("pb-session.json")

    /// The array at a dotted path, e.g. `wire.payloads`.
    static func entries(_ path: String) -> [Entry] {
        var value: JSONValue? = document
        for key in path.split(separator: ".") { value = value?[String(key)] }
        return (value?.arrayValues ?? []).map(Entry.init)
    }
    static var grants: [Entry] { entries("grants") }
    static var vouchers: [Entry] { entries("vouchers") }
    static var tampered: [Entry] { entries("tampered") }
}
