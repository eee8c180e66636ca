/// Labels from predicted probabilities (NeatMS's `predict_peaks`, docs/NEATMS-BEHAVIOUR.md#prediction).
public enum PeakLabelling {
    /// The label of one peak: `target` when its probability is at least `threshold`, otherwise the class
    /// with the highest probability (the first one on ties, as `numpy.argmax`).
    public static func label(probabilities: [Float], classes: [String], target: Int, threshold: Double) -> String {
        guard target < probabilities.count, Double(probabilities[target]) < threshold else {
            return classes[target]
        }
        // numpy.argmax: the first maximum, or the first NaN.
        var best = 0
        for (i, p) in probabilities.enumerated() {
            if p.isNaN {
                best = i
                break
            }
            if p > probabilities[best] { best = i }
        }
        return best < classes.count ? classes[best] : classes[target]
    }
}
