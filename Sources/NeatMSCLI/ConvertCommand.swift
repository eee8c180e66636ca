import ArgumentParser
import Foundation
import KerasFormat
import NeuralNet

/// `neatms convert IN OUT`: between Keras model-file formats.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a model between Keras formats (.h5 full model, .keras, weights-only .h5).",
        discussion: """
            IN is any model file `neatms summary` reads. Without --to the format follows OUT's name: \
            .keras → Keras 3 archive, anything else → full-model .h5. --to keras-weights-h5 writes weights \
            only: the Keras 3 layout when OUT ends in .weights.h5, else Keras 2's save_weights layout. \
            --style keras2 (default) writes what tf-keras 2.x writes (loads in tf-keras and Keras 3); \
            keras22 writes the Keras 2.2-era layout of NeatMS's bundled model (Keras 3 loads it only with \
            compile=False). IN is never overwritten; an existing OUT is replaced only with --force.

            A weights-only IN (Keras 2 `save_weights` .h5 or Keras 3 .weights.h5) needs --architecture \
            MODEL, any model file: its weights are replaced by IN's with Keras's rules, matching layers by \
            order (default) or by name (--by-name); weightless layers are skipped; a count or shape mismatch \
            is an error naming the layer and both shapes, or, with --skip-mismatch, a warning on stderr \
            and that layer keeps MODEL's weights.
            """)

    enum Target: String, ExpressibleByArgument, CaseIterable {
        case h5, keras
        case kerasWeightsH5 = "keras-weights-h5"
    }

    enum Style: String, ExpressibleByArgument, CaseIterable {
        case keras2, keras22
    }

    @Argument(help: "The model to read.")
    var input: String

    @Argument(help: "The file to write.")
    var output: String

    @Option(help: "Output format: h5, keras or keras-weights-h5 (default: from OUT's name).")
    var to: Target?

    @Option(help: "Full-model .h5 layout: keras2 (tf-keras 2.x) or keras22 (Keras 2.2 era).")
    var style: Style?

    @Flag(help: "Replace OUT if it exists.")
    var force = false

    @Flag(help: "Leave out the optimizer state (e.g. Adam's moments); the training config is kept, so training the file starts a fresh optimizer.")
    var dropOptimizerState = false

    @Option(help: "For a weights-only IN: the model file whose architecture (and compile settings) receive IN's weights.")
    var architecture: String?

    @Flag(help: "With --architecture: match layers by name instead of by order.")
    var byName = false

    @Flag(help: "With --architecture: skip layers whose weight count or shapes differ (a warning each) instead of failing.")
    var skipMismatch = false

    func validate() throws {
        if architecture == nil, byName || skipMismatch {
            throw ValidationError("--by-name and --skip-mismatch apply only with --architecture")
        }
        if style != nil, (to ?? (output.lowercased().hasSuffix(".keras") ? .keras : .h5)) != .h5 {
            throw ValidationError("--style applies only to full-model .h5 output (--to h5)")
        }
    }

    func run() throws {
        try Diagnostics.reportingErrors(paths: [input, output] + (architecture.map { [$0] } ?? [])) {
            let inURL = URL(fileURLWithPath: try ModelNames.resolve(input))
            let outURL = URL(fileURLWithPath: output)
            try CommandSupport.checkOutputs(output)
            if sameFile(inURL, outURL) {
                throw KerasFormatError("refusing to overwrite the input file", file: output)
            }
            if FileManager.default.fileExists(atPath: outURL.path), !force {
                throw KerasFormatError("already exists (use --force to replace it)", file: output)
            }
            var model: Model
            let source: String
            if let architecture {
                let base = try KerasModelFile.load(URL(fileURLWithPath: try ModelNames.resolve(architecture)))
                for warning in base.warnings { Diagnostics.warning("\(architecture): \(warning)") }
                let loaded = try KerasWeightsFile.load(
                    inURL, into: base.model, matching: byName ? .byName : .byOrder, skipMismatch: skipMismatch)
                for warning in loaded.warnings { Diagnostics.warning("\(input): \(warning)") }
                model = loaded.model
                model.optimizerState = nil  // the moments belonged to the old weights
                source = "weights into the architecture of \(architecture)"
            } else {
                let loaded = try KerasModelFile.load(inURL)
                for warning in loaded.warnings { Diagnostics.warning("\(input): \(warning)") }
                model = loaded.model
                source = "\(loaded.format)"
            }
            if dropOptimizerState { model.optimizerState = nil }
            let format: KerasOutputFormat
            switch to {
            case nil:
                format = outURL.lastPathComponent.lowercased().hasSuffix(".keras") ? .keras : .h5(style == .keras22 ? .keras22 : .tfKeras2)
            case .h5?: format = .h5(style == .keras22 ? .keras22 : .tfKeras2)
            case .keras?: format = .keras
            case .kerasWeightsH5?:
                format = outURL.lastPathComponent.lowercased().hasSuffix(".weights.h5") ? .keras3WeightsH5 : .keras2WeightsH5
            }
            try KerasModelFile.write(model, to: outURL, format: format)
            printResult("wrote \(output) (\(describe(format))) from \(input) (\(source))\n")
        }
    }

    private func describe(_ format: KerasOutputFormat) -> String {
        switch format {
        case .h5(.keras22): return "Keras 2.2-style full-model .h5"
        case .h5: return "tf-keras 2-style full-model .h5"
        case .keras: return "Keras 3 .keras archive"
        case .keras2WeightsH5: return "Keras 2 weights-only .h5"
        case .keras3WeightsH5: return "Keras 3 .weights.h5"
        }
    }

    /// True when both paths name the same file (also through links or different spellings).
    private func sameFile(_ a: URL, _ b: URL) -> Bool {
        if a.standardizedFileURL.resolvingSymlinksInPath().path == b.standardizedFileURL.resolvingSymlinksInPath().path {
            return true
        }
        guard let x = try? FileManager.default.attributesOfItem(atPath: a.path),
            let y = try? FileManager.default.attributesOfItem(atPath: b.path),
            let xi = x[.systemFileNumber] as? NSNumber, let yi = y[.systemFileNumber] as? NSNumber,
            let xd = x[.systemNumber] as? NSNumber, let yd = y[.systemNumber] as? NSNumber
        else { return false }
        return xi == yi && xd == yd
    }
}
