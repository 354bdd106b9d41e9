import ArgumentParser
import Foundation
import PBCore
import PBCrypto
import PBProtocol

/// A failure while running a command (a file, a key, a mismatch), as opposed to a malformed flag: printed as
/// `Error: …` without the usage text, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Turns command-line text into protocol values with errors that say which flag is wrong.
enum CommandInputs {
    static func address(_ text: String, flag: String) throws -> EthereumAddress {
        do { return try EthereumAddress(text) } catch {
            throw ValidationError("\(flag): \(error.message)")
        }
    }

    /// A decimal string of whole tokens to base units, e.g. "0.01" with 6 decimals -> 10000.
    static func baseUnits(_ text: String, decimals: Int, flag: String) throws -> UInt128 {
        do { return try Amount(parsing: text, decimals: decimals).baseUnits } catch {
            throw ValidationError("\(flag): \(error.description)")
        }
    }

    static func formatted(_ baseUnits: UInt128, decimals: Int) -> String {
        let amount = (try? Amount(baseUnits: baseUnits, decimals: decimals))?.decimalString ?? "?"
        return "\(amount) (\(baseUnits) base units)"
    }

    static func now() -> UInt64 { UInt64(SystemWallClock().now.seconds) }

    static func readDocument(_ path: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("cannot read \(path)")
        }
        do { return try JSONValue.parse([UInt8](data)) } catch {
            throw CommandFailure("\(path) is not JSON: \(error)")
        }
    }

    static func readGrant(_ path: String) throws -> SignedSessionGrant {
        let document: SessionDocument
        do { document = try SessionDocument.parse(try readDocument(path)) } catch let refusal as PaymentRefusal {
            throw CommandFailure("\(path): \(refusal)")
        }
        guard case .grant(let grant) = document else { throw CommandFailure("\(path) is not a session grant") }
        return grant
    }

    static func readKey(_ path: String) throws -> PrivateKey {
        do { return try KeyFile.read(from: path) } catch { throw CommandFailure(error.description) }
    }

    /// Writes `text` to `path`, or to standard output when `path` is nil or "-".
    static func emit(_ text: String, to path: String?) throws {
        guard let path, path != "-" else {
            print(text)
            return
        }
        do { try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw CommandFailure("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
