/// The Keras file layouts NeatMSKit reads and writes.
public enum KerasFileFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Keras 2.2/2.3-era full-model `.h5` (class `Model`, `lr`; NeatMS's bundled model).
    case keras22H5 = "Keras 2.2 full-model .h5"
    /// tf.keras / tf-keras 2.x full-model `.h5` (class `Functional`).
    case tfKerasH5 = "tf-keras 2 full-model .h5"
    /// Keras 3's legacy full-model `.h5`.
    case keras3LegacyH5 = "Keras 3 legacy full-model .h5"
    /// Keras 2 `save_weights` `.h5` (layer groups at the root).
    case keras2WeightsH5 = "Keras 2 weights-only .h5"
    /// Keras 3 `.keras` archive.
    case kerasArchive = "Keras 3 .keras archive"
    /// Keras 3 `.weights.h5`.
    case keras3WeightsH5 = "Keras 3 .weights.h5"

    public var description: String { rawValue }
}
