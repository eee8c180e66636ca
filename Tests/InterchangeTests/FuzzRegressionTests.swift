import Foundation
import KerasFormat
import TestSupport
import Testing

@testable import Interchange

/// Inputs on which `Scripts/fuzz` crashed a reader (Fixtures/fuzz/<target>/): each is now one error naming the file.
@Suite struct FuzzRegressions {
    /// The onnx target's finding: a MaxPool whose `strides` hold a 0 divided by zero while its padding was worked out.
    @Test func aZeroStrideIsRefusedNotACrash() throws {
        let url = TestPaths.fixture("fuzz/onnx/maxpool_zero_stride.onnx")
        let error = try #require(throws: KerasFormatError.self) { try ModelFile.load(url) }
        #expect("\(error)".contains("maxpool_zero_stride.onnx"))
        #expect(error.problem.contains("has strides [") && error.problem.contains("expected two strides from 1 to"))
    }
}
