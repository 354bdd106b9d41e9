import Foundation
import PBCore

/// Files of this repository that tests read: the shared vectors under `spec/vectors`, example configs, scripts.
/// One place knows where the repository root is (three levels above this file), instead of every test target.
public enum RepositoryFiles {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    /// `spec/vectors/<name>` decoded with `JSONDecoder` (for vector files whose numbers fit Swift's types).
    public static func vectors<Document: Decodable>(_ name: String, as type: Document.Type = Document.self) throws
        -> Document
    {
        try JSONDecoder().decode(Document.self, from: Data(contentsOf: url("spec/vectors/" + name)))
    }

    /// `spec/vectors/<name>` as an exact `JSONValue` (numbers kept as written); stops the test run when the file
    /// is missing or malformed, since every test of the file would fail anyway.
    public static func vectorDocument(_ name: String) -> JSONValue {
        let file = url("spec/vectors/" + name)
        guard let data = try? Data(contentsOf: file), let value = try? JSONValue.parse([UInt8](data)) else {
            fatalError("cannot read \(file.path)")
        }
        return value
    }
}
