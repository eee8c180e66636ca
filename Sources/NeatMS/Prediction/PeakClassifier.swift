/// The data path's one question to a network: class probabilities for a sample's peak matrices.
///
/// `Experiment.predictPeaks` builds each sample's matrices and asks a classifier for one row of
/// probabilities per matrix; it knows nothing of networks, model files or threads. The network behind
/// `neatms predict` and `neatms annotate` is `NetworkClassifier` (Classification target); tests use plain
/// functions of the matrices.
public protocol PeakClassifier: Sendable {
    /// The class names, in the order of each probability row.
    var classes: [String] { get }

    /// One row of `classes.count` probabilities for each matrix of `matrices`, in their order.
    /// Called from several threads at once.
    func probabilities(_ matrices: SampleMatrices) throws -> [[Float]]

    /// Told, before the first call, how many threads will call `probabilities` at once (the samples
    /// worked on in parallel), so that the classifier can divide the cores among them.
    func prepare(concurrentCallers: Int)
}

extension PeakClassifier {
    public func prepare(concurrentCallers: Int) {}
}

/// NeatMS's class labels in its (sorted) order: the output order of its network.
public enum NeatMSClasses {
    public static let names = ["High_quality", "Low_quality", "Noise"]
}
