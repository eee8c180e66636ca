import Foundation
import NeuralNet

extension Diagnostics {
    /// An informational line on stderr: `neatms: <message>`.
    static func note(_ message: String) {
        FileHandle.standardError.write(Data("neatms: \(message)\n".utf8))
    }
}

/// Keras-style training output on stderr: one line per epoch
/// (`Epoch 3/20 - 0s - loss: 1.0986 - accuracy: 0.3333 - mae: 0.4444 - val_loss: …`) and, within
/// epochs longer than a second, a progress bar redrawn in place when stderr is a terminal, or a plain
/// line every 10 seconds otherwise.
final class TrainingProgress {
    private let epochs: Int
    private let isTerminal: Bool
    private var epochStart: UInt64
    private var lastDraw: UInt64 = 0
    private var barShown = false

    init(epochs: Int, isTerminal: Bool = isatty(STDERR_FILENO) != 0) {
        self.epochs = epochs
        self.isTerminal = isTerminal
        epochStart = DispatchTime.now().uptimeNanoseconds
    }

    /// After every batch: draws the bar or a periodic line when the epoch is long.
    func batchEnded(_ p: BatchProgress) {
        let now = DispatchTime.now().uptimeNanoseconds
        let elapsed = Double(now - epochStart) / 1e9
        let sinceDraw = Double(now - lastDraw) / 1e9
        let metrics = ["loss", "accuracy", "mae"].compactMap { name in
            p.values[name].map { "\(name): \(Self.format($0))" }
        }.joined(separator: " - ")
        if isTerminal {
            guard elapsed >= 1, sinceDraw >= 0.1 || p.batch == p.batches else { return }
            let width = 30
            let done = p.batches > 0 ? width * p.batch / p.batches : width
            let bar =
                String(repeating: "=", count: max(done - 1, 0)) + (done < width ? ">" : "=")
                + String(repeating: ".", count: width - done)
            let eta = p.batch > 0 ? elapsed / Double(p.batch) * Double(p.batches - p.batch) : 0
            let counter =
                String(repeating: " ", count: max(0, String(p.batches).count - String(p.batch).count)) + "\(p.batch)"
            write("\r\(counter)/\(p.batches) [\(bar)] - ETA: \(Int(eta.rounded()))s - \(metrics)\u{1B}[K")
            barShown = true
        } else {
            guard elapsed >= 10, sinceDraw >= 10 else { return }
            write("Epoch \(p.epoch + 1)/\(epochs) - batch \(p.batch)/\(p.batches) - \(metrics)\n")
        }
        lastDraw = now
    }

    /// After every epoch: the Keras-style line.
    func epochEnded(_ logs: EpochLogs) {
        if barShown {
            write("\r\u{1B}[K")
            barShown = false
        }
        let values = logs.orderedNames.compactMap { name in logs.values[name].map { "\(name): \(Self.format($0))" } }
        let line = (["Epoch \(logs.epoch + 1)/\(epochs)", "\(Int(logs.seconds.rounded()))s"] + values)
            .joined(separator: " - ")
        write(line + "\n")
        epochStart = DispatchTime.now().uptimeNanoseconds
        lastDraw = 0
    }

    /// Keras's 4-decimal display (scientific below 1e-3, as Keras does for small losses).
    static func format(_ v: Double) -> String {
        if v != 0 && abs(v) < 1e-3 { return String(format: "%.4e", v) }
        return String(format: "%.4f", v)
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
