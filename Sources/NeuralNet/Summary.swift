import Foundation

/// Which Keras's `model.summary()` text to reproduce. The three generations print the same facts in
/// different layouts, and a user compares `neatms summary` with the Keras they run:
/// - `keras2`: Keras 2.2 – tf.keras 2.12 (and NeatMS's documentation): 65 columns, `_` rules between rows,
///   grouped totals, no sizes.
/// - `tfKeras`: tf-keras 2.13 and later (2.21 today): a leading space in every row, long cells broken over
///   lines, blank lines between rows, totals with byte sizes (`3.83 MB`, `0.00 Byte`).
/// - `keras3`: Keras 3's box table (rich), 76 columns as Keras 3 prints when its output is not a terminal,
///   grouped counts, sizes in `B`/`KB`/`MB`, and an `Optimizer params` line when the optimizer is built.
public enum SummaryStyle: String, Sendable, CaseIterable {
    case keras2
    case tfKeras = "tf-keras"
    case keras3
}

/// What Keras 3 counts as the optimizer's variables of a loaded model (its `Optimizer params` line).
public struct OptimizerParameters: Sendable, Equatable {
    public var count: Int
    public var bytes: Int
    public init(count: Int, bytes: Int) {
        self.count = count
        self.bytes = bytes
    }
}

