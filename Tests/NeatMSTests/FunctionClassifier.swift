import NeatMS

/// A classifier that is a plain function of the matrices: the data path's tests need no network.
struct FunctionClassifier: PeakClassifier {
    var classes: [String]
    var function: @Sendable (SampleMatrices) throws -> [[Float]]

    func probabilities(_ matrices: SampleMatrices) throws -> [[Float]] { try function(matrices) }
}
