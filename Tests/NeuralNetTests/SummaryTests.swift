import Testing

@testable import NeuralNet

/// The expected block is copied from the NeatMS documentation's model summary
/// (`../shared/seed/neural-network-training.md`, "nn_handler.get_model_summary()"), the independent
/// reference for Keras 2's summary format.
private let documentedNeatMSSummary = """
        Model: "NeatMS_Model"
        _________________________________________________________________
        Layer (type)                 Output Shape              Param #
        =================================================================
        input_1 (InputLayer)         (None, 2, 120, 1)         0
        _________________________________________________________________
        conv2d_1 (Conv2D)            (None, 2, 120, 32)        832
        _________________________________________________________________
        max_pooling2d_1 (MaxPooling2 (None, 2, 60, 32)         0
        _________________________________________________________________
        conv2d_2 (Conv2D)            (None, 2, 60, 64)         18496
        _________________________________________________________________
        flatten_1 (Flatten)          (None, 7680)              0
        _________________________________________________________________
        dense_1 (Dense)              (None, 128)               983168
        _________________________________________________________________
        dropout_1 (Dropout)          (None, 128)               0
        _________________________________________________________________
        dense_prediction (Dense)     (None, 3)                 387
        =================================================================
        Total params: 1,002,883
        Trainable params: 1,002,883
        Non-trainable params: 0
        _________________________________________________________________
        """

/// Compares line by line, ignoring trailing spaces (the documentation strips them).
private func trimmedLines(_ text: String) -> [String] {
    text.split(separator: "\n", omittingEmptySubsequences: false)
        .map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }
        .filter { !$0.isEmpty }
}

@Test func neatmsSummaryEqualsTheDocumentedBlock() throws {
    let summary = try Architecture.neatms().summary()
    #expect(trimmedLines(summary) == trimmedLines(documentedNeatMSSummary))
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
    for i in architecture.layers.indices where ["conv2d_1", "max_pooling2d_1", "conv2d_2"].contains(architecture.layers[i].name) {
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
