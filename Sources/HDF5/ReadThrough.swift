import Foundation

/// Every libhdf5 operation NeatMSKit's readers can make on a file, made once: the work of the child process
/// that contains libhdf5 crashes (`neatms` runs it before opening a file it did not write; docs/SECURITY.md).
///
/// libhdf5 decodes a file's structures lazily, as they are used, and the same bytes decode the same way each
/// time. So a file that survives this pass survives the readers' own opens and reads, which touch a subset
/// of the same structures with the same conversions: the file and its superblock, every group and link
/// (listed, never followed), every attribute (read as the readers decode it), every dataset's dataspace,
/// type, layout and filters (the checks made on open) and all its data, read in blocks as float32, float64
/// and int64 — the conversions the readers ask for. Objects the HDF5 layer refuses are skipped: the
/// caller's own read reports them with their path.
public enum HDF5ReadThrough {
    /// What one pass visited.
    public struct Summary: Sendable, Equatable {
        /// Groups visited, the root included.
        public var groups = 0
        /// Datasets opened.
        public var datasets = 0
        /// Attributes read.
        public var attributes = 0
        /// Data elements read, counting each conversion once.
        public var elements = 0
        /// Objects the HDF5 layer refused (links, hostile storage, damaged structures): the readers refuse
        /// them too.
        public var refused = 0
        /// Objects whose links or attributes could not be listed: what is below them was not gone through,
        /// yet a reader could still open it by name (libhdf5 looks a name up by another path than a listing
        /// takes). The containing process refuses such a file rather than reading it unchecked.
        public var unlisted: [String] = []
    }

    /// Elements read per block: reads of a large dataset are split along its first dimension so that this
    /// pass needs a few MB whatever the file's size.
    static let blockElements = 1 << 18

    /// Opens `url` read-only and goes through all of it. Throws only when the file cannot be opened at all
    /// (the same error the readers would report); everything inside is read or counted as refused.
    public static func run(_ url: URL) throws -> Summary {
        let file = try HDF5File.open(url)
        var summary = Summary()
        visit(file.root, &summary)
        try? file.close()
        return summary
    }

    private static func visit(_ group: HDF5Group, _ summary: inout Summary) {
        summary.groups += 1
        readAttributes(of: group, &summary)
        guard let children = try? group.children() else {
            summary.refused += 1
            summary.unlisted.append(group.name)
            return
        }
        for (name, kind) in children {
            switch kind {
            case .group:
                guard let child = try? group.group(name) else {
                    summary.refused += 1
                    continue
                }
                visit(child, &summary)
                try? child.close()
            case .dataset:
                guard let dataset = try? group.dataset(name) else {
                    summary.refused += 1
                    continue
                }
                summary.datasets += 1
                readAttributes(of: dataset, &summary)
                readData(dataset, &summary)
                try? dataset.close()
            case .namedDatatype, .softLink, .externalLink, .other:
                summary.refused += 1
            }
        }
    }

    private static func readAttributes(of object: HDF5Object, _ summary: inout Summary) {
        guard let names = try? object.attributeNames() else {
            summary.refused += 1
            summary.unlisted.append(object.name)
            return
        }
        for name in names {
            if (try? object.attribute(name)) != nil { summary.attributes += 1 } else { summary.refused += 1 }
        }
    }

    /// Reads a numeric dataset in blocks of whole rows, as each type the readers convert to.
    private static func readData(_ dataset: HDF5Dataset, _ summary: inout Summary) {
        guard dataset.elementType.byteSize != nil || isOtherNumber(dataset.elementType) else { return }
        guard dataset.elementCount > 0 else { return }
        // The readers' whole reads are refused before they allocate for a shape bomb; the blocks below would
        // each pass that check and read the declared (never stored) gigabytes for minutes.
        let declaredFits = HDF5Library.synchronized {
            (try? dataset.checkDeclaredSize(reading: dataset.elementCount, as: MemoryLayout<Double>.stride)) != nil
        }
        guard declaredFits else {
            summary.refused += 1
            return
        }
        let shape = dataset.shape
        guard let rows = shape.first, rows > 0 else {
            readBlock(dataset, offset: nil, count: nil, &summary)
            return
        }
        let rowElements = max(1, dataset.elementCount / rows)
        let rowsPerBlock = max(1, blockElements / rowElements)
        var start = 0
        while start < rows {
            let length = min(rowsPerBlock, rows - start)
            let offset = [start] + Array(repeating: 0, count: shape.count - 1)
            let count = [length] + shape.dropFirst()
            guard readBlock(dataset, offset: offset, count: count, &summary) else { return }
            start += length
        }
    }

    /// Reads one block as float32, float64 and int64; false when the layer refused it.
    @discardableResult
    private static func readBlock(
        _ dataset: HDF5Dataset, offset: [Int]?, count: [Int]?, _ summary: inout Summary
    ) -> Bool {
        func read<T: HDF5Scalar>(_ type: T.Type) -> Int? {
            if let offset, let count { return (try? dataset.read(as: T.self, offset: offset, count: count))?.count }
            return (try? dataset.read(as: T.self))?.count
        }
        guard let floats = read(Float.self), let doubles = read(Double.self), let integers = read(Int64.self) else {
            summary.refused += 1
            return false
        }
        summary.elements += floats + doubles + integers
        return true
    }

    private static func isOtherNumber(_ type: HDF5ElementType) -> Bool {
        guard case .other(let name) = type else { return false }
        return name.hasPrefix("int") || name.hasPrefix("uint") || name.hasPrefix("float")
    }
}
