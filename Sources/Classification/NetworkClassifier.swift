import Foundation
import Interchange
import KerasFormat
import NeatMS
import NeuralNet
import Support
import Tensor

/// The NeatMS network behind the data path: a Keras model file loaded once, checked once, and run on peak
/// matrices for `Experiment.predictPeaks`, `neatms predict --matrices` and `neatms threshold`.
///
/// Invariants:
/// - The model's input is (2, n, 1) for the matrix width n it was given, and its output has one value per
///   class name; both are checked in one place (`check`) when the model is loaded, and a model that fails
///   either check is never run.
/// - Loading may run on a thread of its own (`loadInBackground`), so that it overlaps reading the feature
///   table and the first samples (~20 ms of CPU for NeatMS's model: first-touch page faults, HDF5, JSON).
///   Every use waits for it; `waitUntilLoaded()` waits without throwing (to leave libhdf5 before exiting).
///   On one core a second thread gains nothing and only costs switches: the default then loads in `init`.
/// - Passes run on a pool of up to `concurrentCallers` copies of the network, one pass per copy at a time:
///   with several samples in flight, each worker runs its own passes on its own share of the cores (a pass
///   that waited for another's lock would leave that core idle, and a pass split across cores cannot get
///   a core that a worker is using to read a file); with one caller, the one copy splits its passes across
///   every core. A copy that fails to build frees its slot.
public final class NetworkClassifier: PeakClassifier, @unchecked Sendable {
    /// Where the class names come from, for the message when their count differs from the model's outputs.
    public enum ClassSource: Sendable {
        /// Names the user gave; `option` names how (e.g. `--classes`).
        case given(option: String)
        /// The classes of a data file (its `classes` attribute).
        case dataFile(String)
        /// NeatMS's three labels, assumed; `hint` tells how to name other classes (e.g. `give their names
        /// with --classes A,B,...`).
        case neatmsDefault(hint: String)
    }

    public let classes: [String]
    /// The model file, as the user gave it.
    public let modelFile: String
    /// The matrix width n of the (2, n, 1) inputs.
    public let matrixSize: Int
    /// Matrices per forward pass.
    public let batchSize: Int

    private let loaded = Ready<(model: Model, network: Network)>()
    private let pool = NSCondition()
    private var idle: [Network] = []
    private var made = 0
    private var copies = 1

    /// Loads `modelFile` (any full-model file `ModelFile` reads: Keras, ONNX, safetensors with its config), checks it against `matrixSize` and
    /// `classes`, and makes it ready for passes of `batchSize` matrices.
    /// - Parameters:
    ///   - matrices: where the matrices come from (e.g. a file name), for the message when their shape
    ///     differs from the model's input.
    ///   - warning: receives the loader's warnings (one line each, without the file name).
    ///   - loadInBackground: load on a thread of its own (default: when the process has more than one core).
    public init(
        modelFile: String, classes: [String], classSource: ClassSource, matrixSize: Int, matrices: String,
        batchSize: Int = 256,
        loadInBackground: Bool = Cores.available > 1, warning: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.modelFile = modelFile
        self.classes = classes
        self.matrixSize = matrixSize
        self.batchSize = batchSize
        let load: @Sendable () throws -> (model: Model, network: Network) = {
            let file = try ModelFile.load(URL(fileURLWithPath: modelFile))
            for line in file.warnings { warning(line) }
            let network = try Network(model: file.model)
            try Self.check(
                network, modelFile: modelFile, matrixSize: matrixSize, matrices: matrices, classes: classes,
                source: classSource)
            return (file.model, network)
        }
        if loadInBackground {
            let thread = Thread { [loaded] in loaded.set(Result { try load() }) }
            thread.stackSize = 8 << 20
            thread.start()
        } else {
            loaded.set(Result { try load() })
        }
    }

    /// Checks that `network` takes (2, `matrixSize`, 1) matrices and has one output per class name.
    /// - Throws: `ClassifierError` naming the model file (or, for a data file's classes, that file).
    public static func check(
        _ network: Network, modelFile: String, matrixSize: Int, matrices: String, classes: [String],
        source: ClassSource
    ) throws {
        try checkInput(network, modelFile: modelFile, sampleShape: [2, matrixSize, 1], matrices: matrices)
        try checkOutputs(network, modelFile: modelFile, classes: classes, source: source)
    }

