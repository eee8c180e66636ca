import Foundation
import HDF5

extension PeakDataset {
    /// Writes the dataset to `url` atomically (layout in `PeakDataset`'s documentation).
    public func write(to url: URL) throws {
        try writeAtomically(to: url) { temporary in
            let file = try HDF5File.create(temporary)
            do {
                let root = file.root
                let n = count
                if n > 0 {
                    try root.writeDataset("X", shape: [n, 2, options.size, 1], values: x)
                } else {
                    try root.createDataset("X", type: .float32, shape: [0, 2, options.size, 1])
                }
                func ints(_ name: String, _ values: [Int]) throws {
                    if values.isEmpty {
                        try root.createDataset(name, type: .int64, shape: [0])
                    } else {
                        try root.writeDataset(name, shape: [values.count], values: values.map { Int64($0) })
                    }
                }
                func doubles(_ name: String, _ values: [Double]) throws {
                    if values.isEmpty {
                        try root.createDataset(name, type: .float64, shape: [0])
                    } else {
                        try root.writeDataset(name, shape: [values.count], values: values)
                    }
                }
                try ints("y", y)
                try ints("sample", sample)
                try ints("feature_id", featureID)
                try ints("peak_index_in_sample", peakIndexInSample)
                try doubles("mz", mz)
                try doubles("rt", rt)
                try ints("label_order", labelOrder)
                try ints("invalid_y", invalidY)
                try ints("invalid_label_order", invalidLabelOrder)
                try root.setAttribute("classes", .strings(classes, .vlenUTF8))
                try root.setAttribute("samples", .strings(samples, .vlenUTF8))
                try root.setAttribute("matrix_size", .int64(Int64(options.size)))
                try root.setAttribute("margin", .float64(options.margin))
                try root.setAttribute("min_scan_num", .int64(Int64(options.minScans)))
                try root.setAttribute(
                    "description",
                    .string(
                        "Labelled NeatMS peaks for training: X (N, 2, n, 1) float32 matrices, y class indices into "
                            + "'classes', written by NeatMSKit.", .vlenUTF8))
                try file.close()
            } catch {
                try? file.close()
                throw error
            }
        }
    }

    /// Reads a dataset written by `write(to:)`. Only `X`, `y` and `classes` are required; the per-peak
    /// details default to empty/unknown when absent.
    /// - Throws: `HDF5Error`, or `MatrixInputError` for datasets that do not fit together.
    public static func read(_ url: URL) throws -> PeakDataset {
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        let root = file.root
        func fail(_ problem: String) -> MatrixInputError { MatrixInputError(file: url.relativePath, problem: problem) }
        let xSet = try root.dataset("X")
        let shape = xSet.shape
        guard shape.count == 4, shape[1] == 2, shape[3] == 1 else {
            throw fail("X has shape \(shape), expected (N, 2, n, 1)")
        }
        let n = shape[0]
        let x: [Float] = n == 0 ? [] : try xSet.read()
        func ints(_ name: String, count expected: Int?) throws -> [Int]? {
            guard root.contains(name) else { return nil }
            let set = try root.dataset(name)
            switch set.elementType {
            case .int32, .int64, .uint8: break
            case .other(let type) where type.hasPrefix("int") || type.hasPrefix("uint"): break
            default: throw fail("\(name) holds \(set.elementType) values, integers expected")
            }
            let values: [Int64] = try set.read()
            if let expected, values.count != expected {
                throw fail("\(name) has \(values.count) values, X has \(expected) peaks")
            }
            return values.map { Int($0) }
        }
        func doubles(_ name: String) throws -> [Double]? {
            guard root.contains(name) else { return nil }
            let values: [Double] = try root.dataset(name).read()
            guard values.count == n else { throw fail("\(name) has \(values.count) values, X has \(n) peaks") }
            return values
        }
        guard let y = try ints("y", count: n) else { throw fail("no 'y' dataset") }
        guard let classes = try root.stringListAttribute("classes"), !classes.isEmpty else {
            throw fail("no 'classes' attribute")
        }
        if let twice = classes.enumerated().first(where: { classes[..<$0.offset].contains($0.element) })?.element {
            throw fail("the classes attribute lists '\(twice)' twice (\(classes.joined(separator: ", ")))")
        }
        if let bad = y.first(where: { $0 < 0 || $0 >= classes.count }) {
            throw fail("y holds class index \(bad), but there are \(classes.count) classes")
        }
        var options = MatrixOptions(size: shape[2])
        if case .float64s(let values, _)? = try root.attribute("margin"), let margin = values.first {
            options.margin = margin
        }
        if case .int64s(let values, _)? = try root.attribute("min_scan_num"), let minScans = values.first {
            options.minScans = Int(minScans)
        }
        let invalidY = try ints("invalid_y", count: nil) ?? []
        return PeakDataset(
            classes: classes, samples: try root.stringListAttribute("samples") ?? [], options: options, x: x, y: y,
            sample: try ints("sample", count: n) ?? Array(repeating: -1, count: n),
            featureID: try ints("feature_id", count: n) ?? Array(repeating: -1, count: n),
            peakIndexInSample: try ints("peak_index_in_sample", count: n) ?? Array(repeating: -1, count: n),
            mz: try doubles("mz") ?? Array(repeating: .nan, count: n),
            rt: try doubles("rt") ?? Array(repeating: .nan, count: n),
            labelOrder: try ints("label_order", count: n) ?? Array(0..<n),
            invalidY: invalidY,
            invalidLabelOrder: try ints("invalid_label_order", count: invalidY.count) ?? Array(n..<(n + invalidY.count))
        )
    }
}
