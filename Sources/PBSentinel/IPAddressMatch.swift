import Foundation

/// A client-IP condition: the address is inside (`in`) or outside (`notIn`) a list of CIDR ranges.
public struct IPAddressMatch: Sendable, Hashable {
    public let ranges: [IPAddressRange]
    /// True for `notIn`: the condition holds for an address outside every range.
    public let negated: Bool

    public init(ranges: [IPAddressRange], negated: Bool) {
        self.ranges = ranges
        self.negated = negated
    }

    /// A payment whose client IP is unknown or unparsable matches neither `in` nor `notIn`: a rule must not fire
    /// (or stay silent) because a proxy header was missing.
    func matches(_ clientIP: String?) -> Bool {
        guard let clientIP, let address = IPAddressRange.parseAddress(clientIP) else { return false }
        let inside = ranges.contains { $0.contains(address) }
        return inside != negated
    }
}

/// An IPv4 or IPv6 CIDR range (`203.0.113.0/24`, `2001:db8::/32`, or a single address). IPv4 is held as the
/// IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), so one 128-bit comparison serves both families.
public struct IPAddressRange: Sendable, Hashable, CustomStringConvertible {
    public let network: UInt128
    public let prefixLength: Int
    public let description: String

    public init(parsing text: String) throws(SentinelError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let address = Self.parseAddress(String(parts[0])) else {
            throw .invalid(nil, "'\(text)' is not an IP address or CIDR range such as 203.0.113.0/24 or 2001:db8::/32")
        }
        let isIPv4 = parts[0].contains(".")
        let maximum = isIPv4 ? 32 : 128
        var length = maximum
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...maximum).contains(parsed), parts[1].allSatisfy(\.isNumber) else {
                throw .invalid(nil, "'\(text)' has a prefix length outside 0...\(maximum)")
            }
            length = parsed
        }
        prefixLength = isIPv4 ? length + 96 : length
        network = address & Self.mask(prefixLength)
        description = text
    }

    func contains(_ address: UInt128) -> Bool { address & Self.mask(prefixLength) == network }

    static func mask(_ length: Int) -> UInt128 { length == 0 ? 0 : ~UInt128(0) << (128 - length) }

    /// Parses a dotted IPv4 or a (possibly `::`-compressed) IPv6 address; nil when malformed.
    static func parseAddress(_ text: String) -> UInt128? {
        if !text.contains(":") { return parseIPv4(Substring(text)).map { 0xffff << 32 | UInt128($0) } }
        var groups: [UInt16] = []
        var tail: [UInt16] = []
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        for (index, half) in halves.enumerated() where !half.isEmpty {
            var parsed: [UInt16] = []
            let pieces = half.split(separator: ":", omittingEmptySubsequences: false)
            for (position, piece) in pieces.enumerated() {
                // An embedded IPv4 (`::ffff:192.0.2.1`) may end the address.
                if position == pieces.count - 1, piece.contains("."), let ipv4 = parseIPv4(piece) {
                    parsed.append(UInt16(ipv4 >> 16))
                    parsed.append(UInt16(ipv4 & 0xffff))
                } else {
                    guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                    parsed.append(value)
                }
            }
            if index == 0 { groups = parsed } else { tail = parsed }
        }
        let missing = 8 - groups.count - tail.count
        guard halves.count == 2 ? missing >= 1 : missing == 0 else { return nil }
        let all = groups + [UInt16](repeating: 0, count: missing) + tail
        return all.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    private static func parseIPv4(_ text: Substring) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard (1...3).contains(octet.count), octet.allSatisfy(\.isNumber), let byte = UInt8(octet),
                octet.count == 1 || octet.first != "0"
            else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }
}
