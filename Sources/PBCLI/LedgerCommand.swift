import ArgumentParser
import Foundation
import PBCore
import PBGateway
import PBSettlement
import PBStoreSQLite

struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "The embedded settlement ledger (docs/SETTLEMENT.md).",
        subcommands: [LedgerCheckCommand.self])
}

/// Reads the gateway's data directory and checks the ledger and the settled totals; exit 1 on any violation.
struct LedgerCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the ledger: debits = credits per asset, no account below its floor, the journal replays "
            + "to the balances, and the gateway's settled totals agree with it.")

    @Option(name: .customLong("data-dir"), help: "The gateway's data directory (default: PB_DATA_DIR, pb.yaml's, ./.pb-data).")
    var dataDirectory: String?

    @Option(name: .long, help: "Configuration file (default: PB_CONFIG or ./pb.yaml).")
    var config: String?

    func run() async throws {
        let (configuration, _) = try GatewayLauncher.loadConfiguration(config: config)
        let directory = dataDirectory ?? configuration.dataDirectory
        let path = directory + "/" + GatewayLauncher.storeFileName
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure("no gateway database at \(path)")
        }
        let store = try SQLiteGatewayStore(path: path)
        let book = SettlementLedgerBook(chainId: configuration.chainId)
        let report = try await LedgerAudit(store: store, book: book).run()
        print("ledger: \(report.accountCount) accounts, \(report.transferCount) transfers")
        for (asset, totals) in report.ledger.totals.sorted(by: { $0.key < $1.key }) {
            let mark = totals.debits == totals.credits ? "=" : "!="
            print("  \(asset): debits \(totals.debits) \(mark) credits \(totals.credits) (base units)")
        }
        print(
            "channels: \(report.channelCount), charged \(report.chargedTotal), settled \(report.settledTotal), "
                + "unsettled \(report.unsettledTotal) (base units); open settlements \(report.openSettlements)")
        print("ledger: paid out \(report.paidOutTotal), fees \(report.feesTotal) (base units)")
        guard report.isClean else {
            for problem in report.problems { print("VIOLATION: \(problem)") }
            throw ExitCode(1)
        }
        print("ok: the ledger balances and agrees with the settled totals")
    }
}
