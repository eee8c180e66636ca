// neatms-bench: NeatMSKit's side of Scripts/bench (the network figures of issue 3).
//
// Measures, on `--threads` cores, the NeatMS network (docs/NEATMS-BEHAVIOUR.md#network; 120×3, freshly initialised):
// inference matrices/s at batch 32 and 1024 over `--count` matrices (median of 3 timed runs after a
// warm-up) and training samples/s for one epoch of `--count` at batch 32 (the second of two epochs, as on
// the Keras side). Prints one JSON object on stdout, the same keys Scripts/benchmarks/bench_keras.py prints:
// `*_per_s` wall-clock rates and `*_per_cpu_s` the same work per second of process CPU time.
import ArgumentParser
import Foundation
import NeuralNet
import Tensor

struct NeatmsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neatms-bench",
        abstract: "Inference and training throughput of the NeatMS network (JSON on stdout).")

    @Option(help: "Cores for batch work (the Keras side uses the same number).")
    var threads = 1

    @Option(help: "Matrices per measurement.")
    var count = 10_000

    @Option(help: "Measure only this part: inference or training (e.g. for an instruction-count profile).")
    var only: Part?

    enum Part: String, ExpressibleByArgument { case inference, training }

    @Option(help: "Train with the first N layers frozen (4: NeatMS's fine-tuning of the dense layers).")
    var freezeFirst = 0

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        // Profiles (--only) may use fewer: instruction counts need no long runs.
        guard count >= (only == nil ? 1024 : 32) else { throw ValidationError("--count must be at least 1024") }
    }

    func run() throws {
        let network = try Network.neatms(matrixSize: 120, classes: 3, optimizer: .adam(learningRate: 1e-5), seed: 1)
        network.threads = threads
        var rng = SeededGenerator(seed: 1)
        // Inputs shaped like NeatMS matrices: an intensity row in [0, 1] and a 0/1 window row.
        var scalars = [Float](repeating: 0, count: count * 240)
        for i in 0..<count {
            for j in 0..<120 { scalars[i * 240 + j] = rng.nextUnitFloat() }
            for j in 40..<80 { scalars[i * 240 + 120 + j] = 1 }
        }
        let x = Tensor(shape: [count, 2, 120, 1], scalars: scalars)
        let y = try Tensor.oneHot((0..<count).map { _ in rng.nextIndex(below: 3) }, classes: 3)

        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        var result: [String: Double] = ["threads": Double(threads), "count": Double(count)]
        for batch in [32, 1024] where only != .training {
            _ = try network.predict(subset(x, max(batch, 256)), batchSize: batch)  // warm-up
            var times: [Double] = []
            var cpu: [Double] = []
            for _ in 0..<3 {
                let c0 = processCPUSeconds()
                let d = try clock.measure { _ = try network.predict(x, batchSize: batch) }
                cpu.append(processCPUSeconds() - c0)
                times.append(seconds(d))
            }
            result["inference_b\(batch)_per_s"] = Double(count) / times.sorted()[1]
            result["inference_b\(batch)_per_cpu_s"] = Double(count) / cpu.sorted()[1]
        }
        if only == .inference {
            try printJSON(result)
            return
        }
        try network.freeze(firstLayers: freezeFirst)
        var epochTimes: [Double] = []
        var epochCPU: [Double] = []
        var epochStart = clock.now
        var cpuStart = processCPUSeconds()
        let options = FitOptions(
            epochs: 2, batchSize: 32, shuffle: true,
            onEpochEnd: { _ in
                epochTimes.append(seconds(clock.now - epochStart))
                epochCPU.append(processCPUSeconds() - cpuStart)
                epochStart = clock.now
                cpuStart = processCPUSeconds()
                return .proceed
            })
        epochStart = clock.now
        cpuStart = processCPUSeconds()
        _ = try network.fit(x: x, y: y, options: options)
        if let last = epochTimes.last, let first = epochTimes.first, let lastCPU = epochCPU.last {
            result["train_b32_per_s"] = Double(count) / last
            result["train_b32_per_cpu_s"] = Double(count) / lastCPU
            result["train_first_epoch_s"] = first
        }
        try printJSON(result)
    }

    private func printJSON(_ result: [String: Double]) throws {
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }

    /// The first `n` samples of `x`.
    private func subset(_ x: Tensor, _ n: Int) -> Tensor {
        let per = x.scalars.count / max(x.shape[0], 1)
        let m = min(n, x.shape[0])
        return Tensor(shape: [m] + x.shape.dropFirst(), scalars: Array(x.scalars[0..<(m * per)]))
    }
}

/// CPU time of this process so far (all threads), in seconds.
func processCPUSeconds() -> Double {
    var ts = timespec()
    guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0 else { return 0 }
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

NeatmsBench.main()
