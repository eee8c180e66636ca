// Keras's convention for name lists too large for one attribute (legacy `save_attributes_to_hdf5_group` /
// `load_attributes_from_hdf5_group`): a list whose array is over 64,512 bytes is stored as `name0`, `name1`, …

/// Keras's `HDF5_OBJECT_HEADER_LIMIT`: the largest attribute payload Keras stores in one attribute.
public let kerasAttributeSizeLimit = 64_512

extension HDF5Object {
    /// Reads the string list `name`, or, when absent, `name0`, `name1`, … concatenated (stopping at the first
    /// missing index). nil when neither exists. Each part reads as `stringListAttribute` does.
    public func readSplitStringList(_ name: String) throws -> [String]? {
        if let whole = try stringListAttribute(name) { return whole }
        var result: [String] = []
        var index = 0
        while let part = try stringListAttribute("\(name)\(index)") {
            result += part
            index += 1
        }
        return index == 0 ? nil : result
    }

    /// Writes `values` as Keras does: in one attribute `name` with `kind` when the list, as a numpy
    /// `S<longest>` array, is at most 64,512 bytes; otherwise split with numpy's `array_split` into the fewest
    /// chunks that fit, written as `name0`, `name1`, … fixed-length NULLPAD ASCII `S<longest>` arrays
    /// (what Keras's numpy chunks become). An empty list is the zero-sized float64 `(0,)` array h5py makes
    /// of `[]`. Existing `name` and `name<i>` attributes are removed first. A single string over the limit
    /// is an `.invalidArgument` error (Keras raises too).
    public func writeSplitStringList(_ name: String, _ values: [String], kind: HDF5StringKind) throws {
        let lengths = values.map(\.utf8.count)
        if let tooLong = lengths.firstIndex(where: { $0 > kerasAttributeSizeLimit }) {
            throw HDF5Error(
                .invalidArgument, file: filePath, object: attributePath(name),
                message: "string #\(tooLong) (\(lengths[tooLong]) bytes) is larger than "
                    + "\(kerasAttributeSizeLimit) bytes")
        }
        try HDF5Library.synchronized {
            if try hasAttribute(name) { try deleteAttribute(name) }
            var stale = 0
            while try hasAttribute("\(name)\(stale)") {
                try deleteAttribute("\(name)\(stale)")
                stale += 1
            }
            guard !values.isEmpty else {
                try setAttribute(name, .float64Array([]))
                return
            }
            let itemSize = max(1, lengths.max() ?? 1)
            let chunks = kerasChunkCount(count: values.count, itemSize: itemSize)
            guard chunks > 1 else {
                try setAttribute(name, .strings(values, kind))
                return
            }
            for (index, range) in arraySplitRanges(count: values.count, parts: chunks).enumerated() {
                try setAttribute("\(name)\(index)", .strings(Array(values[range]), .fixedASCII(itemSize)))
            }
        }
    }
}

/// The number of chunks Keras's loop picks: the smallest `k` whose largest `array_split` part
/// (`ceil(count / k)` items of `itemSize` bytes) is at most `kerasAttributeSizeLimit`.
func kerasChunkCount(count: Int, itemSize: Int) -> Int {
    var chunks = 1
    while (count + chunks - 1) / chunks * itemSize > kerasAttributeSizeLimit { chunks += 1 }
    return chunks
}

/// numpy's `array_split` of `count` items into `parts`: the first `count % parts` parts get one extra item.
func arraySplitRanges(count: Int, parts: Int) -> [Range<Int>] {
    let base = count / parts
    let extra = count % parts
    var start = 0
    return (0..<parts).map { part in
        let length = base + (part < extra ? 1 : 0)
        defer { start += length }
        return start..<(start + length)
    }
}
