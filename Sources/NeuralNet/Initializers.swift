import Tensor

extension Architecture {
    /// Fresh weights as Keras initialises them by default: Glorot-uniform kernels
    /// (`U(-limit, limit)`, `limit = √(6 / (fan_in + fan_out))`; for a conv kernel
    /// `fan_in = kh·kw·in`, `fan_out = kh·kw·out`) and zero biases, drawn from `rng` in layer order.
    public func initialWeights(rng: inout SeededGenerator) throws -> [[Tensor]] {
        let shapes: [[[Int]]]
        do { shapes = try weightShapes() } catch let e as ArchitectureError { throw NetworkError.architecture(e) }
        return shapes.map { layerShapes in
            layerShapes.enumerated().map { index, shape in
                if index == 0 && shape.count >= 2 {
                    let receptive = shape.dropLast(2).reduce(1, *)
                    let fanIn = Double(receptive * shape[shape.count - 2])
                    let fanOut = Double(receptive * shape[shape.count - 1])
                    let limit = Float((6 / max(fanIn + fanOut, 1)).squareRoot())
                    let count = shape.reduce(1, *)
                    var values = [Float](repeating: 0, count: count)
                    for i in 0..<count { values[i] = (2 * rng.nextUnitFloat() - 1) * limit }
                    return Tensor(shape: shape, scalars: values)
                }
                return Tensor(zeros: shape)
            }
        }
    }
}
