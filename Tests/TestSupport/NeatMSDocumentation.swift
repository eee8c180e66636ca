import Foundation

/// Reference text from the NeatMS documentation, shared by the tests that check `summary` output.
public enum NeatMSDocumentation {
    /// The model summary block copied from the NeatMS documentation
    /// (its "Neural network training" page, transfer-learning section, `nn_handler.get_model_summary()`), the independent
    /// reference for Keras 2's summary format and for `neatms summary`.
    public static let modelSummary = """
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
}

/// `text`'s lines with trailing spaces removed, blank lines dropped (summary output is compared by line).
public func trimmedLines<S: StringProtocol>(_ text: S) -> [String] {
    text.split(separator: "\n", omittingEmptySubsequences: false)
        .map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }
        .filter { !$0.isEmpty }
}
