import Support

/// A problem running or training a network; the description is one line naming what is wrong.
///
/// NeuralNet knows nothing about files: a `NetworkError` never names one (`file` is always nil, and
/// setting it changes nothing). The layer that knows the file (KerasFormat, the command-line tool) puts
/// `withoutFile` into an error of its own that names it.
public enum NetworkError: LocatedError, Equatable {
    /// The architecture cannot be run (wraps the shape checker's message).
    case architecture(ArchitectureError)
    /// A layer was given the wrong number of weight arrays.
    case weightCount(layer: String, expected: Int, got: Int)
    /// A weight array has the wrong shape.
    case weightShape(layer: String, index: Int, expected: [Int], got: [Int])
    /// Optimiser slots do not match the weights.
    case optimizerSlot(slot: String, layer: String, expected: [Int], got: [Int])
    /// No layer has this name.
    case unknownLayer(String)
    /// Input data whose shape does not fit the network.
    case inputShape(expected: [Int], got: [Int])
    /// Targets whose shape does not fit the inputs or the network's output.
    case targetShape(expected: [Int], got: [Int])
    /// Any other invalid argument (message says which).
    case invalidArgument(String)

    /// Always nil: see the type's comment.
    public var file: String? {
        get { nil }
        set {}
    }

    /// The layer concerned, when one is: `layer '<name>'`.
    public var location: String? {
        switch self {
        case .architecture(let e): return e.location
        case .weightCount(let layer, _, _), .weightShape(let layer, _, _, _), .optimizerSlot(_, let layer, _, _):
            return "layer '\(layer)'"
        case .unknownLayer, .inputShape, .targetShape, .invalidArgument:
            return nil
        }
    }

    public var problem: String {
        switch self {
        case .architecture(let e):
            return e.problem
        case .weightCount(_, let expected, let got):
            return "expected \(expected) weight arrays, got \(got)"
        case .weightShape(_, let index, let expected, let got):
            return "weight \(index) has shape \(got), expected \(expected)"
        case .optimizerSlot(let slot, _, let expected, let got):
            return "optimizer slot '\(slot)' has shape \(got), expected \(expected)"
        case .unknownLayer(let name):
            return "no layer named '\(name)'"
        case .inputShape(let expected, let got):
            return "input has shape \(got), expected (N, \(expected.map(String.init).joined(separator: ", ")))"
        case .targetShape(let expected, let got):
            return "targets have shape \(got), expected \(expected)"
        case .invalidArgument(let message):
            return message
        }
    }
}
