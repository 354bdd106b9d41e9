import ArgumentParser
import PBCrypto

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create a secp256k1 key (owner wallet, agent session key or gateway key).",
        discussion: "The key file is created with permissions 0600 and never overwritten unless --force.")

    @Option(name: .long, help: "Where to write the key file.")
    var out: String

    @Flag(name: .long, help: "Replace an existing key file (its key is lost).")
    var force = false

    func run() throws {
        let key = PrivateKey.random()
        do { try KeyFile.write(key, to: out, overwrite: force) } catch { throw CommandFailure(error.description) }
        print(key.address.checksummed)
    }
}
