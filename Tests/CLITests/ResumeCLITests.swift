import Foundation
import HDF5
import KerasFormat
import NeatMS
import NeuralNet
import Support
import Tensor
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `neatms train --checkpoint CKPT --resume`: a run SIGKILLed at random moments and resumed ends bit for
/// bit where an uninterrupted run ends.
@Suite(.serialized) struct ResumeCLI {
    /// Training arguments shared by the reference and the killed runs: dropout (the random generator),
    /// reshuffling every epoch, early stopping's state and Adam's slots all have to survive a kill.
    func arguments(peaks: URL, out: URL, checkpoint: URL) -> [String] {
        [
            "train", "--data", peaks.path, "--epochs", "12", "--batch-size", "4", "--lr", "0.001", "--seed", "3",
            "--early-stopping", "6", "--checkpoint", checkpoint.path, "--resume", "-o", out.path,
        ]
    }

    /// Every weight and optimiser slot as bit patterns (`==` on floats would let -0 equal 0).
    func bits(_ url: URL) throws -> (weights: [[[UInt32]]], iterations: Int?, slots: [String: [[[UInt32]]]]) {
        let model = try KerasModelFile.read(url)
        let weights = model.weights.map { $0.map { $0.scalars.map(\.bitPattern) } }
        let slots = (model.optimizerState?.slots ?? [:]).mapValues {
            $0.map { $0.map { $0.scalars.map(\.bitPattern) } }
        }
        return (weights, model.optimizerState?.iterations, slots)
    }

