import ArgumentParser
import Foundation
import PBCore

/// `pb meter session start|usage|pause|resume|stop|show`: stream sessions (`/v1/meter-sessions`).
struct MeterSessionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session", abstract: "Stream sessions: start, report usage, pause, resume, stop, show.",
        subcommands: [
            MeterSessionStartCommand.self, MeterSessionUsageCommand.self, MeterSessionActionCommand.Pause.self,
            MeterSessionActionCommand.Resume.self, MeterSessionStopCommand.self, MeterSessionShowCommand.self,
            MeterSessionVoucherCommand.self,
        ])
}

struct MeterSessionStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start a session paid from a prepaid account (--account) or a session key's grant (--voucher).",
        discussion: """
            --plan is a price plan in the form of docs/PRICING.md (JSON; - reads standard input). With --metering-unit \
            the gateway meters time itself; without it the merchant reports usage (pb meter session usage). A session \
            paid by a grant needs the agent's credit-window voucher (pb voucher sign --window …) for the service's \
            payee; --grant sends the signed grant too when the gateway has not seen it yet.
            """)

    @OptionGroup var options: GatewayOptions

    @Option(name: .long, help: "The session's id (default: a new ms_… id).")
    var id: String?

    @Option(name: .long, help: "The prepaid account that pays.")
    var account: String?

    @Option(name: .long, help: "The agent's credit-window voucher (a signed document) that pays, instead of an account.")
    var voucher: String?

    @Option(name: .long, help: "The signed grant the voucher spends under, if the gateway does not have it yet.")
    var grant: String?

    @Option(name: .long, help: "The service (an id of /v1/services).")
    var service: String

    @Option(name: .long, help: "The price plan, a JSON file (- for standard input).")
    var plan: String

    @Option(name: .customLong("metering-unit"), help: "Meter time by second, minute or hour.")
    var meteringUnit: String?

    @Option(name: .customLong("interval-seconds"), help: "How often time is charged (1...86400).")
    var intervalSeconds: Int64?

    @Option(name: .customLong("metering-dimension"), help: "A dimension of the metered time, name=value (repeatable).")
    var meteringDimensions: [String] = []

    func validate() throws {
        guard (account == nil) != (voucher == nil) else {
            throw ValidationError("give either --account or --voucher: who pays the session")
        }
        if grant != nil, voucher == nil { throw ValidationError("--grant: goes with --voucher") }
        if meteringUnit == nil, intervalSeconds != nil || !meteringDimensions.isEmpty {
            throw ValidationError("--interval-seconds and --metering-dimension need --metering-unit")
        }
        _ = try MeterInputs.pairs(meteringDimensions, flag: "--metering-dimension")
    }

    func run() async throws {
        var body: [(key: String, value: JSONValue)] = [
            ("service", .string(service)), ("plan", try MeterInputs.document(plan, flag: "--plan")),
        ]
        if let id { body.append(("id", .string(id))) }
        if let account { body.append(("accountId", .string(account))) }
        if let voucher { body.append(("voucher", try MeterInputs.document(voucher, flag: "--voucher"))) }
        if let grant { body.append(("grant", try MeterInputs.document(grant, flag: "--grant"))) }
        if let meteringUnit {
            var metering: [(key: String, value: JSONValue)] = [("unit", .string(meteringUnit))]
            if let intervalSeconds { metering.append(("intervalSeconds", .number(String(intervalSeconds)))) }
            let dimensions = try MeterInputs.pairs(meteringDimensions, flag: "--metering-dimension")
            if !dimensions.isEmpty { metering.append(("dimensions", .object(dimensions.map { ($0.0, .string($0.1)) }))) }
            body.append(("metering", .object(metering)))
        }
        let session = try await options.client().post("/v1/meter-sessions", .object(body))
        MeterOutput.emit(session, json: options.json, summary: MeterOutput.session)
    }
}