    /// The one input-shape check: `network` takes samples of `sampleShape` — its input `(H, W, C)`, or
    /// `(H, W)` when `C` is 1. - Throws: `ClassifierError` naming the model file.
    public static func checkInput(_ network: Network, modelFile: String, sampleShape: [Int], matrices: String) throws {
        guard network.inputShape == sampleShape || network.inputShape == sampleShape + [1] else {
            // (N, H, W) data is (N, H, W, 1): say so in the model's terms.
            let shown = sampleShape.count + 1 == network.inputShape.count ? sampleShape + [1] : sampleShape
            throw ClassifierError(
                file: modelFile,
                problem:
                    "the model expects inputs \(shape(network.inputShape)) but \(matrices) holds matrices \(shape(shown))"
            )
        }
    }

    /// `network` has one output per name in `classes`. - Throws: `ClassifierError` naming the model file.
    public static func checkOutputs(_ network: Network, modelFile: String, classes: [String], source: ClassSource)
        throws
    {
        let outputs = network.outputShape.reduce(1, *)
        guard outputs == classes.count else {
            switch source {
            case .given(let option):
                throw ClassifierError(
                    file: modelFile,
                    problem: "\(option) lists \(classes.count) names but the model has \(outputs) outputs")
            case .dataFile(let file):
                throw ClassifierError(
                    file: modelFile,
                    problem: "the model has \(outputs) output classes but \(file) has \(classes.count) "
                        + "(\(classes.joined(separator: ", ")))")
            case .neatmsDefault(let hint):
                throw ClassifierError(
                    file: modelFile,
                    problem: "the model has \(outputs) outputs, not NeatMS's \(classes.count) classes: \(hint)")
            }
        }
    }

    /// `(N, a, b, c)` for a shape without its batch dimension.
    static func shape(_ dimensions: [Int]) -> String {
        "(N, " + dimensions.map(String.init).joined(separator: ", ") + ")"
    }

    /// Waits until loading has finished, whatever its outcome.
    public func waitUntilLoaded() { _ = loaded.wait() }

    /// Waits for loading and rethrows its error (a missing or unreadable model file, a failed check).
    public func checkLoaded() throws { _ = try loaded.wait().get() }

    public func prepare(concurrentCallers: Int) {
        pool.lock()
        copies = max(1, concurrentCallers)
        pool.unlock()
    }

    public func probabilities(_ matrices: SampleMatrices) throws -> [[Float]] {
        try probabilities(of: matrices.values, count: matrices.count)
    }

    /// One row of probabilities per matrix of `values` ((`count`, 2, n, 1) floats, row-major).
    public func probabilities(of values: [Float], count: Int) throws -> [[Float]] {
        let flat = try flatProbabilities(of: values, count: count)
        let k = classes.count
        return (0..<count).map { Array(flat[($0 * k)..<(($0 + 1) * k)]) }
    }

    /// The probabilities of `count` matrices as one (`count`, classes) row-major array.
    public func flatProbabilities(of values: [Float], count: Int) throws -> [Float] {
        let input = Tensor(shape: [count, 2, matrixSize, 1], scalars: values)
        let network = try acquire()
        defer { release(network) }
        return try network.predict(input, batchSize: batchSize).scalars
    }

    /// A copy of the network for one pass (waits for loading, and for a free copy when all are busy).
    private func acquire() throws -> Network {
        let (model, first) = try loaded.wait().get()
        pool.lock()
        while idle.isEmpty && made >= copies { pool.wait() }
        if let network = idle.popLast() {
            pool.unlock()
            return network
        }
        made += 1
        let isFirst = made == 1
        let threads = max(1, Cores.available / copies)
        pool.unlock()
        let network: Network
        do {
            network = isFirst ? first : try Network(model: model)
        } catch {
            pool.lock()
            made -= 1
            pool.signal()
            pool.unlock()
            throw error
        }
        network.threads = threads
        return network
    }

    private func release(_ network: Network) {
        pool.lock()
        idle.append(network)
        pool.signal()
        pool.unlock()
    }
}

/// A model that cannot serve as the classifier for the data at hand.
public struct ClassifierError: LocatedError, Equatable, Sendable {
    /// The model file (or data file) concerned, as the user gave it.
    public var file: String?
    public var problem: String

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }
}

/// A result that one thread sets once and others wait for.
private final class Ready<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<Value, any Error>?

    func set(_ value: Result<Value, any Error>) {
        condition.lock()
        result = value
        condition.broadcast()
        condition.unlock()
    }

    func wait() -> Result<Value, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result { return result }
            condition.wait()
        }
    }
}
