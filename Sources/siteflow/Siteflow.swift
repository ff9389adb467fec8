import ArgumentParser

@main
struct Siteflow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "siteflow", abstract: "Siteflow node")
    func run() throws {}
}
