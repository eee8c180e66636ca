import Foundation
import Support

/// Threshold tuning on the validation set (NeatMS's `get_true_vs_false_positive_df` and `get_threshold`,
/// docs/NEATMS-BEHAVIOUR.md#threshold).
public struct ThresholdAnalysis: Sendable, Equatable {
    /// One row of the recall table.
    public struct Row: Sendable, Equatable {
        /// p = 0.00, 0.01, …, 0.99 (computed as numpy's `arange(0, 1, 0.01)`: k × 0.01).
        public var probability: Double
        /// Fraction of the target class's peaks with P(target) >= p (divided by the column maximum).
        public var truePositive: Double
        /// Same for all other peaks, then those of class `Low_quality` and the rest.
        public var falsePositive: Double
        public var falseLow: Double
        public var falseNoise: Double
    }

    /// The target class (default `High_quality`).
    public var label: String
    /// 100 rows, p ascending.
    public var rows: [Row]
    /// The first p maximising True − False.
    public var threshold: Double
    /// Area under the ROC curve (trapezoids over (False, True), p descending), as `sklearn.metrics.auc`
    /// gives on NeatMS's table.
    public var auc: Double

    /// A problem with the inputs; the description is the message.
    public struct InputError: LocatedError, Sendable {
        public var message: String
        /// The file the inputs came from, when one names it (nil from the analysis itself).
        public var file: String?
        public var problem: String { message }
    }

