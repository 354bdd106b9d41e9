import Foundation
import PBCore
import Testing

/// `pb verify` on documents signed by eth-account (a real wallet library), and on tampered copies.
@Suite struct VerifyCommandTests {
    /// Inside the vectors' grant validity window.
    static let vectorTime = "1764000100"

    @Test func ethAccountSignedGrantsVerify() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        for (index, grant) in SessionVectorFile.entries("grants").enumerated() {
            try runner.write("grant\(index).json", SessionVectorFile.signedDocument(grant))
            let result = try runner.run("verify", "grant\(index).json", "--at", Self.vectorTime)
            #expect(result.status == 0, "\(result.output)\(result.errorOutput)")
            #expect(result.output.hasPrefix("valid: SessionGrant \(grant["grantId"]?.stringValue ?? "?")"))
            #expect(result.output.contains(grant["owner"]?.stringValue ?? "?"))
        }
    }

    @Test func ethAccountSignedVouchersVerifyAgainstTheirGrant() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        try runner.write("grant.json", SessionVectorFile.signedDocument(SessionVectorFile.entries("grants")[0]))
        for (index, voucher) in SessionVectorFile.entries("vouchers").enumerated() {
            try runner.write("voucher\(index).json", SessionVectorFile.signedDocument(voucher))
            let result = try runner.run("verify", "voucher\(index).json", "--grant", "grant.json", "--at", Self.vectorTime)
            #expect(result.status == 0, "\(result.output)\(result.errorOutput)")
            #expect(result.output.hasPrefix("valid: PaymentVoucher \(voucher["voucherId"]?.stringValue ?? "?")"))
        }
    }

    @Test func tamperedDocumentsFailWithTheRightCode() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        try runner.write("grant.json", SessionVectorFile.signedDocument(SessionVectorFile.entries("grants")[0]))
        let tampered = SessionVectorFile.entries("tampered")
        #expect(tampered.count >= 10)
        for (index, entry) in tampered.enumerated() {
            try runner.write("tampered\(index).json", SessionVectorFile.signedDocument(entry))
            var arguments = ["verify", "tampered\(index).json", "--ignore-time"]
            if entry["kind"]?.stringValue == "voucher" { arguments += ["--grant", "grant.json"] }
            let result = try runner.run(arguments)
            let code = entry["expectedCode"]?.stringValue ?? "?"
            #expect(result.status == 1, "\(entry["name"]?.stringValue ?? ""): \(result.output)\(result.errorOutput)")
            #expect(result.output.hasPrefix("invalid: \(code):"), "\(entry["name"]?.stringValue ?? ""): \(result.output)")
        }
    }

    @Test func expiredGrantIsRefusedAtItsTime() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let grant = SessionVectorFile.entries("grants")[0]
        try runner.write("grant.json", SessionVectorFile.signedDocument(grant))
        let validUntil = grant["typedData"]?["message"]?["validUntil"]?.stringValue ?? "0"
        let late = try runner.run("verify", "grant.json", "--at", validUntil)
        #expect(late.status == 1)
        #expect(late.output.hasPrefix("invalid: pb_grant_expired:"))
        let early = try runner.run("verify", "grant.json", "--at", "1")
        #expect(early.output.hasPrefix("invalid: pb_grant_not_yet_valid:"))
    }

    @Test func unreadableInputGetsAClearError() throws {
        let runner = try CommandRunner()
        defer { runner.removeAll() }
        let missing = try runner.run("verify", "nothing.json")
        #expect(missing.status != 0)
        #expect(missing.errorOutput.contains("cannot read nothing.json"))
        try "{\"typedData\": 1".write(toFile: runner.path("broken.json"), atomically: true, encoding: .utf8)
        let broken = try runner.run("verify", "broken.json")
        #expect(broken.status != 0)
        #expect(broken.errorOutput.contains("broken.json is not JSON"))
        try runner.write("odd.json", .object([("typedData", .object([("primaryType", .string("Mail"))])), ("signature", .string("0x"))]))
        let odd = try runner.run("verify", "odd.json")
        #expect(odd.status == 1)
        #expect(odd.output.hasPrefix("invalid: invalid_payload: primaryType Mail is not a pb-session message"))
    }
}
