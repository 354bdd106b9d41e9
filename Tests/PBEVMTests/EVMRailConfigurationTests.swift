import Foundation
import PBCrypto
import PBEVMRail
import Testing

/// The settlement key is read only from a file its owner alone can read, and never shows in a description.
@Suite struct EVMRailConfigurationTests {
    func configuration(keyFile: String) -> EVMRailConfiguration {
        EVMRailConfiguration(
            chainId: 31337, rpcURL: "http://127.0.0.1:8545/?apikey=hidden", contract: PrivateKey.random().address,
            token: PrivateKey.random().address, signerKeyFile: keyFile)
    }

    @Test func theKeyIsLoadedFromAPrivateFileAndNeverDescribed() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pb-settlement-\(UUID()).key").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let key = PrivateKey.random()
        try KeyFile.write(key, to: path)
        let configuration = configuration(keyFile: path)
        try configuration.validate()
        let loaded = try configuration.loadSigner()
        #expect(loaded.address == key.address)
        let secretHex = String(key.hex.dropFirst(2))
        for text in [configuration.description, String(reflecting: configuration), "\(loaded)", String(reflecting: loaded)] {
            #expect(!text.lowercased().contains(secretHex.lowercased()), "a description shows the key: \(text)")
        }
        #expect(!configuration.description.contains("hidden"))

        // A key file others can read is refused, naming the field and the fix.
        chmod(path, 0o644)
        #expect {
            _ = try configuration.loadSigner()
        } throws: { error in
            let error = error as? EVMRailConfigurationError
            return error?.field == "evm.signerKeyFile" && error?.message.contains("chmod 600") == true
        }
    }

    @Test func requiredFieldsAreNamedWhenMissing() {
        #expect {
            _ = try EVMRailConfiguration(fields: ["chainId": "1", "rpcUrl": "http://127.0.0.1:1"])
        } throws: { error in
            (error as? EVMRailConfigurationError)?.field == "evm.contract"
        }
        #expect {
            _ = try EVMRailConfiguration(fields: [
                "chainId": "0", "rpcUrl": "http://x", "contract": "0x", "token": "0x", "signerKeyFile": "k",
            ])
        } throws: { error in
            (error as? EVMRailConfigurationError)?.field == "evm.chainId"
        }
    }
}
