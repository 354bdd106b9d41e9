import ArgumentParser

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
            AgentCommand.self, DemoCommand.self, SentinelCommand.self, LedgerCommand.self,
        ]
    )
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
