import ArgumentParser
import Foundation
import Interchange
import KerasFormat
import NeuralNet

extension ModelFormat: ExpressibleByArgument {
    /// `--to` names: each format's own name, and `h5` for `keras-h5` (the name it had first).
    public init?(argument: String) {
        self.init(rawValue: argument == "h5" ? ModelFormat.kerasH5.rawValue : argument)
    }
}

extension KerasConfigStyle: ExpressibleByArgument {
    /// `--style` names: `keras2` (tf-keras 2.x, the default), `keras22` (Keras 2.2 era) and `keras3`
    /// (safetensors tensor names only).
    public init?(argument: String) {
        switch argument {
        case "keras2": self = .tfKeras2
        case "keras22": self = .keras22
        case "keras3": self = .keras3
        default: return nil
        }
    }

    public static var allValueStrings: [String] { ["keras2", "keras22", "keras3"] }
}

/// `neatms convert IN OUT`: between model file formats.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract:
            "Convert a model between Keras formats (.h5 full model, .keras, weights-only .h5), ONNX and safetensors.",
        discussion: """
            IN is any model file `neatms summary` reads; its format comes from its content (HDF5, ZIP, \
            safetensors) and else its name (.onnx); --from names it where neither tells (an ONNX file \
            with another name), and is checked against the content. Without --to the format follows OUT's name: \
            .h5 → full-model .h5, .keras → Keras 3 archive, .weights.h5 → Keras 3 weights, .onnx → ONNX, \
            .safetensors → safetensors; any other name needs --to. --to keras-weights-h5 writes Keras 2's \
            save_weights layout (the Keras 3 layout when OUT ends in .weights.h5). --style keras2 (default) \
            writes what tf-keras 2.x writes (loads in tf-keras and Keras 3); keras22 writes the Keras \
            2.2-era layout of NeatMS's bundled model (Keras 3 loads it only with compile=False). IN is never \
            overwritten; an existing OUT is replaced only with --force.

            A weights-only IN (Keras 2 `save_weights` .h5 or Keras 3 .weights.h5) needs --architecture \
            MODEL, any model file: its weights are replaced by IN's with Keras's rules, matching layers by \
            order (default) or by name (--by-name); weightless layers are skipped; a count or shape mismatch \
            is an error naming the layer and both shapes, or, with --skip-mismatch, a warning on stderr \
            and that layer keeps MODEL's weights.

            ONNX and safetensors: an ONNX OUT takes the graph input (N, H, W, C) as Keras does, opset 13 \
            (--opset 13-21) and a dynamic batch (--batch N for a fixed one); a safetensors OUT names tensors \
            <layer>/kernel (--style keras3: layers/<class>/vars/<i>) and keeps the Keras config in its \
            metadata. An ONNX IN is a file NeatMSKit or tf2onnx wrote; a safetensors IN without a Keras \
            config needs --architecture MODEL. Neither keeps optimizer state.
            """)

    @Argument(help: "The model to read.")
    var input: String

    @Argument(help: "The file to write.")
    var output: String

    @Option(
        help:
            "Output format: keras-h5 (or h5), keras, keras-weights-h5, keras-weights, onnx or safetensors (default: from OUT's name)."
    )
    var to: ModelFormat?

    @Option(
        help:
            "Input format, where IN's content and name do not tell it (an ONNX file not named .onnx): keras-h5, keras, keras-weights-h5, keras-weights, onnx or safetensors."
    )
    var from: ModelFormat?

    @Option(
        help:
            "Full-model .h5 layout: keras2 (tf-keras 2.x) or keras22 (Keras 2.2 era); safetensors tensor names: keras2 (<layer>/kernel) or keras3 (layers/<class>/vars/<i>)."
    )
    var style: KerasConfigStyle?

    @Option(help: "ONNX output: the opset, 13 (default) to 21.")
    var opset: Int?

    @Option(help: "ONNX output: the batch dimension, dynamic (default) or a fixed size.")
    var batch: String?

    @Flag(help: "Replace OUT if it exists.")
    var force = false

    @Flag(
        help:
            "Leave out the optimizer state (e.g. Adam's moments); the training config is kept, so training the file starts a fresh optimizer."
    )
    var dropOptimizerState = false

    @Option(
        help:
            "For a weights-only or safetensors IN: the model file whose architecture (and compile settings) receive IN's weights."
    )
    var architecture: String?

    @Flag(help: "With --architecture: match layers by name instead of by order.")
    var byName = false

    @Flag(
        help:
            "With --architecture: skip layers whose weight count or shapes differ (a warning each) instead of failing.")
    var skipMismatch = false

    func validate() throws {
        if architecture == nil, byName || skipMismatch {
            throw ValidationError("--by-name and --skip-mismatch apply only with --architecture")
        }
        let format = to ?? ModelFormat.implied(byName: URL(fileURLWithPath: output))
        if let style {
            let fits = format == .safetensors ? style != .keras22 : (format == .kerasH5 && style != .keras3)
            if !fits {
                throw ValidationError(
                    "--style keras2|keras22 applies to full-model .h5 output, keras2|keras3 to safetensors output")
            }
        }
        if architecture != nil, (from ?? ModelFormat.implied(byName: URL(fileURLWithPath: input))) == .onnx {
            throw ValidationError("--architecture does not apply to an ONNX input (it holds its architecture)")
        }
        if opset != nil || batch != nil, format != .onnx {
            throw ValidationError("--opset and --batch apply only to ONNX output")
        }
        if let opset, !ONNXExportOptions.supportedOpsets.contains(opset) {
            throw ValidationError("--opset must be 13 to 21, got \(opset)")
        }
        if let batch, batch != "dynamic", (Int(batch) ?? 0) < 1 {
            throw ValidationError("--batch must be 'dynamic' or a positive number, got '\(batch)'")
        }
    }

    func run() throws {
        try Diagnostics.reportingErrors {
            let inURL = URL(fileURLWithPath: try ModelNames.resolve(input))
            let outURL = URL(fileURLWithPath: output)
            try CommandSupport.checkOutputs(output)
            let layout = try ModelLayout.forWriting(to: outURL, format: to, style: style)
            if sameFile(inURL, outURL) {
                throw KerasFormatError("refusing to overwrite the input file", file: output)
            }
            if FileManager.default.fileExists(atPath: outURL.path), !force {
                throw KerasFormatError("already exists (use --force to replace it)", file: output)
            }
            var model: Model
            let source: String
            let inFormat = try ModelFile.format(of: inURL, given: from)
            if let architecture, inFormat != .safetensors {
                let base = try CommandSupport.loadModel(architecture)
                let loaded = try KerasWeightsFile.load(
                    inURL, into: base, matching: byName ? .byName : .byOrder, skipMismatch: skipMismatch)
                for warning in loaded.warnings { Diagnostics.warning("\(input): \(warning)") }
                model = loaded.model
                model.optimizerState = nil  // the moments belonged to the old weights
                source = "weights into the architecture of \(architecture)"
            } else {
                let base = try architecture.map { try CommandSupport.loadModel($0) }
                let loaded = try ModelFile.load(inURL, format: inFormat, architecture: base)
                for warning in loaded.warnings { Diagnostics.warning("\(input): \(warning)") }
                model = loaded.model
                source = loaded.source + (architecture.map { ", architecture of \($0)" } ?? "")
            }
            if dropOptimizerState { model.optimizerState = nil }
            let onnx = ONNXExportOptions(
                opset: opset ?? ONNXExportOptions.defaultOpset,
                batch: batch.flatMap(Int.init).map { .fixed($0) } ?? .dynamic)
            try ModelFile.write(model, to: outURL, layout: layout, options: ModelFile.WriteOptions(onnx: onnx))
            let written = layout.format == .onnx ? "ONNX opset \(onnx.opset), batch \(onnx.batch)" : "\(layout)"
            printResult("wrote \(output) (\(written)) from \(input) (\(source))\n")
        }
    }

    /// True when both paths name the same file (also through links or different spellings).
    private func sameFile(_ a: URL, _ b: URL) -> Bool {
        if a.standardizedFileURL.resolvingSymlinksInPath().path == b.standardizedFileURL.resolvingSymlinksInPath().path
        {
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
