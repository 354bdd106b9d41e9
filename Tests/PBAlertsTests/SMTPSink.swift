import Foundation
import PBCore
import PBTestSupport
import Testing

/// spec/tools/smtp_sink.py: a real aiosmtpd server on a free loopback port, recording each accepted message as a
/// JSON line in a file of its own.
final class SMTPSink {
    struct Received {
        let mailFrom: String
        let recipients: [String]
        let data: String
        let usedTLS: Bool
        let login: String?
    }

    let process: BackgroundProcess
    let port: Int
    let directory: URL
    var output: URL { directory.appendingPathComponent("received.jsonl") }
    var certificatePath: String { directory.appendingPathComponent("cert.pem").path }

    init(tls: Bool = false, login: String? = nil) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pb-smtp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var arguments = [RepositoryFiles.url("spec/tools/smtp_sink.py").path, "--output", directory.path + "/received.jsonl"]
        if tls { arguments += ["--tls-dir", directory.path] }
        if let login { arguments += ["--login", login] }
        process = try BackgroundProcess(executable: URL(fileURLWithPath: "/usr/bin/env"), arguments: ["python3"] + arguments)
        let text = try await process.waitForOutput(containing: "listening on 127.0.0.1:")
        let digits = text.components(separatedBy: "listening on 127.0.0.1:")[1].prefix { $0.isNumber }
        port = try #require(Int(digits))
    }

    /// The messages received so far, in order.
    func received() throws -> [Received] {
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

    func stop() {
        process.stop(graceSeconds: 5)
        try? FileManager.default.removeItem(at: directory)
    }
}
