import FileSupport
import Foundation
import KerasFormat
import NeatMS
import NeuralNet
import Support
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A small tmpfs mounted for one test (needs the right to mount: root, or CAP_SYS_ADMIN).
final class SmallDisk {
    let url: URL
    private var mounted = false

    /// Whether this process may mount a tmpfs (tried once, on a scratch folder).
    static let available: Bool = {
        guard let disk = try? SmallDisk(kilobytes: 64) else { return false }
        disk.unmount()
        return true
    }()

    init(kilobytes: Int) throws {
        url = try TestPaths.temporaryDirectory("small-disk")
        try Self.run(["mount", "-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", url.path])
        mounted = true
    }

    /// Fills the disk, then frees `slack` bytes: a writer starts and runs out of space part-way.
    func fill(leaving slack: Int) throws {
        let filler = url.appendingPathComponent("filler")
        let fd = open(filler.path, O_WRONLY | O_CREAT, 0o644)
        defer { close(fd) }
        let block = [UInt8](repeating: 1, count: 4096)
        var total = 0
        while true {
            let n = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            total += n
        }
        _ = ftruncate(fd, off_t(max(0, total - slack)))
    }

    func remountReadOnly() throws { try Self.run(["mount", "-o", "remount,ro", url.path]) }

    func unmount() {
        if mounted { try? Self.run(["umount", url.path]) }
        mounted = false
    }

    deinit { unmount() }

    static func run(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try ChildProcessGate.run(p)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CocoaError(.fileWriteNoPermission) }
    }
}

/// Every writer, on a full disk and in a read-only folder: one error line naming the file, the earlier
/// file at that path untouched, no temporary file left.
@Suite(
    .serialized,
    .enabled(
        if: SmallDisk.available,
        "mount -t tmpfs is not permitted here (needs root or CAP_SYS_ADMIN): full-disk and read-only tests skipped"))
struct FullDiskTests {
    static let earlier = Data("the earlier file".utf8)

    /// Each writer, named, writing to a destination URL.
    static func writers() throws -> [(name: String, file: String, write: (URL) throws -> Void)] {
        let network = try Network.neatms(matrixSize: 32, optimizer: .adam(learningRate: 1e-3), seed: 1)
        let model = network.exportModel()
        let n = 200
        let dataset = PeakDataset(
            classes: ["A", "B"], samples: ["s.mzML"], options: MatrixOptions(size: 32),
            x: (0..<(n * 64)).map { Float($0 % 7) }, y: (0..<n).map { $0 % 2 }, sample: Array(repeating: 0, count: n),
            featureID: Array(0..<n), peakIndexInSample: Array(0..<n), mz: (0..<n).map(Double.init),
            rt: (0..<n).map(Double.init), labelOrder: Array(0..<n), invalidY: [], invalidLabelOrder: [])
        let sample = MatrixFile.Sample(
            name: "s", size: 32, x: (0..<(n * 64)).map { Float($0) }, peakIndexInSample: Array(0..<n),
            mz: (0..<n).map(Double.init), rt: (0..<n).map(Double.init), rtStart: (0..<n).map(Double.init),
            rtEnd: (0..<n).map(Double.init), mzMin: (0..<n).map(Double.init), mzMax: (0..<n).map(Double.init),
            height: (0..<n).map(Double.init), area: (0..<n).map(Double.init), scanNumber: Array(0..<n))
        let state = TrainingState(
            model: model, completedEpochs: 1, history: History(), finished: false, random: [1, 2, 3, 4], threads: 1,
            regularization: nil, best: nil, wait: 0, bestWeights: model.weights)
        var history = History()
        history.epochs = [EpochLogs(epoch: 0, values: ["loss": 1], seconds: 0, orderedNames: ["loss"])]
        var checkpointState = state
        checkpointState.history = history
        return [
            ("Keras .h5 model", "model.h5", { try KerasModelFile.write(model, to: $0, format: .tfKerasH5) }),
            ("Keras .keras archive", "model.keras", { try KerasModelFile.write(model, to: $0, format: .kerasArchive) }),
            (
                "Keras 2 weights", "model.weights.h5",
                { try KerasModelFile.write(model, to: $0, format: .keras2WeightsH5) }
            ),
            (
                "Keras 3 weights", "model3.weights.h5",
                { try KerasModelFile.write(model, to: $0, format: .keras3WeightsH5) }
            ),
            (
                "training checkpoint", "ck.h5",
                {
                    try TrainingCheckpoint(
                        state: checkpointState, run: ["--seed": "1"], indices: ["training": Array(0..<50)]
                    ).write(to: $0)
                }
            ),
            ("PEAKS.h5", "peaks.h5", { try dataset.write(to: $0) }),
            (
                "matrices file", "matrices.h5",
                { url in
                    let writer = try MatrixFile.Writer(
                        url: url, options: MatrixOptions(size: 32), tablePath: "t.csv", format: .mzmine)
                    do {
                        for k in 0..<4 {
                            var s = sample
                            s.name = "s\(k)"
                            try writer.add(s)
                        }
                        try writer.finish()
                    } catch {
                        writer.abandon()
                        throw error
                    }
                }
            ),
            ("CSV (AtomicFile)", "table.csv", { try AtomicFile.write(Data(repeating: 65, count: 200_000), to: $0) }),
        ]
    }

