extension Architecture {
    /// The model summary exactly as Keras 2 (`model.summary()`, tf.keras ≤ 2.10 / Keras 2.3) prints
    /// it for a chain (a Sequential model without its `InputLayer` row): 65-column lines, columns cut at 29 / 55 / 65 characters
    /// (`max_pooling2d_1 (MaxPooling2`), `(None, 2, 120, 1)` shapes, plain per-layer counts and
    /// thousands separators in the totals. Trainable / non-trainable totals follow each layer's
    /// `trainable` flag. Lines end with `\n`; the row cells keep Keras's trailing padding.
    public func summary() throws -> String {
        let lineLength = 65
        let positions = [29, 55, 65]  // int(65 × [.45, .85, 1.])
        let shapes = try outputShapes()
        let counts = try parameterCounts()

        var lines: [String] = []
        lines.append("Model: \"\(name)\"")
        lines.append(String(repeating: "_", count: lineLength))
        lines.append(Self.summaryRow(["Layer (type)", "Output Shape", "Param #"], positions: positions))
        lines.append(String(repeating: "=", count: lineLength))
        // A Sequential model's summary has no row for its InputLayer (Keras's `Sequential.layers`).
        let rows = layers.indices.filter { !(sequential && $0 == 0) }
        for i in rows {
            let layer = layers[i]
            let shape = "(" + (["None"] + shapes[i].map(String.init)).joined(separator: ", ") + ")"
            let cells = ["\(layer.name) (\(layer.kind.kerasClassName))", shape, String(counts[i])]
            lines.append(Self.summaryRow(cells, positions: positions))
            lines.append(String(repeating: i == layers.count - 1 ? "=" : "_", count: lineLength))
        }
        let trainable = zip(layers, counts).reduce(0) { $0 + ($1.0.trainable ? $1.1 : 0) }
        let total = counts.reduce(0, +)
        lines.append("Total params: \(Self.groupedThousands(total))")
        lines.append("Trainable params: \(Self.groupedThousands(trainable))")
        lines.append("Non-trainable params: \(Self.groupedThousands(total - trainable))")
        lines.append(String(repeating: "_", count: lineLength))
        return lines.map { $0 + "\n" }.joined()
    }

    /// Keras 2's `print_row`: each cell is appended after replacing the previous line's last
    /// character with a space, then cut or padded to its column end.
    static func summaryRow(_ cells: [String], positions: [Int]) -> String {
        var line: [Character] = []
        for (i, cell) in cells.enumerated() {
            if i > 0, !line.isEmpty {
                line[line.count - 1] = " "
            }
            line.append(contentsOf: cell)
            if line.count > positions[i] { line.removeLast(line.count - positions[i]) }
            line.append(contentsOf: repeatElement(" ", count: positions[i] - line.count))
        }
        return String(line)
    }

    /// `1002883` → `1,002,883` (Python's `'{:,}'`).
    static func groupedThousands(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }
}
