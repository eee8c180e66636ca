import Foundation
import MassSpec

/// One sample of `Experiment.predictPeaks` with reading, matrices and the network overlapped.
///
/// A reader thread parses the mzML and hands over chunks of MS1 spectra; this thread appends them to the
/// scans and, as soon as the last time read lies beyond a peak's margin window, builds that peak's matrix
/// (every scan it can use has been read then, as times ascend) and passes the ready matrices to the
/// network in batches. So on a machine with a core to spare, the network runs on the first peaks while
/// the rest of the file is still being read. Matrices, their order and the predictions are exactly those
/// of reading first: each peak's matrix is computed from the same scans by the same code, and the network
/// computes every sample's row the same way in any batch. A file whose times are not strictly ascending,
/// or whose spectra are not sorted by m/z, is finished the ordinary way (all scans first, then sorted).
struct StreamingSample {
    let table: FeatureTable
    let sample: Int
    let url: URL
    let options: MatrixOptions
    /// Ready matrices passed to the network at once (the last batch may be smaller).
    let batchSize: Int
    /// Spectra per chunk handed over by the reader.
    let spectraPerChunk: Int

    /// The sample's matrices (NeatMS's order) and one row of `predict`'s output per valid peak.
    func run(predict: (SampleMatrices) throws -> [[Float]]) throws -> (SampleMatrices, [[Float]]) {
        let list = table.peaksBySample[sample]
        let size = 2 * options.size
        var built = BuiltPeaks(peakCount: list.count, floatsPerMatrix: size)

        // Peaks with a window, by the end of their margin window (a NaN end sorts last and waits for the
        // end of the file); a peak without a window is invalid whatever the scans.
        var order: [(position: Int, end: Double)] = []
        for (position, peak) in list.enumerated() {
            guard let window = table.peaks[peak].window else { continue }
            order.append((position, PeakMatrixBuilder.marginWindow(window, margin: options.margin).hi))
        }
        order.sort { $0.end < $1.end || (!$0.end.isNaN && $1.end.isNaN) }
        var next = 0  // first peak of `order` not built yet

        var scans = MS1Scans(rt: [], offsets: [0], mz: [], intensity: [])
        var inOrder = true
        // Once the file turns out not to be in order: its spectra as read, for `MS1Scans.init`.
        var fileRT: [Double] = [], fileOffsets: [Int] = [0], fileMZ: [Double] = [], fileIntensity: [Double] = []
        var chromatogramRT: [Double] = [], chromatogramIntensity: [Double] = []

        func flush() throws {
            let batch = built.unpredicted
            guard !batch.isEmpty else { return }
            let matrices = SampleMatrices(
                sample: sample, sampleName: table.samples[sample], options: options,
                peaks: batch.map { list[built.positions[$0]] }, positionsInSample: batch.map { built.positions[$0] },
                scanNumbers: batch.map { built.scanNumbers[$0] },
                values: Array(built.values[(batch.lowerBound * size)..<(batch.upperBound * size)]), invalid: [])
            let rows = try predict(matrices)
            guard rows.count == matrices.count else {
                throw PredictionError(
                    message: "\(matrices.sampleName): the model returned \(rows.count) predictions for \(matrices.count) peaks")
            }
            built.outputs.append(contentsOf: rows)
        }
        func build(upTo limit: Int, from scans: MS1Scans) throws {
            while next < limit {
                let position = order[next].position
                let window = table.peaks[list[position]].window!
                PeakMatrixBuilder.extractChromatogram(
                    window: window, scans: scans, margin: options.margin,
                    rt: &chromatogramRT, intensity: &chromatogramIntensity)
                built.add(
                    position: position,
                    PeakMatrixBuilder.matrix(
                        window: window, chromatogramRT: chromatogramRT, chromatogramIntensity: chromatogramIntensity,
                        options: options))
                next += 1
                if built.unpredicted.count >= batchSize { try flush() }
            }
        }

        let reader = ChunkReader(url: url, ranges: table.mzRanges(sample: sample), spectraPerChunk: spectraPerChunk)
        defer { reader.cancelAndWait() }
        while let chunk = try reader.next() {
            if inOrder, scans.appendInOrder(rt: chunk.rt, offsets: chunk.offsets, mz: chunk.mz, intensity: chunk.intensity) {
                // Every scan at or before the last time read is here: peaks ending before it are ready.
                let last = scans.rt.last ?? -.infinity
                var limit = next
                while limit < order.count, order[limit].end < last { limit += 1 }
                try build(upTo: limit, from: scans)
                continue
            }
            if inOrder {
                // A time out of order (or a spectrum not sorted by m/z): later spectra may belong inside
                // windows already built, so everything is built again from the sorted scans at the end.
                inOrder = false
                fileRT = scans.rt
                fileOffsets = scans.offsets
                fileMZ = scans.mz
                fileIntensity = scans.intensity
                scans = MS1Scans(rt: [], offsets: [0], mz: [], intensity: [])
                built = BuiltPeaks(peakCount: list.count, floatsPerMatrix: size)
                next = 0
            }
            let base = fileMZ.count
            fileRT.append(contentsOf: chunk.rt)
            fileOffsets.append(contentsOf: chunk.offsets.dropFirst().lazy.map { $0 + base })
            fileMZ.append(contentsOf: chunk.mz)
            fileIntensity.append(contentsOf: chunk.intensity)
        }
        if !inOrder { scans = MS1Scans(rt: fileRT, offsets: fileOffsets, mz: fileMZ, intensity: fileIntensity) }
        try build(upTo: order.count, from: scans)
        try flush()

        // NeatMS's order: the sample's peak list.
        var valid: [Int] = [], scanNumbers: [Int] = [], values: [Float] = [], rows: [[Float]] = []
        var invalid: [(peak: Int, reason: InvalidPeakReason)] = []
        values.reserveCapacity(built.positions.count * size)
        for (position, peak) in list.enumerated() {
            switch built.state[position] {
            case .valid(let i):
                valid.append(position)
                scanNumbers.append(built.scanNumbers[i])
                values.append(contentsOf: built.values[(i * size)..<((i + 1) * size)])
                rows.append(built.outputs[i])
            case .invalid(let reason):
                invalid.append((peak, reason))
            case .none:
                invalid.append((peak, .missingWindow))
            }
        }
        let matrices = SampleMatrices(
            sample: sample, sampleName: table.samples[sample], options: options, peaks: valid.map { list[$0] },
            positionsInSample: valid, scanNumbers: scanNumbers, values: values, invalid: invalid)
        return (matrices, rows)
    }
}

