import ArgumentParser
import Foundation

@main
struct PB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pb",
        abstract: "Protocol Banks PB-Stream: programmable payments for the AI era.",
        discussion: """
            Amounts are decimal strings of whole tokens (0.01 USDC = 10000 base units), never floating point.
            The protocol is specified in docs/PROTOCOL.md.
            """,
        subcommands: [
            ServeCommand.self, KeygenCommand.self, GrantCommand.self, VoucherCommand.self, VerifyCommand.self,
            AgentCommand.self, MeterCommand.self, DemoCommand.self, SentinelCommand.self, LedgerCommand.self,
        ]
    )

    /// Runs the command; a usage error (a missing or malformed flag or argument) exits 2 with the usage text, like
    /// most Unix tools, so scripts can tell it from a refusal (1).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}

struct GrantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant", abstract: "Session grants: what an owner lets an agent's key spend.",
        subcommands: [GrantSignCommand.self])
}

struct VoucherCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voucher", abstract: "Payment vouchers signed by a session key.",
        subcommands: [VoucherSignCommand.self])
}
