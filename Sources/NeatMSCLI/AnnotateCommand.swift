import Annotation
import AnnotationServer
import ArgumentParser
import Foundation
import NeatMS
import Support

extension PeakOrder: ExpressibleByArgument {}

/// `neatms annotate`: label peaks in the browser (a local web server; the labels go to LABELS.csv).
struct AnnotateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotate",
        abstract: "Label peaks in the browser, keyboard-fast, every label saved at once to LABELS.csv.",
        discussion: """
            Starts a local web server and prints the page's URL, with a random access token, as the first \
            line on stdout; opens the browser unless --no-open. Keys: 1..k label with the k-th class of \
            --classes and move on, ←/→ previous/next, u undo, s skip, r retrain (with --model), Enter \
            confirms the predicted label (review mode). Every label is in LABELS.csv (the format `neatms \
            dataset --labels` reads, labelling order kept; rewritten atomically and synced to disk) before \
            the next peak is shown; running the same command again resumes. With --results RESULTS.csv (from \
            `neatms predict --raw`) the page walks those labels to confirm or correct them. Retraining \
            fine-tunes the model's classifier with the convolutional base frozen (Adam lr 1e-4, 30 epochs) \
            on the labels so far, holding a fifth out to report its accuracy; the page can save the \
            fine-tuned model as <LABELS stem>.retrained.h5 beside LABELS.csv. The server answers only \
            requests that carry the token and name its own address in the Host header. Ctrl-C ends it.
            """)

    @OptionGroup var experiment: ExperimentOptions

    @Option(help: "The labels file (created if missing; an existing one is resumed).")
    var labels: String

    @Option(help: "A Keras model file: shows its probabilities, enables --order uncertain and retraining.")
    var model: String?

    @Option(help: "A `neatms predict --raw` results CSV whose labels to review.")
    var results: String?

    @Option(help: "The classes in key order (key 1 = the first).")
    var classes: String = "High_quality,Low_quality,Noise"

    @Option(help: "Peak order: random (seeded), uncertain (least confident first; needs --model), feature.")
    var order: PeakOrder = .random

    @Option(help: "Seed of the random order and of retraining.")
    var seed: UInt64 = 0

    @Option(help: "Port to listen on (0: a free port).")
    var port: Int = 0

    @Option(help: "Address to listen on. Anything but loopback exposes the page (token-protected) to the network.")
    var host: String = "127.0.0.1"

    @Flag(help: "Do not open the browser.")
    var noOpen = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        do {
            try SessionOptions.checkClasses(CommandSupport.classList(classes))
        } catch let error as AnnotationError {
            throw ValidationError(error.problem)
        }
        if order == .uncertain && model == nil { throw ValidationError("--order uncertain needs --model") }
    }

    func run() throws {
        try Diagnostics.reportingErrors {
            let loaded = try experiment.load()
            let session = try AnnotationSession(
                experiment: loaded,
                options: SessionOptions(
                    labelsPath: labels, classes: CommandSupport.classList(classes), order: order, seed: seed,
                    modelPath: model, resultsPath: results))
            for line in session.unresolvedLabels {
                Diagnostics.warning("\(labels): \(line) (kept in the file)")
            }
            let progress = session.progress
            let token = AnnotationServer.makeToken()
            let host = self.host
            let port = self.port
            let open = !noOpen
            let failure = Locked<(any Error)?>(nil)
            let done = DispatchSemaphore(value: 0)
            Task {
                do {
                    try await AnnotationServer.run(session: session, host: host, port: port, token: token) { url in
                        printResult(url + "\n")
                        Diagnostics.note(
                            "\(progress.labelled) peak(s) labelled, \(progress.queue) in the queue; "
                                + "labels go to \(labels); Ctrl-C ends")
                        if open { Self.openBrowser(url) }
                    }
                } catch {
                    failure.withLock { $0 = error }
                }
                done.signal()
            }
            done.wait()
            if let error = failure.current {
                throw CommandError(file: "", problem: "the server stopped: \(error)")
            }
        }
    }

    /// Opens `url` with xdg-open (Linux) or open (macOS) when there is one; never fails.
    static func openBrowser(_ url: String) {
        #if os(macOS)
            let candidates = ["/usr/bin/open"]
        #else
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            let candidates = path.split(separator: ":").map { "\($0)/xdg-open" }
        #endif
        guard let tool = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = [url]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? ChildProcessGate.run(process)
    }
}
