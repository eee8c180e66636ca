import Classification
import Foundation
import KerasFormat
import NeatMS
import NeuralNet
import Support
import Tensor

/// One retraining round's outcome.
public struct RetrainRound: Codable, Sendable, Equatable {
    public var round: Int
    /// Labelled peaks with a matrix, trained on and held out.
    public var trained: Int
    public var heldOut: Int
    /// Share of the held-out peaks the fine-tuned model labels as the labeller did.
    public var heldOutAccuracy: Double
    public var epochs: Int
    public var seconds: Double
}

/// Retraining state for the page.
public struct RetrainStatus: Codable, Sendable, Equatable {
    public var running: Bool
    public var rounds: [RetrainRound]
    /// The last round's error, if it failed.
    public var error: String?
}

/// The session's model: the file given with `--model` (checked once by `NetworkClassifier.check`), its
/// probabilities per peak, and fine-tuned versions of it.
///
/// Retraining (NeatMS's transfer learning, as `neatms train --freeze-first 4`): each round starts again
/// from the model file, freezes its input layer and convolutional base, and trains the classifier with
/// Adam (lr 1e-4, `epochs` epochs, batches of 32) on the labelled peaks except a seeded fifth held out,
/// whose accuracy is reported. The fine-tuned network then gives the probabilities.
final class SessionModel: Sendable {
    let path: String
    let classes: [String]
    let matrixSize: Int
    let base: Model
    /// Training settings.
    let epochs: Int
    let learningRate: Float
    let heldOutShare: Double
    private struct State {
        var network: Network
        var round = 0
        var fineTuned = false
        var confidence: [Int: Float] = [:]
        var probabilities: [Int: [Float]] = [:]
        var status = RetrainStatus(running: false, rounds: [], error: nil)
    }
    private let state: Locked<State>

    init(path: String, classes: [String], matrixSize: Int, matrices: String, epochs: Int = 30) throws {
        self.path = path
        self.classes = classes
        self.matrixSize = matrixSize
        self.epochs = epochs
        learningRate = 1e-4
        heldOutShare = 0.2
        do {
            base = try KerasModelFile.load(URL(fileURLWithPath: path)).model
            let network = try Network(model: base)
            try NetworkClassifier.check(
                network, modelFile: path, matrixSize: matrixSize, matrices: matrices, classes: classes,
                source: .given(option: "--classes"))
            state = Locked(State(network: network))
        } catch let error as ClassifierError {
            throw AnnotationError(file: error.file ?? path, problem: error.problem)
        } catch let error as KerasFormatError {
            throw AnnotationError(file: path, problem: error.problem)
        } catch {
            throw AnnotationError(file: path, problem: "\(error)")
        }
    }

    /// The highest class probability of `peak`, when computed.
    func confidence(of peak: Int) -> Float? { state.withLock { $0.confidence[peak] } }

    /// The current network's probabilities for one peak (cached until the next round).
    func probabilities(of peak: Int, window: PeakWindow, scans: MS1Scans, options: MatrixOptions) throws -> [Float]? {
        if let known = state.withLock({ $0.probabilities[peak] }) { return known }
        guard case .valid(let values, _) = PeakMatrixBuilder.matrix(for: window, in: scans, options: options) else {
            return nil
        }
        let row = try state.withLock { state -> [Float] in
            let output = try state.network.predict(Tensor(shape: [1, 2, matrixSize, 1], scalars: values), batchSize: 1)
            state.probabilities[peak] = output.scalars
            state.confidence[peak] = output.scalars.max()
            return output.scalars
        }
        return row
    }