extension Architecture {
    /// The model summary exactly as `style`'s Keras prints it for a chain: a Sequential model without its
    /// `InputLayer` row (Keras's `Sequential.layers`), a Functional one with it. Trainable / non-trainable
    /// totals follow each layer's `trainable` flag. `optimizer` is used by `.keras3` only (Keras 3 adds the
    /// optimizer's variables to the total). Lines end with `\n`; row cells keep Keras's trailing padding.
    public func summary(style: SummaryStyle = .keras2, optimizer: OptimizerParameters? = nil) throws -> String {
        let rows = try summaryRows()
        let total = rows.reduce(0) { $0 + $1.parameters }
        let trainable = rows.reduce(0) { $0 + ($1.trainable ? $1.parameters : 0) }
        let lines: [String]
        switch style {
        case .keras2: lines = keras2Summary(rows, total: total, trainable: trainable)
        case .tfKeras: lines = tfKerasSummary(rows, total: total, trainable: trainable)
        case .keras3: lines = keras3Summary(rows, total: total, trainable: trainable, optimizer: optimizer)
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// One summary row per listed layer: `name (Class)`, output shape, parameter count, trainable.
    struct SummaryRow {
        var title: String
        var shape: [Int]
        var isInput: Bool
        var parameters: Int
        var trainable: Bool
    }

    func summaryRows() throws -> [SummaryRow] {
        let shapes = try outputShapes()
        let counts = try parameterCounts()
        return layers.indices.filter { !(sequential && $0 == 0) }.map { i in
            SummaryRow(
                title: "\(layers[i].name) (\(layers[i].kind.kerasClassName))", shape: shapes[i],
                isInput: layers[i].kind.kerasClassName == "InputLayer", parameters: counts[i],
                trainable: layers[i].trainable)
        }
    }

    static func shapeText(_ shape: [Int]) -> String {
        "(" + (["None"] + shape.map(String.init)).joined(separator: ", ") + ")"
    }

    // MARK: Keras 2.2 – 2.12

    private func keras2Summary(_ rows: [SummaryRow], total: Int, trainable: Int) -> [String] {
        let lineLength = 65
        let positions = [29, 55, 65]  // int(65 × [.45, .85, 1.])
        var lines = ["Model: \"\(name)\"", String(repeating: "_", count: lineLength)]
        lines.append(Self.keras2Row(["Layer (type)", "Output Shape", "Param #"], positions: positions))
        lines.append(String(repeating: "=", count: lineLength))
        for (i, row) in rows.enumerated() {
            let cells = [row.title, Self.shapeText(row.shape), String(row.parameters)]
            lines.append(Self.keras2Row(cells, positions: positions))
            lines.append(String(repeating: i == rows.count - 1 ? "=" : "_", count: lineLength))
        }
        lines.append("Total params: \(Self.groupedThousands(total))")
        lines.append("Trainable params: \(Self.groupedThousands(trainable))")
        lines.append("Non-trainable params: \(Self.groupedThousands(total - trainable))")
        lines.append(String(repeating: "_", count: lineLength))
        return lines
    }

    /// Keras 2's `print_row`: each cell is appended after replacing the previous line's last
    /// character with a space, then cut or padded to its column end.
    static func keras2Row(_ cells: [String], positions: [Int]) -> String {
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

    // MARK: tf-keras 2.13 and later

    private func tfKerasSummary(_ rows: [SummaryRow], total: Int, trainable: Int) -> [String] {
        let lineLength = 65
        let positions = [29, 55, 65]
        var lines = ["Model: \"\(name)\"", String(repeating: "_", count: lineLength)]
        lines += Self.tfKerasRow(["Layer (type)", "Output Shape", "Param #"], positions: positions)
        lines.append(String(repeating: "=", count: lineLength))
        for row in rows {
            // tf-keras prints `layer.output_shape`: a list of one shape for an InputLayer.
            let shape = row.isInput ? "[\(Self.shapeText(row.shape))]" : Self.shapeText(row.shape)
            lines += Self.tfKerasRow([row.title, shape, String(row.parameters)], positions: positions)
            lines.append(String(repeating: " ", count: lineLength))
        }
        lines.append(String(repeating: "=", count: lineLength))
        let size = { (count: Int) in Self.readableSize(count * 4, units: ["Byte", "KB", "MB", "GB", "TB", "PB"]) }
        lines.append("Total params: \(total) (\(size(total)))")
        lines.append("Trainable params: \(trainable) (\(size(trainable)))")
        lines.append("Non-trainable params: \(total - trainable) (\(size(total - trainable)))")
        lines.append(String(repeating: "_", count: lineLength))
        return lines
    }

    /// tf-keras's `print_row`: a leading space, each column cut 2 (3 before a next column) short of its end,
    /// or right after the first `),` `},` `],` `',` in what fits; what is cut goes to the next line.
    static func tfKerasRow(_ cells: [String], positions: [Int]) -> [String] {
        var left = cells.map { Array($0) }
        var lines: [String] = []
        repeat {
            var line: [Character] = []
            for col in left.indices {
                let start = col > 0 ? positions[col - 1] : 0
                let last = col == positions.count - 1
                let space = last ? 0 : 2
                var cutoff = positions[col] - start - space - (last ? 0 : 1)
                var fit = Array(left[col].prefix(max(0, cutoff)))
                let breaks = ["),", "},", "],", "',"].compactMap { mark -> Int? in
                    guard let range = String(fit).range(of: mark) else { return nil }
                    return String(fit)[..<range.upperBound].count
                }
                if let first = breaks.min() {
                    cutoff = first
                    fit = Array(fit.prefix(cutoff))
                }
                if col == 0 { line.append(" ") }
                line += fit
                line += repeatElement(" ", count: space)
                left[col] = Array(left[col].dropFirst(max(0, cutoff)))
                line += repeatElement(" ", count: max(0, positions[col] - line.count))
            }
            lines.append(String(line))
        } while left.contains { !$0.isEmpty }
        return lines
    }

    // MARK: Keras 3

    private func keras3Summary(_ rows: [SummaryRow], total: Int, trainable: Int, optimizer: OptimizerParameters?)
        -> [String]
    {
        let widths = Self.keras3ColumnWidths(lineLength: 76, positions: [0.45, 0.80, 1.0])
        let rightAligned = [false, false, true]
        func border(_ left: String, _ fill: String, _ joint: String, _ right: String) -> String {
            left + widths.map { String(repeating: fill, count: $0) }.joined(separator: joint) + right
        }
        func tableRows(_ cells: [String], edge: String) -> [String] {
            // Each cell is wrapped to its width less one space of padding on each side (rich's `Table`).
            let wrapped = cells.indices.map { Self.wrapLikeRich(cells[$0], width: widths[$0] - 2) }
            let height = wrapped.map(\.count).max() ?? 1
            return (0..<height).map { lineIndex in
                let parts = cells.indices.map { col -> String in
                    let text = lineIndex < wrapped[col].count ? wrapped[col][lineIndex] : ""
                    let pad = String(repeating: " ", count: max(0, widths[col] - 2 - text.count))
                    return " " + (rightAligned[col] ? pad + text : text + pad) + " "
                }
                return edge + parts.joined(separator: edge) + edge
            }
        }
        var lines = ["Model: \"\(name)\"", border("┏", "━", "┳", "┓")]
        lines += tableRows(["Layer (type)", "Output Shape", "Param #"], edge: "┃")
        lines.append(border("┡", "━", "╇", "┩"))
        for (i, row) in rows.enumerated() {
            if i > 0 { lines.append(border("├", "─", "┼", "┤")) }
            lines += tableRows(
                [row.title, Self.shapeText(row.shape), Self.groupedThousands(row.parameters)], edge: "│")
        }
        lines.append(border("└", "─", "┴", "┘"))
        let size = { (bytes: Int) in Self.readableSize(bytes, units: ["B", "KB", "MB", "GB", "TB", "PB"]) }
        let optimizerCount = optimizer?.count ?? 0
        let optimizerBytes = optimizer?.bytes ?? 0
        lines.append(
            " Total params: \(Self.groupedThousands(total + optimizerCount)) (\(size(total * 4 + optimizerBytes)))")
        lines.append(" Trainable params: \(Self.groupedThousands(trainable)) (\(size(trainable * 4)))")
        lines.append(
            " Non-trainable params: \(Self.groupedThousands(total - trainable)) (\(size((total - trainable) * 4)))")
        if let optimizer {
            lines.append(" Optimizer params: \(Self.groupedThousands(optimizer.count)) (\(size(optimizer.bytes)))")
        }
        return lines
    }

    /// Keras 3 gives rich's table column widths `int(p × lineLength)` steps and a total width of
    /// `lineLength`; rich adds one space of padding on each side and, as the borders leave less room, takes
    /// the excess from the columns in turn (`ratio_reduce`, Python's half-to-even `round`).
    static func keras3ColumnWidths(lineLength: Int, positions: [Double]) -> [Int] {
        var requested: [Int] = []
        var current = 0
        for position in positions {
            let width = Int(position * Double(lineLength)) - current
            requested.append(width + 2)
            current += width
        }
        let available = lineLength - (positions.count + 1)
        var excess = requested.reduce(0, +) - available
        guard excess > 0 else { return requested }
        var remainingRatio = requested.count
        return requested.map { width in
            let share = (Double(excess) / Double(remainingRatio)).rounded(.toNearestOrEven)
            let taken = min(width, Int(share))
            excess -= taken
            remainingRatio -= 1
            return width - taken
        }
    }

    /// A rich table cell's lines (`Text.wrap` with the column's default `ellipsis` overflow): words keep
    /// their trailing spaces, a word that does not fit goes to the next line, a word longer than the width
    /// gets a line of its own and is cut to `width - 1` characters and `…`.
    static func wrapLikeRich(_ text: String, width: Int) -> [String] {
        let characters = Array(text)
        var breaks: [Int] = []
        var offset = 0
        var i = 0
        while i < characters.count {
            // A word: leading spaces, non-spaces, trailing spaces (rich's `\s*\S+\s*`).
            let start = i
            while i < characters.count, characters[i] == " " { i += 1 }
            while i < characters.count, characters[i] != " " { i += 1 }
            let contentEnd = i
            while i < characters.count, characters[i] == " " { i += 1 }
            let length = contentEnd - start
            if width - offset >= length {
                offset += i - start
            } else if length > width || offset > 0 {
                if start > 0 { breaks.append(start) }
                offset = i - start
            }
        }
        var lines: [String] = []
        var previous = 0
        for position in breaks + [characters.count] {
            var line = characters[previous..<position]
            while line.last == " " { line.removeLast() }
            lines.append(line.count > width ? String(line.prefix(width - 1)) + "…" : String(line))
            previous = position
        }
        return lines
    }

    // MARK: Shared

    /// Python's `"{:.2f} {unit}"` of `bytes`, divided by 1024 while that leaves at least 1 (Keras's
    /// `readable_memory_size`).
    static func readableSize(_ bytes: Int, units: [String]) -> String {
        var size = Double(bytes)
        for unit in units {
            if size / 1024 < 1 { return String(format: "%.2f", size) + " " + unit }
            size /= 1024
        }
        return String(format: "%.2f", size) + " " + units[units.count - 1]
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