    /// Builds the recall table from each validation peak's true class and predicted probabilities.
    /// - Parameters:
    ///   - classes: the model's classes (sorted labels); must contain `label`.
    ///   - trueClasses: class index of each peak.
    ///   - probabilities: per peak, the predicted probability of each class (float32, as Keras outputs).
    ///   - lowQualityLabel: the class counted as `False_low` (NeatMS: `Low_quality`); others are `False_noise`.
    public init(
        classes: [String], trueClasses: [Int], probabilities: [[Float]], label: String = "High_quality",
        lowQualityLabel: String = "Low_quality"
    ) throws {
        guard let target = classes.firstIndex(of: label) else {
            throw InputError(
                message: "class '\(label)' is not one of the model's classes \(classes.joined(separator: ", "))")
        }
        guard trueClasses.count == probabilities.count else {
            throw InputError(message: "\(trueClasses.count) labels but \(probabilities.count) predictions")
        }
        guard !trueClasses.isEmpty else { throw InputError(message: "the validation set is empty") }
        let low = classes.firstIndex(of: lowQualityLabel)
        let steps = 100
        var truePositive = [Double](repeating: 0, count: steps)
        var falsePositive = truePositive
        var falseLow = truePositive
        var falseNoise = truePositive
        let thresholds = (0..<steps).map { Double($0) * 0.01 }
        for (trueClass, probs) in zip(trueClasses, probabilities) {
            guard target < probs.count else {
                throw InputError(message: "a prediction has \(probs.count) probabilities for \(classes.count) classes")
            }
            let p = Double(probs[target])
            for k in 0..<steps where thresholds[k] <= p {
                if trueClass == target {
                    truePositive[k] += 1
                } else if let low, trueClass == low {
                    falseLow[k] += 1
                    falsePositive[k] += 1
                } else {
                    falseNoise[k] += 1
                    falsePositive[k] += 1
                }
            }
        }
        func normalised(_ column: [Double]) -> [Double] {
            let maximum = column.max() ?? 0
            return column.map { $0 / maximum }  // 0/0 = NaN when the class is absent, as in NeatMS
        }
        let t = normalised(truePositive)
        let f = normalised(falsePositive)
        let fl = normalised(falseLow)
        let fn = normalised(falseNoise)
        rows = (0..<steps).map {
            Row(
                probability: thresholds[$0], truePositive: t[$0], falsePositive: f[$0], falseLow: fl[$0],
                falseNoise: fn[$0])
        }
        self.label = label
        // idxmax: first maximum, NaN skipped.
        var best: Int? = nil
        for k in 0..<steps {
            let difference = t[k] - f[k]
            guard !difference.isNaN else { continue }
            if let b = best, !(difference > t[b] - f[b]) { continue }
            best = k
        }
        threshold = thresholds[best ?? 0]
        // Trapezoids in descending p: x = False, y = True (numpy.trapz, pairwise-summed).
        let x = f.reversed().map { $0 }
        let y = t.reversed().map { $0 }
        var areas: [Double] = []
        for i in 0..<(steps - 1) { areas.append((x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0) }
        var area = PeakMatrixBuilder.pairwiseSum(areas, 0, areas.count)
        // sklearn.metrics.auc flips the sign when x decreases.
        if zip(x, x.dropFirst()).allSatisfy({ $0.1 <= $0.0 }) && !zip(x, x.dropFirst()).allSatisfy({ $0.1 >= $0.0 }) {
            area = -area
        }
        auc = area
    }

    /// The recall table as CSV: `Probablity_threshold,True,False,False_low,False_noise` (NeatMS's column
    /// names, its spelling included), one row per p.
    public var csv: String {
        var text = "Probablity_threshold,True,False,False_low,False_noise\n"
        for row in rows {
            text +=
                "\(Self.format(row.probability)),\(Self.format(row.truePositive)),\(Self.format(row.falsePositive)),"
                + "\(Self.format(row.falseLow)),\(Self.format(row.falseNoise))\n"
        }
        return text
    }

    static func format(_ value: Double) -> String {
        value.isNaN ? "" : "\(value)"
    }

    /// The ROC curve (False on x, True on y, p descending) as a standalone SVG document.
    public func rocSVG(title: String = "NeatMS ROC curve") -> String {
        let size = 480.0
        let margin = 60.0
        let plot = size - 2 * margin
        func px(_ v: Double) -> String { String(format: "%.2f", margin + (v.isNaN ? 0 : v) * plot) }
        func py(_ v: Double) -> String { String(format: "%.2f", size - margin - (v.isNaN ? 0 : v) * plot) }
        let points = rows.reversed().map { "\(px($0.falsePositive)),\(py($0.truePositive))" }.joined(separator: " ")
        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(size))" height="\(Int(size))" viewBox="0 0 \(Int(size)) \(Int(size))" font-family="sans-serif" font-size="12">
            <title>\(Self.escape(title))</title>
            <rect width="100%" height="100%" fill="white"/>

            """
        for k in 0...10 {
            let v = Double(k) / 10
            svg += "<line x1=\"\(px(v))\" y1=\"\(py(0))\" x2=\"\(px(v))\" y2=\"\(py(1))\" stroke=\"#e5e5e5\"/>"
            svg += "<line x1=\"\(px(0))\" y1=\"\(py(v))\" x2=\"\(px(1))\" y2=\"\(py(v))\" stroke=\"#e5e5e5\"/>\n"
            svg +=
                "<text x=\"\(px(v))\" y=\"\(String(format: "%.2f", size - margin + 16))\" text-anchor=\"middle\">\(String(format: "%.1f", v))</text>"
            svg +=
                "<text x=\"\(String(format: "%.2f", margin - 6))\" y=\"\(py(v))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(String(format: "%.1f", v))</text>\n"
        }
        svg +=
            "<rect x=\"\(px(0))\" y=\"\(py(1))\" width=\"\(plot)\" height=\"\(plot)\" fill=\"none\" stroke=\"black\"/>\n"
        svg +=
            "<line x1=\"\(px(0))\" y1=\"\(py(0))\" x2=\"\(px(1))\" y2=\"\(py(1))\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>\n"
        svg += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n"
        if let chosen = rows.first(where: { $0.probability == threshold }) {
            svg +=
                "<circle cx=\"\(px(chosen.falsePositive))\" cy=\"\(py(chosen.truePositive))\" r=\"5\" fill=\"#d62728\"/>\n"
        }
        svg +=
            "<text x=\"\(size / 2)\" y=\"\(margin / 2)\" text-anchor=\"middle\" font-size=\"15\">\(Self.escape(title))</text>\n"
        svg +=
            "<text x=\"\(size / 2)\" y=\"\(size - 18)\" text-anchor=\"middle\">False positive fraction (other classes, P(\(Self.escape(label))) ≥ p)</text>\n"
        svg +=
            "<text transform=\"translate(18 \(size / 2)) rotate(-90)\" text-anchor=\"middle\">True positive fraction (\(Self.escape(label)))</text>\n"
        svg += "<text x=\"\(px(0.55))\" y=\"\(py(0.12))\">AUC = \(String(format: "%.4f", auc))</text>\n"
        svg += "<text x=\"\(px(0.55))\" y=\"\(py(0.05))\">threshold = \(String(format: "%.2f", threshold))</text>\n"
        svg += "</svg>\n"
        return svg
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