    /// Computes every valid peak's probabilities with the current network, sample by sample, on a thread of
    /// its own; calls `done` when finished.
    func predictAllInBackground(session: AnnotationSession, done: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            try? predictAll(session: session)
            done()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func predictAll(session: AnnotationSession) throws {
        let experiment = session.experiment
        for sample in experiment.table.samples.indices {
            let scans = try session.scans.scans(sample)
            let matrices = SampleMatrices(
                table: experiment.table, sample: sample, scans: scans, options: session.options.matrixOptions)
            guard matrices.count > 0 else { continue }
            try state.withLock { state in
                let output = try state.network.predict(
                    Tensor(shape: [matrices.count, 2, matrixSize, 1], scalars: matrices.values), batchSize: 64
                ).scalars
                let k = classes.count
                for (i, peak) in matrices.peaks.enumerated() {
                    let row = Array(output[(i * k)..<((i + 1) * k)])
                    state.probabilities[peak] = row
                    state.confidence[peak] = row.max()
                }
            }
        }
    }

    var status: RetrainStatus { state.withLock { $0.status } }

    /// Starts a round on a thread of its own with `labelled` (peak, label) pairs; calls `done` after the new
    /// network's probabilities are computed.
    /// - Throws: `AnnotationError` while a round runs or with fewer than 10 labelled peaks.
    func retrain(
        session: AnnotationSession, labelled: [(peak: Int, label: String)], done: @escaping @Sendable () -> Void
    ) throws {
        guard labelled.count >= 10 else {
            throw AnnotationError(
                file: "", problem: "retraining needs at least 10 labelled peaks (have \(labelled.count))")
        }
        let round = try state.withLock { state -> Int in
            guard !state.status.running else {
                throw AnnotationError(file: "", problem: "a retraining round is already running")
            }
            state.status.running = true
            state.status.error = nil
            state.round += 1
            return state.round
        }
        let pairs = labelled.map { ($0.peak, $0.label) }
        let thread = Thread { [self] in
            do {
                let (network, result) = try train(session: session, labelled: pairs, round: round)
                state.withLock { state in
                    state.network = network
                    state.fineTuned = true
                    state.probabilities = [:]
                    state.confidence = [:]
                    state.status.rounds.append(result)
                }
                try predictAll(session: session)
                state.withLock { $0.status.running = false }
                done()
            } catch {
                state.withLock { state in
                    state.status.running = false
                    state.status.error = "\(error)"
                }
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// One round: matrices of the labelled peaks, a seeded held-out fifth, the frozen-base fine-tuning.
    func train(session: AnnotationSession, labelled: [(Int, String)], round: Int) throws -> (Network, RetrainRound) {
        let started = Date()
        let table = session.experiment.table
        var values: [Float] = []
        var y: [Int] = []
        for (peak, label) in labelled {
            guard let classIndex = classes.firstIndex(of: label), let window = table.peaks[peak].window else {
                continue
            }
            let scans = try session.scans.scans(table.peaks[peak].sample)
            if case .valid(let matrix, _) = PeakMatrixBuilder.matrix(
                for: window, in: scans, options: session.options.matrixOptions)
            {
                values += matrix
                y.append(classIndex)
            }
        }
        let n = y.count
        guard n >= 5 else {
            throw AnnotationError(
                file: "", problem: "retraining needs at least 5 labelled peaks with a matrix (have \(n))")
        }
        var order = Array(0..<n)
        var random = PythonRandom(seed: session.options.seed &+ UInt64(round))
        random.shuffle(&order)
        let heldOutCount = max(1, Int((Double(n) * heldOutShare).rounded()))
        let heldOut = Array(order.prefix(heldOutCount))
        let training = Array(order.dropFirst(heldOutCount))
        let size = 2 * matrixSize
        func rows(_ list: [Int]) -> Tensor {
            var out: [Float] = []
            out.reserveCapacity(list.count * size)
            for r in list { out += values[(r * size)..<((r + 1) * size)] }
            return Tensor(shape: [list.count, 2, matrixSize, 1], scalars: out)
        }
        let network = try Network(model: base, seed: session.options.seed &+ UInt64(round))
        try network.freeze(firstLayers: 4)
        try network.compile(optimizer: .adam(learningRate: learningRate))
        _ = try network.fit(
            x: rows(training), y: try Tensor.oneHot(training.map { y[$0] }, classes: classes.count),
            options: FitOptions(epochs: epochs, batchSize: 32, shuffle: true))
        let output = try network.predict(rows(heldOut), batchSize: 64).scalars
        let k = classes.count
        var correct = 0
        for (i, r) in heldOut.enumerated() {
            let row = output[(i * k)..<((i + 1) * k)]
            if let best = row.indices.max(by: { row[$0] < row[$1] }), best - i * k == y[r] { correct += 1 }
        }
        let result = RetrainRound(
            round: round, trained: training.count, heldOut: heldOut.count,
            heldOutAccuracy: Double(correct) / Double(heldOut.count), epochs: epochs,
            seconds: Date().timeIntervalSince(started))
        return (network, result)
    }

    /// Writes the current network (fine-tuned, or the model as loaded before any round) as a Keras `.h5`.
    func save(to path: String) throws {
        let model = try state.withLock { state -> Model in
            guard state.fineTuned else {
                throw AnnotationError(file: path, problem: "not written: no retraining round has finished yet")
            }
            return state.network.exportModel()
        }
        if model.firstNonFiniteWeight() != nil {
            throw AnnotationError(file: path, problem: "not written: the fine-tuned weights are not finite")
        }
        do {
            try KerasModelFile.write(model, to: URL(fileURLWithPath: path), format: .tfKerasH5)
        } catch {
            throw AnnotationError(file: path, problem: "\(error)")
        }
    }
}
