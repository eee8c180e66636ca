import ArgumentParser

struct Neatms: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neatms",
        abstract: "Use, fine-tune and convert the NeatMS peak-quality network.",
        subcommands: [SummaryCommand.self, InspectCommand.self, ConvertCommand.self, PredictCommand.self, ExtractCommand.self, DatasetCommand.self, ThresholdCommand.self])
}
Neatms.main()
