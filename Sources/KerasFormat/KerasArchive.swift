import FileSupport
import Foundation
import HDF5
import NeuralNet
import Support
import ZIPFoundation

/// Keras 3 `.keras` archives: a ZIP of `metadata.json`, `config.json` (model config with
/// `compile_config`) and `model.weights.h5` (Keras 3 weights layout), every member stored.
public enum KerasArchive {
    /// Reads a `.keras` archive: architecture, weights, compile config and optimizer state.
    public static func read(_ url: URL) throws -> LoadedModel {
        try attributing(url) {
            let archive = try open(url)
            let configData = try member(archive, "config.json")
            let config = try JSONValue.parse(configData, what: "config.json")
            let architecture = try ModelConfigReader.architecture(from: config)
            var warnings: [String] = []
            var compile: CompileConfig?
            if let compileJSON = config["compile_config"], compileJSON.objectValue?.isEmpty == false {
                do {
                    compile = try CompileConfigJSON.compileConfig(from: compileJSON)
                } catch let error as KerasFormatError {
                    warnings.append("compile_config ignored: \(error.problem)")
                }
            }
            return try withExtractedWeights(archive) { weightsURL in
                let file = try HDF5File.open(weightsURL)
                defer { try? file.close() }
                var model = try Model.zeros(architecture)
                model.compile = compile
                let loaded = try Keras3Weights.load(file.root, into: model, matching: .byOrder, skipMismatch: false)
                model.weights = loaded.weights
                if let optimizer = loaded.optimizer {
                    let (state, notes) = Keras3Weights.optimizerState(
                        iterations: optimizer.iterations, vars: optimizer.vars, model: model,
                        optimizer: compile?.optimizer)
                    model.optimizerState = state
                    warnings += notes
                }
                return LoadedModel(model: model, format: .kerasArchive, warnings: warnings + loaded.warnings)
            }
        }
    }

    /// Writes a `.keras` archive that Keras 3 `load_model` opens (members stored, as Keras writes them).
    /// `extraMembers` (name, bytes) are stored after Keras's own members (Keras does not read them).
    public static func write(
        _ model: Model, to url: URL, date: Date = Date(), extraMembers: [(String, Data)] = []
    ) throws {
        try attributing(url) {
            try LegacyH5.checkShapes(model)
            guard case .object(var config) = try ModelConfigWriter.modelConfig(model.architecture, style: .keras3)
            else {
                throw KerasFormatError("internal error: model config is not an object")
            }
            config["compile_config"] = try model.compile.map(CompileConfigJSON.keras3CompileConfig) ?? .null
            let metadata: JSONValue = [
                "keras_version": .string(KerasFileInfo.keras3Version), "date_saved": .string(dateSaved(date)),
            ]
            let weights = try scratchHDF5(near: url) { root in try Keras3Weights.write(model, to: root) }
            try AtomicFile.write(to: url) { temporary in
                let archive = try Archive(url: temporary, accessMode: .create)
                let fixedDate = Date(timeIntervalSince1970: 315_532_800)  // 1980-01-01, as Keras's members
                try add(archive, "metadata.json", Data(metadata.serialized().utf8), date: fixedDate)
                try add(archive, "config.json", Data(JSONValue.object(config).serialized().utf8), date: fixedDate)
                try add(archive, "model.weights.h5", weights, date: date)
                for (name, data) in extraMembers { try add(archive, name, data, date: fixedDate) }
            }
        }
    }

    /// The bytes of an HDF5 file that `fill` writes, made in a scratch folder (removed afterwards).
    static func scratchHDF5(near url: URL, _ fill: (HDF5Group) throws -> Void) throws -> Data {
        // A temporary file beside the destination (same disk; `AtomicFile.removeLeftovers` knows its name).
        try AtomicFile.checkDestination(url)
        let fileURL = AtomicFile.temporaryURL(for: url)
        defer { try? FileManager.default.removeItem(at: fileURL) }
        let file = try HDF5File.create(fileURL)
        do {
            try fill(file.root)
            try file.close()
        } catch {
            try? file.close()
            throw error
        }
        return try Data(contentsOf: fileURL)
    }

    /// Extracts the member `name` of the archive at `url` to a private temporary file and runs `body` on
    /// it; throws `missing` when the archive has no such member.
    static func withExtractedMember<T>(_ url: URL, _ name: String, missing: Error, _ body: (URL) throws -> T) throws
        -> T
    {
        let archive = try open(url)
        guard let entry = archive[name] else { throw missing }
        return try withExtracted(archive, entry, body)
    }

