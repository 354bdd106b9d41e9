import Foundation
import PBProtocol
import Testing

extension X402ErrorCode {
    // How the lead adds PB's own codes from another file.
    fileprivate static let pbExampleOnly: Self = "pb_example_only"
}

@Suite("X402ErrorCode")
struct X402ErrorCodeTests {
    @Test func everyPackageCodeIsDeclared() {
        let declared = Set(X402ErrorCode.knownCodes.map(\.rawValue))
        #expect(X402Vectors.errorCodes.count >= 40)
        for code in X402Vectors.errorCodes {
            #expect(declared.contains(code), "missing \(code)")
        }
    }

    @Test func declaredCodesAreUniqueSnakeCase() {
        let raw = X402ErrorCode.knownCodes.map(\.rawValue)
        #expect(Set(raw).count == raw.count)
        #expect(raw.allSatisfy { $0.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" } })
    }

    @Test func specCodesHaveTheirWireSpelling() {
        #expect(X402ErrorCode.insufficientFunds.rawValue == "insufficient_funds")
        #expect(X402ErrorCode.invalidNetwork.rawValue == "invalid_network")
        #expect(X402ErrorCode.invalidX402Version.rawValue == "invalid_x402_version")
        #expect(X402ErrorCode.invalidExactEVMPayloadSignature.rawValue == "invalid_exact_evm_payload_signature")
    }

    @Test func unknownAndExtensionCodesSurviveDecoding() throws {
        let json = Data(#"{"isValid":false,"invalidReason":"pb_example_only"}"#.utf8)
        let response = try JSONDecoder().decode(VerifyResponse.self, from: json)
        #expect(response.invalidReason == .pbExampleOnly)
        #expect(!X402ErrorCode.knownCodes.contains(.pbExampleOnly))
    }
}
