import Foundation
import PBCore

/// spec/tools/smtp_sink.py: a real aiosmtpd server on a free loopback port, recording each accepted message as a
/// JSON line in a file of its own.
public final class SMTPSink {
    public struct Received: Sendable {
        public let mailFrom: String
        public let recipients: [String]
        public let data: String
        public let usedTLS: Bool
        public let login: String?
    }

    let process: BackgroundProcess
    public let port: Int
    public let directory: URL
    var output: URL { directory.appendingPathComponent("received.jsonl") }
    public var certificatePath: String { directory.appendingPathComponent("cert.pem").path }

    public init(tls: Bool = false, login: String? = nil) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pb-smtp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var arguments = [RepositoryFiles.url("spec/tools/smtp_sink.py").path, "--output", directory.path + "/received.jsonl"]
        if tls { arguments += ["--tls-dir", directory.path] }
        if let login { arguments += ["--login", login] }
        process = try BackgroundProcess(executable: URL(fileURLWithPath: "/usr/bin/env"), arguments: ["python3"] + arguments)
        let text = try await process.waitForOutput(containing: "listening on 127.0.0.1:")
        let digits = text.components(separatedBy: "listening on 127.0.0.1:")[1].prefix { $0.isNumber }
        guard let port = Int(digits) else { throw BackgroundProcessFailure(description: "smtp_sink.py printed no port: \(text)") }
        self.port = port
    }

    /// The messages received so far, in order.
    public func received() throws -> [Received] {
        guard let text = try? String(contentsOf: output, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            let json = try JSONValue.parse(String(line))
            return Received(
                mailFrom: json["mail_from"]?.stringValue ?? "",
                recipients: json["rcpt_tos"]?.arrayValues?.compactMap(\.stringValue) ?? [],
                data: json["data"]?.stringValue ?? "", usedTLS: json["tls"] == .bool(true),
                login: json["login"]?.stringValue)
        }
    }

    public func stop() {
        process.stop(graceSeconds: 5)
        try? FileManager.default.removeItem(at: directory)
    }
}
