import Foundation

/// Records model files that tests wrote, for the Python interop check (`Scripts/interop/interop_check.py`,
/// run by `Scripts/test` after `swift test`), which loads each one with real tf-keras and Keras 3.
///
/// Files live in `NEATMSKIT_INTEROP_DIR` (``TestPaths/interopOutputDirectory``); each entry is one JSON
/// file in `<dir>/manifest.d/`, so tests running in parallel never write the same file. When the variable
/// is unset (a plain `swift test`), nothing is recorded and ``outputURL(_:)`` returns nil.
///
/// ```swift
/// if let out = InteropManifest.outputURL("convert_tfkeras2_to_h5.h5") {
///     try writer.write(model, to: out)
///     try InteropManifest.record(file: out, source: "Fixtures/keras/reduced_tfkeras2_full.h5", kind: .h5)
/// }
/// ```
/// The entry format is documented at the top of `Scripts/interop/interop_check.py` and in `Scripts/README.md`.
public enum InteropManifest {
    /// How the interop check opens a file.
    public enum Kind: String, Sendable, Codable {
        /// Full model `.h5` in the Keras 2 legacy layout: opened with `tf_keras` and Keras 3 `load_model`.
        case h5
        /// Keras 3 `.keras` archive: opened with Keras 3 `load_model`.
        case keras
        /// Weights-only file, loaded with `model.load_weights` into the architecture of `source`
        /// (Keras 3 layout when the name ends in `.weights.h5`, else the Keras 2 layout).
        case weightsH5 = "weights_h5"
        /// Plain HDF5 (e.g. a predictions or peaks file): checked with h5py against `expect`, and with a
        /// `source`, every dataset and attribute of the source (types, shapes, values bit for bit).
        case hdf5
        /// ONNX model: checked with `onnx.checker` and run with onnxruntime on `expect.predictionsFile`'s `X`,
        /// whose `P` (NeatMSKit's outputs) it must match within `atol` (default 1e-5).
        case onnx
        /// safetensors file: read with the `safetensors` package (numpy); every tensor bit-identical to the
        /// `source` Keras model's weight of that name; a Keras model config in the metadata builds in Keras 3.
        case safetensors
    }

    /// What the interop check verifies beyond loading. All fields are optional.
    public struct Expectation: Sendable, Codable, Equatable {
        /// Weights bit-identical to the source's and predictions within 1e-5 (default: true when a source
        /// is given). Set false for a model trained from the source.
        public var sameWeights: Bool?
        /// An HDF5 file in the interop directory with float32 `X` (N, 2, n[, 1]) and `P` (N, k), NeatMSKit's
        /// predictions; Keras's predictions of `X` must agree within `atol` (default 1e-5).
        public var predictionsFile: String?
        public var atol: Double?
        /// Number of output classes.
        public var classes: Int?
        /// Optimizer class tf-keras restores with `compile=True` ("Adam" or "SGD"), its learning rate and
        /// iteration count.
        public var optimizer: String?
        public var learningRate: Double?
        public var optimizerIterations: Int?
        /// tf-keras restores slot variables bit-identical to those it restores from the source.
        public var optimizerStateFromSource: Bool?
        /// tf-keras restores every optimizer slot stored in the file bit-identical and can continue
        /// training from it (one `train_on_batch` step advances the iteration count by one).
        public var optimizerStateRestored: Bool?
        /// Layer trainable flags after loading, by layer name.
        public var trainable: [String: Bool]?
        /// For `.hdf5`: datasets by path.
        public var datasets: [String: DatasetExpectation]?
        /// For `.hdf5`: attribute values by object path ("/" for the root), then attribute name.
        public var attributes: [String: [String: InteropValue]]?
        /// For `.hdf5` with a source (compared object by object): paths (`/data/i16`) and attributes
        /// (`/@bool_scalar`, `/group@name`) of the source that the file need not have.
        public var ignore: [String]?

        public init(
            sameWeights: Bool? = nil, predictionsFile: String? = nil, atol: Double? = nil, classes: Int? = nil,
            optimizer: String? = nil, learningRate: Double? = nil, optimizerIterations: Int? = nil,
            optimizerStateFromSource: Bool? = nil, optimizerStateRestored: Bool? = nil,
            trainable: [String: Bool]? = nil,
            datasets: [String: DatasetExpectation]? = nil, attributes: [String: [String: InteropValue]]? = nil,
            ignore: [String]? = nil
        ) {
            self.sameWeights = sameWeights
            self.predictionsFile = predictionsFile
            self.atol = atol
            self.classes = classes
            self.optimizer = optimizer
            self.learningRate = learningRate
            self.optimizerIterations = optimizerIterations
            self.optimizerStateFromSource = optimizerStateFromSource
            self.optimizerStateRestored = optimizerStateRestored
            self.trainable = trainable
            self.datasets = datasets
            self.attributes = attributes
            self.ignore = ignore
        }