    /// Opens the archive at `url` for reading and checks its members (`checkMembers`).
    static func open(_ url: URL) throws -> Archive {
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw KerasFormatError("not a .keras archive (not a readable ZIP file)")
        }
        try checkMembers(archive)
        return archive
    }

    /// Extracts `entry` to a private temporary file, runs `body` on it and removes it.
    static func withExtracted<T>(_ archive: Archive, _ entry: Entry, _ body: (URL) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("neatmskit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fileURL = dir.appendingPathComponent((entry.path as NSString).lastPathComponent)
        do {
            try extractFile(archive, entry, to: fileURL)
        } catch let error as KerasFormatError {
            throw error
        } catch {
            throw KerasFormatError("cannot extract \(entry.path) from the archive (damaged ZIP)")
        }
        return try body(fileURL)
    }

    /// `2026-11-28@23:12:32` (Keras's `date_saved`, local time).
    private static func dateSaved(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd@HH:mm:ss"
        return formatter.string(from: date)
    }

    private static func add(_ archive: Archive, _ name: String, _ data: Data, date: Date) throws {
        try archive.addEntry(
            with: name, type: .file, uncompressedSize: Int64(data.count), modificationDate: date,
            compressionMethod: .none
        ) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }

    /// The largest uncompressed/compressed size ratio accepted (deflate tops out near 1032:1).
    static let maximumCompressionRatio: UInt64 = 1100
    /// The largest member NeatMSKit extracts (far above any NeatMS-sized model).
    static let maximumMemberBytes: UInt64 = 1 << 30

    /// Refuses archives NeatMSKit would not write: members with absolute paths, `..` components or
    /// links, and members whose declared size is a zip bomb (above `maximumMemberBytes`, or more than
    /// `maximumCompressionRatio` times their compressed size).
    static func checkMembers(_ archive: Archive) throws {
        for entry in archive {
            let path = entry.path
            if path.hasPrefix("/") || path.hasPrefix("\\") || path.split(separator: "/").contains("..")
                || path.split(separator: "\\").contains("..")
            {
                throw KerasFormatError("archive member '\(path)': a path outside the archive's folder is refused")
            }
            if entry.type == .symlink {
                throw KerasFormatError("archive member '\(path)': links are refused")
            }
            let declared = entry.uncompressedSize
            if declared > maximumMemberBytes
                || (declared > 1 << 20 && declared / max(entry.compressedSize, 1) > maximumCompressionRatio)
            {
                throw KerasFormatError(
                    "archive member '\(path)': declares \(declared) bytes from \(entry.compressedSize) compressed (a zip bomb is refused)"
                )
            }
        }
    }

    /// Runs `consume` on the chunks of `entry`, refusing more bytes than the member declares, then refuses a
    /// member whose CRC-32 differs from the one the archive records (ZIPFoundation computes it but leaves the
    /// comparison to the caller): callers use what `consume` got only after this returns.
    static func extract(_ archive: Archive, _ entry: Entry, _ consume: (Data) throws -> Void) throws {
        var total: UInt64 = 0
        let declared = entry.uncompressedSize
        let checksum = try archive.extract(entry, skipCRC32: false) { chunk in
            total += UInt64(chunk.count)
            guard total <= declared else {
                throw KerasFormatError(
                    "archive member '\(entry.path)': holds more than the \(declared) bytes it declares")
            }
            try consume(chunk)
        }
        guard checksum == entry.checksum else {
            throw KerasFormatError(
                "archive member '\(entry.path)': its CRC-32 does not match the archive's (damaged archive)")
        }
    }

    /// Writes member `entry` to the new file `url` (bounded as `extract` bounds it).
    static func extractFile(_ archive: Archive, _ entry: Entry, to url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
            let handle = FileHandle(forWritingAtPath: url.path)
        else { throw KerasFormatError("cannot create a temporary file for \(entry.path)") }
        defer { try? handle.close() }
        try extract(archive, entry) { try handle.write(contentsOf: $0) }
    }

    static func member(_ archive: Archive, _ name: String) throws -> Data {
        guard let entry = archive[name] else {
            throw KerasFormatError("the archive has no \(name): not a Keras 3 .keras file")
        }
        var data = Data()
        do {
            try extract(archive, entry) { data.append($0) }
        } catch let error as KerasFormatError {
            throw error
        } catch {
            throw KerasFormatError("cannot read \(name) from the archive (damaged ZIP)")
        }
        return data
    }

    /// Extracts `model.weights.h5` to a private temporary file, runs `body` on it and removes it.
    static func withExtractedWeights<T>(_ archive: Archive, _ body: (URL) throws -> T) throws -> T {
        try checkMembers(archive)
        guard let entry = archive["model.weights.h5"] else {
            throw KerasFormatError("the archive has no model.weights.h5: not a Keras 3 .keras file")
        }
        do {
            return try withExtracted(archive, entry, body)
        } catch let error as HDF5Error {
            throw KerasFormatError("model.weights.h5 inside the archive: \(oneLine(error.message))")
        }
    }
}
