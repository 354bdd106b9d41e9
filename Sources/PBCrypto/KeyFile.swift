import Foundation
import PBCore

#if canImport(Glibc)
import Glibc
#endif

/// A private key on disk: `{"version":1,"address":"0x…","privateKey":"0x…"}`, readable by its owner only (0600).
///
/// The file is created with `O_CREAT | O_EXCL` and mode 0600 in one system call, so there is no moment at which
/// another user could read it, and an existing key is never overwritten by accident. Reading refuses a file that
/// group or others can read, as ssh does, because such a key must be assumed leaked.
public enum KeyFile {
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static let permissions: mode_t = 0o600

    public static func write(_ key: PrivateKey, to path: String, overwrite: Bool = false) throws(KeyFile.Error) {
        let document = JSONValue.object([
            ("version", .number("1")),
            ("address", .string(key.address.checksummed)),
            ("privateKey", .string(key.hex)),
        ])
        let bytes = Array((document.serialized() + "\n").utf8)
        if overwrite { unlink(path) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, permissions)
        guard descriptor >= 0 else {
            let reason = errno == EEXIST ? "it already exists (refusing to overwrite a key)" : String(cString: strerror(errno))
            throw Error(description: "cannot create key file \(path): \(reason)")
        }
        defer { close(descriptor) }
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            throw Error(description: "cannot write key file \(path): \(String(cString: strerror(errno)))")
        }
    }

    public static func read(from path: String) throws(KeyFile.Error) -> PrivateKey {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw Error(description: "cannot read key file \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw Error(description: "key file \(path) is readable by others (mode \(String(status.st_mode & 0o777, radix: 8))); run chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path),
            let document = try? JSONValue.parse([UInt8](data))
        else {
            throw Error(description: "key file \(path) is not JSON")
        }
        guard let hex = document["privateKey"]?.stringValue else {
            throw Error(description: "key file \(path) has no privateKey")
        }
        let key: PrivateKey
        do { key = try PrivateKey(hex: hex) } catch {
            // Say nothing about the content: even one echoed character of a secret is too much for a log.
            throw Error(description: "key file \(path) does not hold a secp256k1 private key (64 hex digits, 1..n-1)")
        }
        if let recorded = document["address"]?.stringValue, (try? EthereumAddress(recorded)) != key.address {
            throw Error(description: "key file \(path) says address \(recorded) but its key is \(key.address)")
        }
        return key
    }
}
