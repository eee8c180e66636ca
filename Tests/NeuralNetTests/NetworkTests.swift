import Tensor
import Testing

@testable import NeuralNet

@Suite struct NetworkBasics {
    @Test func neatmsParameterCounts() throws {
        let net = try Network.neatms(seed: 1)
        let counts = net.layerSummaries.map(\.parameterCount)
        #expect(counts == [0, 832, 0, 18_496, 0, 983_168, 0, 387])
        #expect(net.parameterCounts.total == 1_002_883)
        #expect(
            net.layerSummaries.map(\.name) == [
                "input_1", "conv2d_1", "max_pooling2d_1", "conv2d_2", "flatten_1", "dense_1", "dropout_1",
                "dense_prediction",
            ])
    }

    @Test func freezingChangesTrainableCounts() throws {
        let net = try Network.neatms(seed: 1)
        try net.freeze(firstLayers: 4)
        #expect(net.parameterCounts.trainable == 983_168 + 387)
        #expect(net.parameterCounts.nonTrainable == 832 + 18_496)
        #expect(throws: NetworkError.unknownLayer("nope")) { try net.freeze(layers: ["nope"]) }
    }
}
