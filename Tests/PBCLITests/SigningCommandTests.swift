import Foundation
import PBCore
import Testing

/// The owner and agent workflow from the command line: keys, a grant, vouchers, and the errors people hit.
@Suite struct SigningCommandTests {
    static let usdc = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
    static let payee = "0x9f1B6b1E2c4a0a1c83c6af1Bd6E7f0a2b3C4d5e6"

    @Test func keygenWritesAnOwnerOnlyFileAndNeverOverwrites() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let created = try runner.run("keygen", "--out", "agent.key")
        #expect(created.status == 0)
        let address = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let attributes = try FileManager.default.attributesOfItem(atPath: runner.path("agent.key"))
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let file = try JSONValue.parse(try runner.read("agent.key"))
        #expect(file["address"]?.stringValue == address)
        let again = try runner.run("keygen", "--out", "agent.key")
        #expect(again.status != 0)
        #expect(again.errorOutput.contains("already exists"))
        #expect(try JSONValue.parse(try runner.read("agent.key")) == file)
    }

    @Test func grantAndVoucherSignedHereVerifyAndTamperingIsCaught() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let owner = try runner.run("keygen", "--out", "owner.key").output.trimmingCharacters(in: .newlines)
        let agent = try runner.run("keygen", "--out", "agent.key").output.trimmingCharacters(in: .newlines)
        let grant = try runner.run(
            "grant", "sign", "--key", "owner.key", "--session-key", agent, "--asset", Self.usdc, "--payee", Self.payee,
            "--service", "chat", "--total-limit", "50", "--per-payment-limit", "1", "--valid-days", "30",
            "--out", "grant.json")
        #expect(grant.status == 0, "\(grant.errorOutput)")
        let grantDocument = try JSONValue.parse(try runner.read("grant.json"))
        #expect(grantDocument["typedData"]?["message"]?["totalLimit"]?.stringValue == "50000000")
        #expect(grantDocument["typedData"]?["message"]?["owner"]?.stringValue == owner)
        let voucher = try runner.run(
            "voucher", "sign", "--key", "agent.key", "--grant", "grant.json", "--cumulative-amount", "0.01",
            "--sequence", "1", "--method", "POST", "--target", "/v1/chat", "--out", "voucher.json")
        #expect(voucher.status == 0, "\(voucher.errorOutput)")
        let verified = try runner.run("verify", "voucher.json", "--grant", "grant.json")
        #expect(verified.status == 0, "\(verified.output)")
        #expect(verified.output.contains("cumulative amount 0.01 (10000 base units)"))

        // Raising the amount after signing breaks the session key's signature.
        let raised = try runner.read("voucher.json").replacingOccurrences(
            of: "\"cumulativeAmount\":\"10000\"", with: "\"cumulativeAmount\":\"990000\"")
        try raised.write(toFile: runner.path("raised.json"), atomically: true, encoding: .utf8)
        let refused = try runner.run("verify", "raised.json", "--grant", "grant.json")
        #expect(refused.status == 1)
        #expect(refused.output.hasPrefix("invalid: pb_voucher_signature_invalid:"))
    }

    @Test func signingMistakesGetClearErrorsAndWriteNothing() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let agent = try runner.run("keygen", "--out", "agent.key").output.trimmingCharacters(in: .newlines)
        _ = try runner.run("keygen", "--out", "owner.key")
        let common = ["grant", "sign", "--key", "owner.key", "--session-key", agent, "--asset", Self.usdc]
        let cases: [([String], String)] = [
            (common + ["--total-limit", "50.0000001"], "at most 6 are allowed"),
            (common + ["--total-limit", "-5"], "--total-limit"),
            (common + ["--total-limit", "50", "--payee", "0x9F1b6B1e2C4A0A1c83c6aF1bD6E7F0a2b3C4d5E6"], "checksum"),
            (common + ["--total-limit", "1", "--per-payment-limit", "2"], "must not exceed totalLimit"),
            (common + ["--total-limit", "1", "--period-limit", "1"], "periodLimit and periodSeconds"),
        ]
        for (arguments, message) in cases {
            let result = try runner.run(arguments + ["--out", "grant.json"])
            #expect(result.status != 0, "\(arguments)")
            #expect(result.errorOutput.contains(message), "\(arguments): \(result.errorOutput)")
            #expect(!FileManager.default.fileExists(atPath: runner.path("grant.json")))
        }
        _ = try runner.run(common + ["--total-limit", "50", "--payee", Self.payee, "--out", "grant.json"])
        let wrongKey = try runner.run(
            "voucher", "sign", "--key", "owner.key", "--grant", "grant.json", "--cumulative-amount", "0.01",
            "--sequence", "1", "--window")
        #expect(wrongKey.status != 0)
        #expect(wrongKey.errorOutput.contains("but the grant is for session key \(agent)"))
        let overLimit = try runner.run(
            "voucher", "sign", "--key", "agent.key", "--grant", "grant.json", "--cumulative-amount", "51",
            "--sequence", "1", "--window")
        #expect(overLimit.errorOutput.contains("exceeds the grant's total limit"))
        let noBinding = try runner.run(
            "voucher", "sign", "--key", "agent.key", "--grant", "grant.json", "--cumulative-amount", "1", "--sequence", "1")
        #expect(noBinding.errorOutput.contains("--window"))
    }

    @Test func aKeyFileOthersCanReadIsRefused() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let agent = try runner.run("keygen", "--out", "agent.key").output.trimmingCharacters(in: .newlines)
        _ = try runner.run("keygen", "--out", "owner.key")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: runner.path("owner.key"))
        let result = try runner.run(
            "grant", "sign", "--key", "owner.key", "--session-key", agent, "--asset", Self.usdc, "--total-limit", "1")
        #expect(result.status != 0)
        #expect(result.errorOutput.contains("readable by others"))
        #expect(!result.errorOutput.contains(try JSONValue.parse(try runner.read("owner.key"))["privateKey"]?.stringValue ?? "?"))
    }

    @Test func chatbotDemoPaysThroughALiveGateway() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let result = try runner.run("demo", "chatbot", "--calls", "3", "--port", "0", "--exit", "--data-dir", runner.path("demo"))
        #expect(result.status == 0, "\(result.errorOutput)")
        #expect(result.output.contains("== Without payment: HTTP 402"))
        #expect(result.output.contains("scheme pb-session, amount 10000 base units"))
        #expect(result.output.contains("call 3: HTTP 200"))
        #expect(result.output.contains("spent 0.03 USDC remaining 49.97 USDC"))
        #expect(result.output.contains("The gateway's ledger: spent 0.03 USDC, remaining 49.97 USDC"))
        // The demo leaves keys and the grant for `pb agent call`, and the key files are private.
        let attributes = try FileManager.default.attributesOfItem(atPath: runner.path("demo/agent.key"))
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(FileManager.default.fileExists(atPath: runner.path("demo/grant.json")))
    }

    @Test func demoShowsPaymentsAndRefusesEveryForgery() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let result = try runner.run("demo", "--calls", "3", "--window-calls", "120")
        #expect(result.status == 0, "\(result.errorOutput)")
        #expect(result.output.contains("call 3: paid 0.01, spent 0.03, remaining 49.97"))
        #expect(result.output.contains("100 calls paid from 1 credit, spent 1.03, remaining 48.97"))
        #expect(!result.output.contains("ACCEPTED"))
        #expect(result.output.components(separatedBy: ": refused").count - 1 == 7)
    }
}
