import Foundation
import MassSpec

/// One sample of `Experiment.predictPeaks` with reading, matrices and the network overlapped.
///
/// A producer thread parses the mzML chunk by chunk, appends the spectra to the scans and, as soon as the
/// last time read lies beyond a peak's margin window, builds that peak's matrix (every scan it can use
/// has been read then, as times ascend); ready matrices go, in batches, to the calling thread, which only
/// runs the network. So on a machine with a core to spare, the network works on the first peaks while the
/// rest of the file is still being read, and building the last peaks overlaps the network too.
///
/// The matrices and their order are exactly those of reading first: each peak's matrix is computed from
/// the same scans by the same code. The network sees them in other batches, which changes its outputs only
/// in the last bits of a float (OpenBLAS's sums are not bit-identical across batch sizes; neither are
/// Keras's). A file whose times are not strictly ascending, or whose spectra are not sorted by m/z, is
/// finished the ordinary way: all scans first (sorted and merged by `MS1Scans`), then every peak is built
/// again, and the network's rows for the earlier batches are dropped.
struct StreamingSample {
    let table: FeatureTable
    let sample: Int
    let url: URL
    let options: MatrixOptions
    /// Ready matrices passed to the network at once (the last batch may be smaller).
    let batchSize: Int
    /// Spectra per chunk of the mzML reader.
    let spectraPerChunk: Int

    /// The sample's matrices (NeatMS's order) and one row of `predict`'s output per valid peak.
    func run(predict: (SampleMatrices) throws -> [[Float]]) throws -> (SampleMatrices, [[Float]]) {
        let list = table.peaksBySample[sample]
        let producer = MatrixProducer(streaming: self)
        defer { producer.cancelAndWait() }
        // Network rows by index among the valid peaks built (the producer's numbering).
        var rows: [[Float]?] = []
        while let item = try producer.next() {
            switch item {
            case .batch(let matrices, let first):
                let output = try predict(matrices)
                guard output.count == matrices.count else {
                    throw PredictionError(
                        message:
                            "\(matrices.sampleName): the model returned \(output.count) predictions for \(matrices.count) peaks"
                    )
                }
                if rows.count < first + output.count {
                    rows += Array(repeating: nil, count: first + output.count - rows.count)
                }
                for (i, row) in output.enumerated() { rows[first + i] = row }
            case .restart:
                rows.removeAll()
            case .finished(let built):
                return try built.assemble(list: list, table: table, sample: sample, options: options, rows: rows)
            }
        }
        // Not reached: the producer ends with `.finished` or an error.
        throw PredictionError(message: "\(table.samples[sample]): reading ended without a result")
    }
}

/// What the producer hands to the network thread.
private enum ProducedItem: Sendable {
    /// Valid matrices numbered `first ..< first + count` among the valid peaks built.
    case batch(SampleMatrices, first: Int)
    /// The file was out of order: every peak is built again, earlier batches no longer count.
    case restart
    /// Every peak is built.
    case finished(BuiltPeaks)
}

/// The peaks built so far, in build order: the valid ones' matrices (flat), positions and scan numbers,
/// and each position's outcome.
private struct BuiltPeaks: Sendable {
    enum State: Sendable {
        case valid(Int)  // index among the valid peaks built
        case invalid(InvalidPeakReason)
    }

    let floatsPerMatrix: Int
    var state: [State?]
    var positions: [Int] = []
    var scanNumbers: [Int] = []
    var values: [Float] = []

    init(peakCount: Int, floatsPerMatrix: Int) {
        self.floatsPerMatrix = floatsPerMatrix
        state = Array(repeating: nil, count: peakCount)
    }

    mutating func add(position: Int, _ result: PeakMatrixResult) {
        switch result {
        case .valid(let matrix, let scanNumber):
            state[position] = .valid(positions.count)
            positions.append(position)
            scanNumbers.append(scanNumber)
            values.append(contentsOf: matrix)
        case .invalid(let reason):
            state[position] = .invalid(reason)
        }
    }

    /// The valid peaks `range` (build order) as one batch.
    func batch(_ range: Range<Int>, list: [Int], table: FeatureTable, sample: Int, options: MatrixOptions)
        -> SampleMatrices
    {
        SampleMatrices(
            sample: sample, sampleName: table.samples[sample], options: options,
            peaks: range.map { list[positions[$0]] }, positionsInSample: Array(positions[range]),
            scanNumbers: Array(scanNumbers[range]),
            values: Array(values[(range.lowerBound * floatsPerMatrix)..<(range.upperBound * floatsPerMatrix)]),
            invalid: [])
    }

