import Foundation
import PBCore

/// A plain-text e-mail as it goes after SMTP's DATA: RFC 5322 headers, CRLF line endings, and the body dot-stuffed
/// (RFC 5321 4.5.2) so that a line holding only "." cannot end the message early.
public struct SMTPMessage: Sendable, Hashable {
    public let from: String
    public let to: [String]
    public let subject: String
    public let body: String
    public let messageId: String
    public let date: Date

    public init(from: String, to: [String], subject: String, body: String, messageId: String, date: Date) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.messageId = messageId
        self.date = date
    }

    /// The DATA payload without the terminating `.` line.
    public var dataPayload: String {
        let headers = [
            "From: \(Self.headerSafe(from))",
            "To: \(to.map(Self.headerSafe).joined(separator: ", "))",
            "Subject: \(Self.encodedWord(Self.headerSafe(subject)))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <\(Self.headerSafe(messageId))>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
        ]
        return (headers + [""] + Self.bodyLines(body)).joined(separator: "\r\n") + "\r\n"
    }

    /// Body lines with any line ending normalised away and a leading "." doubled.
    static func bodyLines(_ body: String) -> [String] {
        body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }
    }

    /// A header value cannot hold a line break: one would let text start new headers (header injection).
    static func headerSafe(_ value: String) -> String {
        // By scalar: "\r\n" is one Character, so a Character comparison would miss it.
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: value.unicodeScalars.map { $0 == "\r" || $0 == "\n" ? " " : $0 })
        return String(scalars)
    }

    /// ASCII as it is; anything else as an RFC 2047 encoded word.
    static func encodedWord(_ value: String) -> String {
        value.allSatisfy(\.isASCII) ? value : "=?UTF-8?B?\(Base64.encode(Array(value.utf8)))?="
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