/// The peaks built so far, in build order: the valid ones' matrices (flat), positions and scan numbers,
/// the network's rows for the first `outputs.count` of them, and each position's outcome.
private struct BuiltPeaks {
    enum State {
        case valid(Int)  // index among the valid peaks built
        case invalid(InvalidPeakReason)
    }

    let floatsPerMatrix: Int
    var state: [State?]
    var positions: [Int] = []
    var scanNumbers: [Int] = []
    var values: [Float] = []
    var outputs: [[Float]] = []

    init(peakCount: Int, floatsPerMatrix: Int) {
        self.floatsPerMatrix = floatsPerMatrix
        state = Array(repeating: nil, count: peakCount)
    }

    /// Valid peaks built but not yet through the network.
    var unpredicted: Range<Int> { outputs.count..<positions.count }

    mutating func add(position: Int, _ result: PeakMatrixResult) {
        switch result {
        case let .valid(matrix, scanNumber):
            state[position] = .valid(positions.count)
            positions.append(position)
            scanNumbers.append(scanNumber)
            values.append(contentsOf: matrix)
        case let .invalid(reason):
            state[position] = .invalid(reason)
        }
    }
}

/// Reads one mzML file on its own thread, handing over chunks of MS1 spectra (`forEachMS1Chunk`) through
/// a queue. `next()` returns the chunks in file order, then nil, or rethrows the reader's error.
private final class ChunkReader: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [MS1Run] = []
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false

    private struct Cancelled: Error {}

    init(url: URL, ranges: MZRanges, spectraPerChunk: Int) {
        let thread = Thread { [self] in
            var error: (any Error)?
            do {
                try MzMLReader(url: url).forEachMS1Chunk(
                    keeping: ranges, centroidingProfileSpectra: true, spectraPerChunk: spectraPerChunk
                ) { chunk in
                    condition.lock()
                    defer { condition.unlock() }
                    if cancelled { throw Cancelled() }
                    chunks.append(chunk)
                    condition.signal()
                }
            } catch is Cancelled {
            } catch let thrown {
                error = thrown
            }
            condition.lock()
            failure = error
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The next chunk (waiting for it), or nil after the last one.
    func next() throws -> MS1Run? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !finished { condition.wait() }
        if !chunks.isEmpty { return chunks.removeFirst() }
        if let failure { throw failure }
        return nil
    }

    /// Stops the reader at its next chunk and waits until it has finished.
    func cancelAndWait() {
        condition.lock()
        cancelled = true
        while !finished { condition.wait() }
        condition.unlock()
    }
}
