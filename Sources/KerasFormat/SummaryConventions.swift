import NeuralNet

extension LoadedModel {
    /// The Keras generation whose `model.summary()` a user of this file compares with: Keras 3 for files
    /// Keras 3 wrote (`.keras`, its legacy `.h5`, and ONNX/safetensors files carrying a Keras 3 config),
    /// Keras 2.2 for NeatMS-era files, tf-keras for the rest. (ONNX and safetensors files open in no Keras;
    /// theirs follows the dialect their reader records.)
    public var summaryStyle: SummaryStyle {
        switch format.style {
        case .keras3?: return .keras3
        case .keras22?: return .keras2
        case .tfKeras2?, nil: return .tfKeras
        }
    }

    /// The `Optimizer params` Keras 3 prints after `load_model(path)` (compile on), or nil where it prints
    /// none. Loading a `.keras` archive builds the optimizer: `iterations` (int64), the learning rate and
    /// each optimizer's slots for every trainable weight (Adam `m`, `v` and with amsgrad `vhat`; SGD with
    /// momentum one), all float32, whether or not the file stored their values. A legacy `.h5` gets an
    /// unbuilt optimizer with only the first two. Keras 3 cannot compile a Keras 2.2 config (`lr`) or a
    /// tf-keras loss stored under its short alias (`"mse"`, `"mae"`), so users load those with
    /// `compile=False`: no optimizer line.
    public func keras3OptimizerParameters() throws -> OptimizerParameters? {
        guard let compile = model.compile, format.format.isKeras else { return nil }
        if format.style == .keras22 { return nil }
        if format.format == .keras {
            let optimizer = compile.optimizer
            let slotsPerWeight: Int
            switch optimizer.kind {
            case .adam: slotsPerWeight = optimizer.amsgrad ? 3 : 2
            case .sgd: slotsPerWeight = optimizer.momentum != 0 ? 1 : 0
            }
            let architecture = model.architecture
            let counts = try architecture.parameterCounts()
            let trainable = zip(architecture.layers, counts).reduce(0) { $0 + ($1.0.trainable ? $1.1 : 0) }
            let slots = slotsPerWeight * trainable
            return OptimizerParameters(count: 2 + slots, bytes: 8 + 4 + 4 * slots)
        }
        if format.style != .keras3, ["mse", "mae"].contains(compile.loss) { return nil }
        return OptimizerParameters(count: 2, bytes: 12)
    }
}