struct MeterSessionUsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Report usage: one event (--event-id, --quantity) or JSON lines from a file (--file, - for stdin).",
        discussion: """
            Events are idempotent by id: reporting the same id again records and charges nothing. A file holds one \
            event a line, {"id": "e1", "quantities": {"output_token": 350}, "at"?: unix-ms, "dimensions"?: {…}}, sent \
            in batches of at most 5,000. Exit status 1 when the balance could not pay an event (it is refused, and the \
            session stops with insufficient_funds).
            """)

    /// The API's largest batch.
    static let batchSize = 5_000

    @OptionGroup var options: GatewayOptions

    @Argument(help: "The session's id.")
    var sessionId: String

    @Option(name: .customLong("event-id"), help: "The event's id (its idempotency key).")
    var eventId: String?

    @Option(name: .long, help: "unit=quantity, e.g. output_token=350 (repeatable).")
    var quantity: [String] = []

    @Option(name: .long, help: "name=value selecting per-dimension prices (repeatable).")
    var dimension: [String] = []

    @Option(name: .long, help: "When it happened, Unix milliseconds (default: now).")
    var at: Int64?

    @Option(name: .long, help: "A file of JSON lines, one event each (- for standard input).")
    var file: String?

    func validate() throws {
        if file != nil {
            guard eventId == nil, quantity.isEmpty, dimension.isEmpty, at == nil else {
                throw ValidationError("--file: the events come from the file; leave out --event-id, --quantity, --dimension, --at")
            }
            return
        }
        guard let eventId else { throw ValidationError("--event-id: is required (or --file)") }
        try MeterInputs.checkName(eventId, flag: "--event-id")
        guard !quantity.isEmpty else { throw ValidationError("--quantity: name at least one unit=quantity") }
        for (unit, value) in try MeterInputs.pairs(quantity, flag: "--quantity") where UInt64(value) == nil {
            throw ValidationError("--quantity: \(unit)=\(value) is not a whole number")
        }
        _ = try MeterInputs.pairs(dimension, flag: "--dimension")
    }

    func run() async throws {
        let events: [JSONValue]
        if let file { events = try MeterInputs.jsonLines(file) } else { events = [try singleEvent()] }
        let client = try options.client()
        var recorded = 0, duplicates = 0, refused: [String] = []
        var debitedUnits: [JSONValue] = []
        var session: JSONValue = .null
        for start in stride(from: 0, to: events.count, by: Self.batchSize) {
            let batch = Array(events[start..<min(start + Self.batchSize, events.count)])
            let answer = try await client.post(
                "/v1/meter-sessions/\(MeterClient.segment(sessionId))/usage", .object([("events", .array(batch))]))
            recorded += Int(MeterOutput.text(answer["recordedCount"])) ?? 0
            duplicates += Int(MeterOutput.text(answer["duplicateCount"])) ?? 0
            refused += (answer["refused"]?.arrayValues ?? []).map { MeterOutput.text($0) }
            debitedUnits.append(answer["debited"] ?? .null)
            session = answer["session"] ?? .null
            if options.json { print(answer.serialized()) }
        }
        if !options.json {
            let debited = debitedUnits.map { MeterOutput.text($0) }.joined(separator: " + ")
            MeterOutput.print(
                ["recorded \(recorded), duplicates \(duplicates), refused \(refused.count); debited \(debited)"]
                    + MeterOutput.session(session))
        }
        guard refused.isEmpty else {
            MeterOutput.error(
                "refused: insufficient_funds: \(refused.count) events not recorded (\(refused.prefix(10).joined(separator: ", ")))")
            throw ExitCode(1)
        }
    }

    private func singleEvent() throws -> JSONValue {
        var event: [(key: String, value: JSONValue)] = [
            ("id", .string(eventId ?? "")),
            ("quantities", .object(try MeterInputs.pairs(quantity, flag: "--quantity").map { ($0.0, .number($0.1)) })),
        ]
        if let at { event.append(("at", .number(String(at)))) }
        let dimensions = try MeterInputs.pairs(dimension, flag: "--dimension")
        if !dimensions.isEmpty { event.append(("dimensions", .object(dimensions.map { ($0.0, .string($0.1)) }))) }
        return .object(event)
    }
}