    func check(_ error: any Error, names file: URL) {
        let text = "\(error)"
        #expect(!text.contains("\n"), "not one line: \(text)")
        #expect(text.contains(file.path), "does not name the file: \(text)")
    }

    func leftovers(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
    }

    @Test func fullDiskLeavesTheEarlierFileAndNoTemporary() throws {
        for writer in try Self.writers() {
            for slack in [0, 6_000, 24_000] {
                let disk = try SmallDisk(kilobytes: 256)
                let target = disk.url.appendingPathComponent(writer.file)
                try Self.earlier.write(to: target)
                try disk.fill(leaving: slack)
                do {
                    try writer.write(target)
                    Issue.record("\(writer.name): wrote on a full disk (\(slack) bytes free)")
                } catch {
                    check(error, names: target)
                }
                #expect(try Data(contentsOf: target) == Self.earlier, "\(writer.name): the earlier file changed")
                let left = try leftovers(disk.url)
                #expect(left.isEmpty, "\(writer.name): temporary file left: \(left)")
                disk.unmount()
            }
        }
    }

    @Test func readOnlyFolderLeavesTheEarlierFile() throws {
        let disk = try SmallDisk(kilobytes: 1024)
        let writers = try Self.writers()
        for writer in writers { try Self.earlier.write(to: disk.url.appendingPathComponent(writer.file)) }
        try disk.remountReadOnly()
        for writer in writers {
            let target = disk.url.appendingPathComponent(writer.file)
            do {
                try writer.write(target)
                Issue.record("\(writer.name): wrote into a read-only folder")
            } catch {
                check(error, names: target)
                #expect("\(error)".contains("read-only file system"), "\(error)")
            }
            #expect(try Data(contentsOf: target) == Self.earlier)
        }
    }

    /// The CLI's view: one error line, exit status 1, the earlier output intact.
    @Test func convertToAFullDiskIsOneErrorLine() throws {
        let disk = try SmallDisk(kilobytes: 256)
        let target = disk.url.appendingPathComponent("out.keras")
        try Self.earlier.write(to: target)
        try disk.fill(leaving: 8_000)
        let r = try runNeatms(["convert", "--force", fixturePath("reduced_tfkeras2_full.h5"), target.path])
        #expect(r.status == 1)
        let line = try #require(singleErrorLine(r), "\(r.stderr)")
        #expect(line.hasPrefix("neatms: error: \(target.path): "), "\(line)")
        #expect(line.hasSuffix("(No space left on device)"), "\(line)")
        #expect(try Data(contentsOf: target) == Self.earlier)
        #expect(try leftovers(disk.url).isEmpty)
    }
}
