import PBTestSupport
import Foundation
import Testing

/// spec/vectors/x402.json, written by spec/tools/gen_x402_vectors.py from the official Python package.
enum X402Vectors {
    struct WireCase: Sendable, CustomTestStringConvertible {
        let name: String
        let typeName: String
        let headerName: String?
        let headerValue: String?
        /// The JSON the Python model dumps, as bytes.
        let json: Data
        var testDescription: String { name }
    }

    struct MalformedCase: Sendable, CustomTestStringConvertible {
        let name: String
        let headerValue: String?
        let headerSizeBytes: Int?
        let expectedReason: String
        let expectedErrorCode: String
        let expectedHTTPStatus: Int
        var testDescription: String { name }
    }

    static let repositoryRoot = RepositoryFiles.root

    nonisolated(unsafe) private static let document: [String: Any] = {
        let url = repositoryRoot.appendingPathComponent("spec/vectors/x402.json")
        do {
            let data = try Data(contentsOf: url)
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                fatalError("x402.json: top level is not an object")
            }
            return object
        } catch {
            fatalError("cannot load \(url.path): \(error)")
        }
    }()

    static let maximumHeaderBytes = document["maxHeaderBytes"] as? Int ?? -1

    static let errorCodes = document["errorCodes"] as? [String] ?? []

    static let cases: [WireCase] = (document["cases"] as? [[String: Any]] ?? []).map { entry in
        WireCase(
            name: entry["name"] as? String ?? "?",
            typeName: entry["type"] as? String ?? "?",
            headerName: entry["headerName"] as? String,
            headerValue: entry["headerValue"] as? String,
            json: (try? JSONSerialization.data(withJSONObject: entry["json"] ?? [:])) ?? Data()
        )
    }

    static let headerCases: [WireCase] = cases.filter { $0.headerValue != nil }

    static let malformedCases: [MalformedCase] = (document["malformed"] as? [[String: Any]] ?? []).map { entry in
        MalformedCase(
            name: entry["name"] as? String ?? "?",
            headerValue: entry["headerValue"] as? String,
            headerSizeBytes: entry["headerSizeBytes"] as? Int,
            expectedReason: entry["expectedReason"] as? String ?? "?",
            expectedErrorCode: entry["expectedErrorCode"] as? String ?? "?",
            expectedHTTPStatus: entry["expectedHTTPStatus"] as? Int ?? -1
        )
    }

    static func wireCase(named name: String) -> WireCase? { cases.first { $0.name == name } }

    /// JSON re-serialised with sorted keys, so that two documents compare equal exactly when they hold the same
    /// members with the same values, whatever their key order.
    static func canonical(_ json: Data) throws -> String {
        let object = try JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed])
        let data = try JSONSerialization.data(
            withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    /// The JSON inside a base64 header value.
    static func headerJSON(_ header: String) throws -> Data {
        guard let data = Data(base64Encoded: header) else { throw CocoaError(.coderInvalidValue) }
        return data
    }
}
