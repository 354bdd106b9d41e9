import PBTestSupport
import Foundation
import PBCore

/// Runs the `pb` binary that `swift build` put next to the test bundle, in a scratch directory.
struct CommandRunner {
    struct Result {
        let status: Int32
        let output: String
        let errorOutput: String
    }

    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pb-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// The build products directory: the test process's own executable lives there too.
    static let binary: URL = {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("pb").path),
            directory.path != "/"
        {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("pb")
    }()

    func run(_ arguments: String...) throws -> Result { try run(arguments) }

    /// Runs `pb` with `arguments`; `environment` adds to (or overrides) the test's own environment.
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
        }
        process.currentDirectoryURL = directory
        let output = Pipe(), errorOutput = Pipe()
        process.standardOutput = output
        process.standardError = errorOutput
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errorOutput.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            errorOutput: String(decoding: errorData, as: UTF8.self))
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func write(_ name: String, _ value: JSONValue) throws {
        try value.serialized().write(toFile: path(name), atomically: true, encoding: .utf8)
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }

    func removeAll() { try? FileManager.default.removeItem(at: directory) }
}

/// spec/vectors/pb-session.json (eth-account-signed grants and vouchers, and tampered copies).
enum SessionVectorFile {
    static let document = RepositoryFiles.vectorDocument("pb-session.json")

    static func entries(_ key: String) -> [JSONValue] { document[key]?.arrayValues ?? [] }

    static func signedDocument(_ entry: JSONValue) -> JSONValue {
        .object([("typedData", entry["typedData"] ?? .null), ("signature", entry["signature"] ?? .null)])
    }
}
