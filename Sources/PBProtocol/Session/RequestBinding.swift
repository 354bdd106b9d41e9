import PBCore
import PBCrypto

/// Binds a payment to one HTTP request: `keccak256(METHOD + " " + target)` (docs/PROTOCOL.md, section 5).
///
/// The target is the origin-form request target as sent (path and query, no scheme or host), because a proxy in
/// front of the gateway may change the host but must not change the path.
public enum RequestBinding {
    public static func compute(method: String, target: String) -> Bytes32 {
        Bytes32(unchecked: Keccak256.hash(Array("\(method.uppercased()) \(target)".utf8)))
    }
}
