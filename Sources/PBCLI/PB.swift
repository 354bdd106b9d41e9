import ArgumentParser

@main
struct PB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pb",
        abstract: "Protocol Banks PB-Stream: programmable payments for the AI era."
    )
}
