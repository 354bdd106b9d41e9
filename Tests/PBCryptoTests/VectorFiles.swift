import Foundation
import PBCore

/// Loads the JSON vectors that spec/tools/gen_crypto_vectors.py writes from eth-account.
enum VectorFiles {
    /// Tests/PBCryptoTests/VectorFiles.swift -> repository root -> spec/vectors.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("spec/vectors")

    static func load<Document: Decodable>(_ name: String, as type: Document.Type = Document.self) throws -> Document {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try JSONDecoder().decode(Document.self, from: data)
    }
}

func bytes(_ hex: String) throws -> [UInt8] {
    try Hex.decode(hex)
}
