import Foundation
import PBCore
import PBTestSupport

/// Loads the JSON vectors that spec/tools/gen_crypto_vectors.py writes from eth-account.
enum VectorFiles {
    static func load<Document: Decodable>(_ name: String, as type: Document.Type = Document.self) throws -> Document {
        try RepositoryFiles.vectors(name, as: type)
    }
}

func bytes(_ hex: String) throws -> [UInt8] {
    try Hex.decode(hex)
}