        enum CodingKeys: String, CodingKey {
            case sameWeights = "same_weights"
            case predictionsFile = "predictions_file"
            case atol, classes, optimizer
            case learningRate = "learning_rate"
            case optimizerIterations = "optimizer_iterations"
            case optimizerStateFromSource = "optimizer_state_from_source"
            case optimizerStateRestored = "optimizer_state_restored"
            case trainable, datasets, attributes, ignore
        }
    }

    /// Expected dtype (numpy name, e.g. "float32"), shape and optionally values (flattened, within `atol`).
    public struct DatasetExpectation: Sendable, Codable, Equatable {
        public var dtype: String?
        public var shape: [Int]?
        public var values: [Double]?
        public var atol: Double?

        public init(dtype: String? = nil, shape: [Int]? = nil, values: [Double]? = nil, atol: Double? = nil) {
            self.dtype = dtype
            self.shape = shape
            self.values = values
            self.atol = atol
        }
    }

    /// A JSON value for attribute expectations.
    public enum InteropValue: Sendable, Codable, Equatable {
        case string(String)
        case number(Double)
        case strings([String])
        case numbers([Double])

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .string(let v): try c.encode(v)
            case .number(let v): try c.encode(v)
            case .strings(let v): try c.encode(v)
            case .numbers(let v): try c.encode(v)
            }
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(String.self) {
                self = .string(v)
            } else if let v = try? c.decode(Double.self) {
                self = .number(v)
            } else if let v = try? c.decode([String].self) {
                self = .strings(v)
            } else {
                self = .numbers(try c.decode([Double].self))
            }
        }
    }

    /// One manifest entry, as written to `manifest.d/<id>.json`.
    public struct Entry: Sendable, Codable, Equatable {
        public var file: String
        public var kind: Kind
        public var source: String?
        public var architecture: String?
        public var test: String?
        public var expect: Expectation?

        public init(
            file: String, kind: Kind, source: String?, architecture: String? = nil, test: String? = nil,
            expect: Expectation? = nil
        ) {
            self.file = file
            self.kind = kind
            self.source = source
            self.architecture = architecture
            self.test = test
            self.expect = expect
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(file, forKey: .file)
            try c.encode(kind, forKey: .kind)
            try c.encode(source, forKey: .source)  // explicit null: "made from nothing"
            try c.encodeIfPresent(architecture, forKey: .architecture)
            try c.encodeIfPresent(test, forKey: .test)
            try c.encodeIfPresent(expect, forKey: .expect)
        }

        enum CodingKeys: String, CodingKey { case file, kind, source, architecture, test, expect }
    }

    /// The interop directory, or nil when `NEATMSKIT_INTEROP_DIR` is unset.
    public static var directory: URL? { TestPaths.interopOutputDirectory }

    /// Where a test should write a file the interop check will load: `<dir>/<name>`, or nil when the
    /// check is not running. `name` must be unique across the test suite (use the test's name in it).
    public static func outputURL(_ name: String) -> URL? {
        directory?.appendingPathComponent(name)
    }

    /// Records `file` (which must be inside the interop directory) for the interop check.
    ///
    /// - Parameters:
    ///   - source: the fixture it was made from, relative to the package root (e.g.
    ///     `"Fixtures/keras/reduced_tfkeras2_full.h5"`), or nil for a model NeatMSKit created or trained.
    ///   - test: shown next to the file in the check's output (defaults to the calling function).
    /// Does nothing when the interop directory is not set.
    public static func record(
        file: URL, source: String?, kind: Kind, architecture: String? = nil, expect: Expectation? = nil,
        test: String = #function, caller: String = #fileID
    ) throws {
        guard let dir = directory else { return }
        let dirPath = dir.standardizedFileURL.path
        let filePath = file.standardizedFileURL.path
        let relative = filePath.hasPrefix(dirPath + "/") ? String(filePath.dropFirst(dirPath.count + 1)) : filePath
        let label = "\(caller.split(separator: "/").first.map(String.init) ?? caller).\(test)"
        let entry = Entry(
            file: relative, kind: kind, source: source, architecture: architecture, test: label,
            expect: expect)
        try write(entry, in: dir)
    }

    /// Writes one entry atomically as `<dir>/manifest.d/<uuid>.json`.
    static func write(_ entry: Entry, in dir: URL) throws {
        let manifestDir = dir.appendingPathComponent("manifest.d", isDirectory: true)
        try FileManager.default.createDirectory(at: manifestDir, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(entry)
        let name = UUID().uuidString
        let temporary = manifestDir.appendingPathComponent(".\(name).tmp")
        try data.write(to: temporary)
        try FileManager.default.moveItem(at: temporary, to: manifestDir.appendingPathComponent("\(name).json"))
    }
}
