import ArgumentParser
import Foundation
import PBCore

/// `pb meter account create|top-up|show`: prepaid balances (`/v1/accounts`).
struct MeterAccountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Prepaid accounts: open, top up, show with the predicted depletion time.",
        subcommands: [MeterAccountCreateCommand.self, MeterAccountTopUpCommand.self, MeterAccountShowCommand.self])
}

struct MeterAccountCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Open an empty prepaid account.")

    @OptionGroup var options: GatewayOptions

    @Option(name: .long, help: "The account's id (default: a new acct_… id).")
    var id: String?

    @Option(name: .long, help: "The asset's symbol.")
    var asset = "USDC"

    @Option(name: .long, help: "The asset's decimals.")
    var decimals = 6

    @Option(name: .customLong("low-balance-fraction"), help: "Alert when the balance falls to this fraction (default 0.1; 0 turns it off).")
    var lowBalanceFraction: String?

    @Option(name: .customLong("low-balance-reference"), help: "The amount the fraction is of (default: the balance after the latest top-up).")
    var lowBalanceReference: String?

    func validate() throws {
        guard (0...36).contains(decimals) else { throw ValidationError("--decimals: must be 0...36") }
        if let lowBalanceFraction { try MeterInputs.checkDecimal(lowBalanceFraction, flag: "--low-balance-fraction") }
        if let lowBalanceReference { try MeterInputs.checkDecimal(lowBalanceReference, flag: "--low-balance-reference") }
    }

    func run() async throws {
        var body: [(key: String, value: JSONValue)] = [
            ("asset", .string(asset)), ("decimals", .number(String(decimals))),
        ]
        if let id { body.append(("id", .string(id))) }
        if let lowBalanceFraction { body.append(("lowBalanceFraction", .string(lowBalanceFraction))) }
        if let lowBalanceReference { body.append(("lowBalanceReference", .string(lowBalanceReference))) }
        let account = try await options.client().post("/v1/accounts", .object(body))
        MeterOutput.emit(account, json: options.json, summary: MeterOutput.account)
    }
}

struct MeterAccountTopUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top-up",
        abstract: "Credit an account; sessions stopped for insufficient funds resume when it can pay them.",
        discussion: """
            The top-up's id is its Idempotency-Key: running the same command again with the same --top-up-id credits \
            once. Without it a new id is made and printed, so a retry can reuse it.
            """)

    @OptionGroup var options: GatewayOptions

    @Argument(help: "The account's id.")
    var accountId: String

    @Argument(help: "The amount, a decimal string of whole tokens (e.g. 100 or 0.25).")
    var amount: String

    @Option(name: .customLong("top-up-id"), help: "The top-up's id (1-128 of letters, digits, _ - . :).")
    var topUpId: String?

    func validate() throws {
        try MeterInputs.checkDecimal(amount, flag: "<amount>")
        if let topUpId { try MeterInputs.checkName(topUpId, flag: "--top-up-id") }
    }

    func run() async throws {
        let key = topUpId ?? "topup_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let answer = try await options.client().post(
            "/v1/accounts/\(MeterClient.segment(accountId))/top-ups", .object([("amount", .string(amount))]),
            idempotencyKey: key)
        MeterOutput.emit(answer, json: options.json) { answer in
            let topUp = answer["topUp"] ?? .null
            let resumed = (answer["resumedSessions"]?.arrayValues ?? []).map { MeterOutput.text($0) }
            return [
                "top-up \(MeterOutput.text(topUp["id"])): +\(MeterOutput.text(topUp["amount"])) at \(MeterOutput.time(topUp["at"]))",
                "resumed sessions: \(resumed.isEmpty ? "none" : resumed.joined(separator: ", "))",
            ] + MeterOutput.account(answer["account"] ?? .null)
        }
    }
}

struct MeterAccountShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show an account's balance and predicted depletion time.")

    @OptionGroup var options: GatewayOptions

    @Argument(help: "The account's id.")
    var accountId: String

    func run() async throws {
        let account = try await options.client().get("/v1/accounts/\(MeterClient.segment(accountId))")
        MeterOutput.emit(account, json: options.json, summary: MeterOutput.account)
    }
}

/// Checks of command-line values that make a usage error (exit 2) rather than a refusal by the gateway.
enum MeterInputs {
    /// A decimal string of whole tokens: digits, optionally a point and more digits.
    static func checkDecimal(_ text: String, flag: String) throws {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else {
            throw ValidationError("\(flag): '\(text)' is not a decimal amount such as 100 or 0.25")
        }
    }

    static func checkName(_ text: String, flag: String) throws {
        guard (1...128).contains(text.utf8.count),
            text.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_-.:".unicodeScalars.contains($0)) })
        else { throw ValidationError("\(flag): '\(text)' must be 1-128 of letters, digits, _ - . :") }
    }

    /// `name=value` pairs (`--quantity output_token=350`, `--dimension gpu=H100`).
    static func pairs(_ items: [String], flag: String) throws -> [(String, String)] {
        try items.map { item in
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex, item.index(after: equals) != item.endIndex
            else { throw ValidationError("\(flag): '\(item)' is not name=value") }
            return (String(item[..<equals]), String(item[item.index(after: equals)...]))
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
