/// A dense, row-major (C order) float32 tensor.
///
/// Shapes follow Keras: channels last, Conv2D kernels HWIO `(kh, kw, in, out)`, Dense kernels
/// `(in, out)`, biases `(out,)`. The leading batch dimension, when present, is explicit.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var scalars: [Float]

    /// Creates a tensor; `scalars.count` must equal the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative dimension")
        precondition(
            scalars.count == shape.reduce(1, *),
            "Tensor of shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// Number of scalars.
    public var count: Int { scalars.count }
    /// Number of dimensions.
    public var rank: Int { shape.count }
}