    /// Starts `neatms` with `arguments`, output discarded.
    func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = try #require(neatmsExecutable())
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try ChildProcessGate.run(process)
        return process
    }

    @Test func killedAtRandomMomentsAndResumedEndsBitIdentical() throws {
        let dir = try TestPaths.temporaryDirectory()
        let (peaks, _) = try TrainCLI().makePeaks(dir, copies: 6)
        let referenceOut = dir.appendingPathComponent("reference.h5")
        let began = Date()
        let reference = try runNeatms(
            arguments(peaks: peaks, out: referenceOut, checkpoint: dir.appendingPathComponent("reference.ckpt.h5")))
        #expect(reference.status == 0, "\(reference.stderr)")
        let duration = Date().timeIntervalSince(began)
        let expected = try bits(referenceOut)
        let expectedValidation = try PeakDataset.read(dir.appendingPathComponent("reference.validation.h5"))

        var generator = SystemRandomNumberGenerator()
        var kills = 0
        var resumedFromCheckpoint = 0
        var rounds = 0
        while kills < 20 {
            rounds += 1
            let out = dir.appendingPathComponent("killed.h5")
            let checkpoint = dir.appendingPathComponent("killed.ckpt.h5")
            for leftover in [out, checkpoint] { try? FileManager.default.removeItem(at: leftover) }
            // Kill until a run finishes by itself (each run resumes from whatever checkpoint stands).
            while true {
                let process = try start(arguments(peaks: peaks, out: out, checkpoint: checkpoint))
                let hadCheckpoint = FileManager.default.fileExists(atPath: checkpoint.path)
                usleep(UInt32(Double.random(in: 0...(duration * 0.6), using: &generator) * 1e6))
                if process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    process.waitUntilExit()
                    if process.terminationReason == .uncaughtSignal { kills += 1 }
                    if hadCheckpoint { resumedFromCheckpoint += 1 }
                    // Whatever moment the kill hit, the checkpoint there is a whole, loadable one.
                    if FileManager.default.fileExists(atPath: checkpoint.path) {
                        _ = try TrainingCheckpoint.read(checkpoint)
                    }
                    continue
                }
                process.waitUntilExit()
                #expect(process.terminationStatus == 0)
                break
            }
            let got = try bits(out)
            // Compared as Bools so that a failure names the round instead of printing every weight.
            let sameWeights = got.weights == expected.weights
            let sameOptimizer = got.iterations == expected.iterations && got.slots == expected.slots
            #expect(sameWeights, "round \(rounds): weights differ")
            #expect(sameOptimizer, "round \(rounds): optimizer state differs")
            #expect(try PeakDataset.read(dir.appendingPathComponent("killed.validation.h5")) == expectedValidation)
            // A resumed run removes the temporary files its killed predecessors left.
            let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
            #expect(left.isEmpty, "\(left)")
        }
        // The kills must have hit runs that had a checkpoint to resume from, not only fresh starts.
        #expect(resumedFromCheckpoint >= 5, "only \(resumedFromCheckpoint) of \(kills) kills hit a resumed run")
    }

    @Test func resumeWithAnotherOptionIsOneErrorLineNamingIt() throws {
        let dir = try TestPaths.temporaryDirectory()
        let (peaks, _) = try TrainCLI().makePeaks(dir)
        let out = dir.appendingPathComponent("m.h5")
        let checkpoint = dir.appendingPathComponent("ck.h5")
        var args = [
            "train", "--data", peaks.path, "--epochs", "2", "--lr", "0.001", "--checkpoint", checkpoint.path,
            "--resume", "-o", out.path,
        ]
        #expect(try runNeatms(args).status == 0)
        let before = try Data(contentsOf: checkpoint)
        for (option, value) in [("--seed", "9"), ("--batch-size", "7"), ("--epochs", "3")] {
            var changed = args
            if let i = changed.firstIndex(of: option) { changed[i + 1] = value } else { changed += [option, value] }
            let r = try runNeatms(changed)
            #expect(r.status == 1)
            let line = try #require(singleErrorLine(r), "\(r.stderr)")
            #expect(line.hasPrefix("neatms: error: \(checkpoint.path): cannot resume: \(option) differs"), "\(line)")
        }
        // Other data (one matrix value changed) is refused too, naming --data.
        let (other, _) = try TrainCLI().makePeaks(dir, copies: 5, name: "other.h5")
        var ds = try PeakDataset.read(other)
        ds.x[0] += 1
        try ds.write(to: other)
        args[2] = other.path
        let r = try runNeatms(args)
        #expect(singleErrorLine(r)?.contains("cannot resume: --data differs") == true, "\(r.stderr)")
        #expect(try Data(contentsOf: checkpoint) == before)
        // A plain model file is not a checkpoint.
        let plain = try runNeatms([
            "train", "--data", peaks.path, "--epochs", "1", "--checkpoint", fixturePath("reduced_tfkeras2_full.h5"),
            "--resume", "-o", out.path,
        ])
        #expect(singleErrorLine(plain)?.contains("no NeatMSKit training state") == true, "\(plain.stderr)")
    }

    /// A `.keras` checkpoint resumes as exactly as an `.h5` one and still opens as a model.
    @Test func kerasArchiveCheckpointResumes() throws {
        let dir = try TestPaths.temporaryDirectory()
        let (peaks, _) = try TrainCLI().makePeaks(dir)
        func args(_ epochs: Int, _ out: String, _ ck: String) -> [String] {
            [
                "train", "--data", peaks.path, "--epochs", "\(epochs)", "--lr", "0.001", "--seed", "4",
                "--checkpoint", dir.appendingPathComponent(ck).path, "--resume", "-o",
                dir.appendingPathComponent(out).path,
            ]
        }
        #expect(try runNeatms(args(4, "ref.h5", "ref.keras")).status == 0)
        // Stop after 2 epochs: the checkpoint of a 2-epoch run is rewritten as one of a 4-epoch run.
        #expect(try runNeatms(args(2, "part.h5", "part.keras")).status == 0)
        let partial = try TrainingCheckpoint.read(dir.appendingPathComponent("part.keras"))
        var state = partial.state
        var run = partial.run
        run["--epochs"] = "4"
        run["--output"] = dir.appendingPathComponent("rest.h5").path
        state.finished = false
        try TrainingCheckpoint(state: state, run: run, indices: partial.indices).write(
            to: dir.appendingPathComponent("rest.keras"))
        let r = try runNeatms(args(4, "rest.h5", "rest.keras"))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("resuming from"))
        let (rest, ref) = (
            try bits(dir.appendingPathComponent("rest.h5")), try bits(dir.appendingPathComponent("ref.h5"))
        )
        let same = rest.weights == ref.weights && rest.slots == ref.slots && rest.iterations == ref.iterations
        #expect(same, "the resumed .keras run differs from the uninterrupted one")
        _ = try KerasModelFile.read(dir.appendingPathComponent("rest.keras"))
    }
}
