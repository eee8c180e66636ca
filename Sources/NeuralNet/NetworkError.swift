/// A problem running or training a network; the description is one line naming what is wrong.
public enum NetworkError: Error, CustomStringConvertible, Equatable {
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

    public var description: String {
        switch self {
        case .architecture(let e):
            return e.description
        case .weightCount(let layer, let expected, let got):
            return "layer '\(layer)': expected \(expected) weight arrays, got \(got)"
        case .weightShape(let layer, let index, let expected, let got):
            return "layer '\(layer)': weight \(index) has shape \(got), expected \(expected)"
        case .optimizerSlot(let slot, let layer, let expected, let got):
            return "layer '\(layer)': optimizer slot '\(slot)' has shape \(got), expected \(expected)"
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