    /// The sample's matrices in NeatMS's order (its peak list) and their network rows.
    func assemble(list: [Int], table: FeatureTable, sample: Int, options: MatrixOptions, rows: [[Float]?]) throws
        -> (SampleMatrices, [[Float]])
    {
        var valid: [Int] = []
        var numbers: [Int] = []
        var matrixValues: [Float] = []
        var ordered: [[Float]] = []
        var invalid: [(peak: Int, reason: InvalidPeakReason)] = []
        matrixValues.reserveCapacity(values.count)
        ordered.reserveCapacity(positions.count)
        for (position, peak) in list.enumerated() {
            switch state[position] {
            case .valid(let i):
                guard i < rows.count, let row = rows[i] else {
                    throw PredictionError(message: "\(table.samples[sample]): no prediction for peak \(position)")
                }
                valid.append(position)
                numbers.append(scanNumbers[i])
                matrixValues.append(contentsOf: values[(i * floatsPerMatrix)..<((i + 1) * floatsPerMatrix)])
                ordered.append(row)
            case .invalid(let reason):
                invalid.append((peak, reason))
            case .none:
                invalid.append((peak, .missingWindow))
            }
        }
        let matrices = SampleMatrices(
            sample: sample, sampleName: table.samples[sample], options: options, peaks: valid.map { list[$0] },
            positionsInSample: valid, scanNumbers: numbers, values: matrixValues, invalid: invalid)
        return (matrices, ordered)
    }
}

/// Reads one sample's mzML and builds its peaks' matrices on a thread of its own, handing batches of
/// ready matrices through a queue. `next()` returns the items in order, then nil, or rethrows the
/// producer's error.
private final class MatrixProducer: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [ProducedItem] = []
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false

    private struct Cancelled: Error {}

    init(streaming: StreamingSample) {
        let thread = Thread { [self] in
            var error: (any Error)?
            do {
                try produce(streaming)
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

    /// Throws `Cancelled` once the consumer has stopped.
    private func checkCancelled() throws {
        condition.lock()
        defer { condition.unlock() }
        if cancelled { throw Cancelled() }
    }

    /// Queues an item; throws `Cancelled` once the consumer has stopped.
    private func hand(_ item: ProducedItem) throws {
        condition.lock()
        defer { condition.unlock() }
        if cancelled { throw Cancelled() }
        items.append(item)
        condition.signal()
    }

    /// The next item (waiting for it), or nil after the last one.
    func next() throws -> ProducedItem? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !finished { condition.wait() }
        if !items.isEmpty { return items.removeFirst() }
        if let failure { throw failure }
        return nil
    }

    /// Stops the producer at its next chunk and waits until it has finished.
    func cancelAndWait() {
        condition.lock()
        cancelled = true
        while !finished { condition.wait() }
        condition.unlock()
    }

    /// Reads, builds and hands over (on the producer thread).
    private func produce(_ s: StreamingSample) throws {
        let table = s.table
        let options = s.options
        let sample = s.sample
        let list = table.peaksBySample[sample]
        var built = BuiltPeaks(peakCount: list.count, floatsPerMatrix: 2 * options.size)
        var handed = 0  // valid peaks already handed to the network

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
        var fileRT: [Double] = []
        var fileOffsets: [Int] = [0]
        var fileMZ: [Double] = []
        var fileIntensity: [Double] = []
        var buffers = PeakMatrixBuilder.ChromatogramBuffers()

        func handOver(all: Bool) throws {
            while built.positions.count - handed >= s.batchSize || (all && built.positions.count > handed) {
                let end = min(built.positions.count, handed + s.batchSize)
                try hand(
                    .batch(
                        built.batch(handed..<end, list: list, table: table, sample: sample, options: options),
                        first: handed))
                handed = end
            }
        }
        func build(upTo limit: Int, from scans: MS1Scans) throws {
            while next < limit {
                let position = order[next].position
                built.add(
                    position: position,
                    PeakMatrixBuilder.matrix(
                        for: table.peaks[list[position]].window, in: scans, options: options, buffers: &buffers))
                next += 1
                if built.positions.count - handed >= s.batchSize { try handOver(all: false) }
            }
        }

        try MzMLReader(url: s.url).forEachMS1Chunk(
            keeping: table.mzRanges(sample: sample), centroidingProfileSpectra: true, spectraPerChunk: s.spectraPerChunk
        ) { chunk in
            try checkCancelled()  // the network thread failed: stop reading
            if inOrder,
                scans.appendInOrder(rt: chunk.rt, offsets: chunk.offsets, mz: chunk.mz, intensity: chunk.intensity)
            {
                // Every scan at or before the last time read is here: peaks ending before it are ready.
                let last = scans.rt.last ?? -.infinity
                var limit = next
                while limit < order.count, order[limit].end < last { limit += 1 }
                try build(upTo: limit, from: scans)
                return
            }
            if inOrder {
                // Later spectra may belong inside windows already built: build everything again at the end.
                inOrder = false
                fileRT = scans.rt
                fileOffsets = scans.offsets
                fileMZ = scans.mz
                fileIntensity = scans.intensity
                scans = MS1Scans(rt: [], offsets: [0], mz: [], intensity: [])
                if handed > 0 { try hand(.restart) }
                built = BuiltPeaks(peakCount: list.count, floatsPerMatrix: 2 * options.size)
                handed = 0
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
        try handOver(all: true)
        try hand(.finished(built))
    }
}
