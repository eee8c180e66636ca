import Tensor

/// Every layout transform between Keras (channels last) and ONNX (channels first) in one audited place.
///
/// Keras runs `Conv2D` and `MaxPooling2D` on `(N, H, W, C)` tensors with kernels `(kh, kw, in, out)` and flattens
/// `(N, H, W, C)` in that order (channel fastest). ONNX's `Conv` and `MaxPool` take `(N, C, H, W)` and weights
/// `(out, in, kh, kw)`. The exporter therefore:
///   * keeps the graph input `(N, H, W, C)` as in Keras and inserts `Transpose(perm: nhwcToNCHW)` before the first
///     `Conv`/`MaxPool` of a run of them;
///   * stores Conv weights as `onnxConvWeight(kernel)`;
///   * inserts `Transpose(perm: nchwToNHWC)` before `Flatten` (and before a channel `Softmax` or the graph output),
///     so that Flatten sees Keras's order and every Dense kernel is stored as Keras has it (no permuted rows).
/// The importer undoes the same: `kerasConvKernel(weight)`, and when a graph flattens in another order than Keras
/// (channels first, as converters other than tf2onnx do), `flattenOrder` gives the permutation that reorders the
/// following Dense kernel's rows into Keras's order.
enum Layout {
    /// `Transpose` perm `(N, H, W, C)` → `(N, C, H, W)`.
    static let nhwcToNCHW: [Int64] = [0, 3, 1, 2]
    /// `Transpose` perm `(N, C, H, W)` → `(N, H, W, C)`.
    static let nchwToNHWC: [Int64] = [0, 2, 3, 1]

    /// Physical axis order of a rank-3 activation (without batch), as indices into Keras's `(H, W, C)`:
    /// channels last `[0, 1, 2]`, channels first `[2, 0, 1]`.
    static let channelsLast = [0, 1, 2]
    static let channelsFirst = [2, 0, 1]

    /// Keras `Conv2D` kernel `(kh, kw, in, out)` → ONNX `Conv` weight `(out, in, kh, kw)`.
    static func onnxConvWeight(_ kernel: Tensor) -> Tensor { permute(kernel, [3, 2, 0, 1]) }

    /// ONNX `Conv` weight `(out, in, kh, kw)` → Keras `Conv2D` kernel `(kh, kw, in, out)`.
    static func kerasConvKernel(_ weight: Tensor) -> Tensor { permute(weight, [2, 3, 1, 0]) }

    /// A 2-D matrix transposed (Gemm's `transB`).
    static func transposed(_ matrix: Tensor) -> Tensor { permute(matrix, [1, 0]) }

    /// For an activation of Keras shape `shape` (`(H, W, C)`) stored in physical axis order `axes`, the Keras
    /// flat index of each element of the physically flattened tensor. Nil when the two orders agree (the
    /// physical order only moves axes of size 1).
    static func flattenOrder(shape: [Int], axes: [Int]) -> [Int]? {
        if axes.filter({ shape[$0] != 1 }) == (0..<shape.count).filter({ shape[$0] != 1 }) { return nil }
        let physical = axes.map { shape[$0] }
        var kerasStrides = [Int](repeating: 1, count: shape.count)
        for i in stride(from: shape.count - 2, through: 0, by: -1) {
            kerasStrides[i] = kerasStrides[i + 1] * shape[i + 1]
        }
        let count = shape.reduce(1, *)
        var order = [Int](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: physical.count)
        for flat in 0..<count {
            var keras = 0
            for (p, axis) in axes.enumerated() { keras += index[p] * kerasStrides[axis] }
            order[flat] = keras
            var d = physical.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < physical[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return order
    }

    /// Reorders the rows of a Dense kernel `(inputs, units)` whose row `r` applies to physical flat element `r`
    /// into Keras's order: row `order[r]` of the result is row `r` of `kernel`.
    static func kerasRows(_ kernel: Tensor, order: [Int]) -> Tensor {
        let units = kernel.shape[1]
        var out = [Float](repeating: 0, count: kernel.count)
        for (r, k) in order.enumerated() {
            for u in 0..<units { out[k * units + u] = kernel.scalars[r * units + u] }
        }
        return Tensor(shape: kernel.shape, scalars: out)
    }

    /// `tensor` with its axes reordered: result axis `i` is input axis `perm[i]`.
    static func permute(_ tensor: Tensor, _ perm: [Int]) -> Tensor {
        let shape = tensor.shape
        precondition(perm.sorted() == Array(0..<shape.count), "permute: bad perm \(perm) for shape \(shape)")
        var strides = [Int](repeating: 1, count: shape.count)
        for i in stride(from: shape.count - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
        let outShape = perm.map { shape[$0] }
        let outStrides = perm.map { strides[$0] }  // input stride of each output axis
        var out = [Float](repeating: 0, count: tensor.count)
        var index = [Int](repeating: 0, count: outShape.count)
        var source = 0
        tensor.scalars.withUnsafeBufferPointer { input in
            for flat in 0..<out.count {
                out[flat] = input[source]
                var d = outShape.count - 1
                while d >= 0 {
                    index[d] += 1
                    source += outStrides[d]
                    if index[d] < outShape[d] { break }
                    source -= outStrides[d] * outShape[d]
                    index[d] = 0
                    d -= 1
                }
            }
        }
        return Tensor(shape: outShape, scalars: out)
    }
}
