import Foundation
import KerasFormat
import NeatMS
import NeuralNet
import Support
import Tensor
import TestSupport
import Testing

@testable import Classification

/// `NetworkClassifier` runs the model exactly as the engine does, whatever its pool and loading thread,
/// and refuses a model that does not fit the matrices or the class names, naming the model file.
@Suite struct NetworkClassifierTests {
    /// The reduced NeatMS network (matrix width 16, three classes) that the Keras fixtures hold.
    static let model = TestPaths.fixture("keras/reduced_tfkeras2_full.h5").path
    static let classes = NeatMSClasses.names

    /// 37 deterministic (2, 16, 1) matrices: intensities in [0, 1] and a 0/1 window row.
    static func matrices(count: Int = 37, size: Int = 16) -> [Float] {
        var values: [Float] = []
        for m in 0..<count {
            for j in 0..<size { values.append(Float((m * 7 + j * 3) % 11) / 10) }
            for j in 0..<size { values.append(j >= m % 5 && j < size - m % 3 ? 1 : 0) }
        }
        return values
    }

    /// What the engine itself gives for the same matrices in one pass.
    static func engine(_ values: [Float], count: Int) throws -> [Float] {
        let network = try Network(model: try KerasModelFile.read(URL(fileURLWithPath: model)))
        return try network.predict(Tensor(shape: [count, 2, 16, 1], scalars: values), batchSize: 256).scalars
    }

    private func classifier(background: Bool, classes: [String] = classes) -> NetworkClassifier {
        NetworkClassifier(
            modelFile: Self.model, classes: classes, classSource: .given(option: "--classes"), matrixSize: 16,
            matrices: "the test matrices", loadInBackground: background)
    }

    @Test(arguments: [false, true])
    func probabilitiesEqualTheEngine(background: Bool) throws {
        let values = Self.matrices()
        let expected = try Self.engine(values, count: 37)
        let classifier = classifier(background: background)
        let rows = try classifier.probabilities(of: values, count: 37)
        #expect(rows.count == 37)
        #expect(rows.allSatisfy { $0.count == 3 })
        #expect(rows.flatMap { $0 } == expected)
        #expect(try classifier.flatProbabilities(of: values, count: 37) == expected)
    }

    /// Four callers at once on a pool of two copies: every caller gets its own rows (no copy is shared by
    /// two passes at a time, or the rows would mix).
    @Test func concurrentCallersGetTheirOwnRows() throws {
        let classifier = classifier(background: true)
        classifier.prepare(concurrentCallers: 2)
        let inputs = (0..<8).map { k in Self.matrices(count: 5 + k) }
        let expected = try inputs.enumerated().map { try Self.engine($1, count: 5 + $0) }
        let results = Results(count: inputs.count)
        DispatchQueue.concurrentPerform(iterations: inputs.count) { k in
            results.set(k, Result { try classifier.flatProbabilities(of: inputs[k], count: 5 + k) })
        }
        for k in inputs.indices {
            #expect(try results.get(k) == expected[k], "caller \(k)")
        }
    }

    @Test func aWrongMatrixWidthNamesTheModelFile() {
        let classifier = NetworkClassifier(
            modelFile: Self.model, classes: Self.classes, classSource: .given(option: "--classes"), matrixSize: 120,
            matrices: "x.h5", loadInBackground: true)
        #expect(
            throws: ClassifierError(
                file: Self.model,
                problem: "the model expects inputs (N, 2, 16, 1) but x.h5 holds matrices (N, 2, 120, 1)")
        ) {
            try classifier.checkLoaded()
        }
    }

    @Test func aWrongClassCountSaysWhereTheNamesCameFrom() {
        let given = classifier(background: false, classes: ["A", "B"])
        #expect(
            throws: ClassifierError(file: Self.model, problem: "--classes lists 2 names but the model has 3 outputs")
        ) {
            try given.checkLoaded()
        }
        let fromData = NetworkClassifier(
            modelFile: Self.model, classes: ["Bad", "Good"], classSource: .dataFile("peaks.h5"), matrixSize: 16,
            matrices: "peaks.h5", loadInBackground: false)
        #expect(
            throws: ClassifierError(
                file: Self.model, problem: "the model has 3 output classes but peaks.h5 has 2 (Bad, Good)")
        ) {
            try fromData.checkLoaded()
        }
        #expect(throws: (any Error).self) { try fromData.probabilities(of: Self.matrices(count: 1), count: 1) }
    }

    /// The CLI prints every error through `LocatedError`: the model file first, then the problem.
    @Test func classifierErrorsAreLocated() {
        let error: any LocatedError = ClassifierError(file: "m.h5", problem: "the model has 3 outputs")
        #expect(error.description == "m.h5: the model has 3 outputs")
        #expect(error.withoutFile == "the model has 3 outputs")
    }

    @Test func aMissingModelFileIsAnErrorOfEveryUse() {
        let classifier = NetworkClassifier(
            modelFile: "no-such-model.h5", classes: Self.classes, classSource: .given(option: "--classes"),
            matrixSize: 16, matrices: "the test matrices", loadInBackground: true)
        classifier.waitUntilLoaded()
        #expect(throws: KerasFormatError.self) { try classifier.checkLoaded() }
        #expect(throws: KerasFormatError.self) { try classifier.probabilities(of: Self.matrices(count: 1), count: 1) }
    }
}

/// Results written by concurrent callers.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Result<[Float], any Error>?]
    init(count: Int) { stored = Array(repeating: nil, count: count) }
    func set(_ k: Int, _ value: Result<[Float], any Error>) {
        lock.lock()
        stored[k] = value
        lock.unlock()
    }
    func get(_ k: Int) throws -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        return try stored[k]!.get()
    }
}
