import TestSupport
import Testing

@testable import NeuralNet

@Test func neatmsSummaryEqualsTheDocumentedBlock() throws {
    let summary = try Architecture.neatms().summary()
    #expect(trimmedLines(summary) == trimmedLines(NeatMSDocumentation.modelSummary))
}

@Test func summaryRowsKeepKerasColumnPadding() throws {
    let summary = try Architecture.neatms().summary()
    let lines = summary.split(separator: "\n").map(String.init)
    // Keras pads every row to the full 65 columns ("Param #   ").
    #expect(lines[2] == "Layer (type)                 Output Shape              Param #   ")
    #expect(lines[2].count == 65)
    #expect(lines[8] == "max_pooling2d_1 (MaxPooling2 (None, 2, 60, 32)         0         ")
}

@Test func frozenLayersCountAsNonTrainable() throws {
    var architecture = Architecture.neatms()
    for i in architecture.layers.indices
    where ["conv2d_1", "max_pooling2d_1", "conv2d_2"].contains(architecture.layers[i].name) {
        architecture.layers[i].trainable = false
    }
    let lines = try architecture.summary().split(separator: "\n").map(String.init)
    // conv2d_1 (832) + conv2d_2 (18,496) are frozen: 19,328 of 1,002,883.
    #expect(lines.contains("Total params: 1,002,883"))
    #expect(lines.contains("Trainable params: 983,555"))
    #expect(lines.contains("Non-trainable params: 19,328"))
}

@Test func thousandsAreGroupedLikePython() {
    #expect(Architecture.groupedThousands(0) == "0")
    #expect(Architecture.groupedThousands(999) == "999")
    #expect(Architecture.groupedThousands(1000) == "1,000")
    #expect(Architecture.groupedThousands(1_002_883) == "1,002,883")
}