/// `pause` and `resume`: the same request to `/v1/meter-sessions/{id}/<action>`.
enum MeterSessionActionCommand {
    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pause", abstract: "Charge up to now, then stop accrual.")
        @OptionGroup var options: GatewayOptions
        @Argument(help: "The session's id.") var sessionId: String
        func run() async throws { try await MeterSessionActionCommand.perform("pause", sessionId, options) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resume", abstract: "Run a paused session (or one stopped for insufficient funds) again.")
        @OptionGroup var options: GatewayOptions
        @Argument(help: "The session's id.") var sessionId: String
        func run() async throws { try await MeterSessionActionCommand.perform("resume", sessionId, options) }
    }

    static func perform(_ action: String, _ sessionId: String, _ options: GatewayOptions, body: JSONValue = .object([]))
        async throws
    {
        let session = try await options.client().post("/v1/meter-sessions/\(MeterClient.segment(sessionId))/\(action)", body)
        MeterOutput.emit(session, json: options.json, summary: MeterOutput.session)
    }
}

struct MeterSessionStopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Charge up to now and stop for good; prints the final statement.")

    @OptionGroup var options: GatewayOptions

    @Argument(help: "The session's id.")
    var sessionId: String

    @Flag(name: .long, help: "Stop as cancelled instead of completed.")
    var cancel = false

    func run() async throws {
        try await MeterSessionActionCommand.perform(
            "stop", sessionId, options, body: .object([("reason", .string(cancel ? "cancelled" : "completed"))]))
    }
}

struct MeterSessionVoucherCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voucher",
        abstract: "Give a grant-funded session the agent's next credit-window voucher (its top-up); resumes it.")

    @OptionGroup var options: GatewayOptions

    @Argument(help: "The session's id.")
    var sessionId: String

    @Option(name: .long, help: "The agent's next credit-window voucher on the channel (a signed document).")
    var voucher: String

    func run() async throws {
        try await MeterSessionActionCommand.perform(
            "vouchers", sessionId, options, body: .object([("voucher", try MeterInputs.document(voucher, flag: "--voucher"))]))
    }
}

struct MeterSessionShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a session's state, statement and predicted depletion time.")

    @OptionGroup var options: GatewayOptions

    @Argument(help: "The session's id.")
    var sessionId: String

    func run() async throws {
        let session = try await options.client().get("/v1/meter-sessions/\(MeterClient.segment(sessionId))")
        MeterOutput.emit(session, json: options.json, summary: MeterOutput.session)
    }
}

extension MeterInputs {
    /// A JSON document from a file, or standard input for `-`; unreadable or malformed input is a usage error.
    static func document(_ path: String, flag: String) throws -> JSONValue {
        let data = try read(path, flag: flag)
        do { return try JSONValue.parse([UInt8](data), maximumInputBytes: 16 << 20) } catch {
            throw ValidationError("\(flag): \(path) is not JSON: \(error)")
        }
    }

    /// Events, one JSON object a line (blank lines skipped); a malformed line is a usage error naming it.
    static func jsonLines(_ path: String) throws -> [JSONValue] {
        let data = try read(path, flag: "--file")
        var events: [JSONValue] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\t") })
            else { continue }
            let event: JSONValue
            do { event = try JSONValue.parse([UInt8](line)) } catch {
                throw ValidationError("--file: line \(index + 1) is not JSON: \(error)")
            }
            guard case .object = event else { throw ValidationError("--file: line \(index + 1) is not a JSON object") }
            events.append(event)
        }
        guard !events.isEmpty else { throw ValidationError("--file: \(path) holds no events") }
        return events
    }

    /// A file's bytes, or standard input's for `-`.
    private static func read(_ path: String, flag: String) throws -> Data {
        let data: Data? = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: path)
        guard let data else { throw ValidationError("\(flag): cannot read \(path)") }
        return data
    }
}
