import Foundation

/// Reads spectra from an mzML file (plain or indexedmzML, optionally gzip-compressed as `.mzML.gz`),
/// streaming: libxml2's SAX2 parser reads the file through zlib's `gzread` as it goes, so neither the
/// file's text nor more than one spectrum's arrays are held in memory at once.
///
/// Supported: binary arrays uncompressed or zlib, 32-/64-bit floats (and integers), MS-Numpress linear,
/// pic and slof alone or followed by zlib; encoding terms given directly or through a
/// `referenceableParamGroupRef`; scan start time in seconds, minutes or milliseconds, the unit given by
/// `unitName` or only by `unitAccession` (UO:0000010 second, UO:0000031 minute, UO:0000028 millisecond).
/// The MS level comes from "ms level" (MS:1000511) or, failing that, "MS1 spectrum" (MS:1000579).
/// Spectra of other levels are skipped without decoding their arrays.
///
/// `MzMLReader` is a value holding only the URL: every call opens the file afresh, so one reader (or
/// several files) can be read from several threads at once.
public struct MzMLReader: Sendable {
    /// The file to read.
    public let url: URL

    /// A reader for the mzML (or `.mzML.gz`) file at `url`. Nothing is opened until a read.
    public init(url: URL) {
        self.url = url
    }

    /// Streams the spectra of MS level `msLevel` (all spectra when nil) in file order.
    ///
    /// Each spectrum's arrays are decoded and checked (length = `arrayLength`/`defaultArrayLength`,
    /// m/z count = intensity count) before `body` sees it.
    /// - Throws: `MzMLError` — file missing or empty, broken XML (with libxml2's line), not mzML,
    ///   chromatograms only, no spectrum of the level (`.noSpectraOfLevel`, "contains no MS1 spectra"),
    ///   a corrupt array or invalid spectrum (naming the spectrum); or whatever `body` throws.
    public func forEachSpectrum(msLevel: Int? = 1, _ body: (Spectrum) throws -> Void) throws {
        let parser = try MzMLStreamParser(url: url, msLevel: msLevel)
        try parser.forEachSpectrum { header in
            try body(
                Spectrum(
                    index: header.index, id: header.id, scanNumber: header.scanNumber, msLevel: header.msLevel,
                    retentionTimeMinutes: header.retentionTimeMinutes, mz: Array(parser.mz),
                    intensity: Array(parser.intensity), isProfile: header.isProfile))
        }
    }

    /// Every MS1 spectrum, in file order.
    /// - Throws: `MzMLError`, including `.noSpectraOfLevel` when the file has no MS1 spectrum.
    public func readMS1() throws -> [Spectrum] {
        var spectra: [Spectrum] = []
        try forEachSpectrum(msLevel: 1) { spectra.append($0) }
        return spectra
    }

    /// Every MS1 spectrum as a compact column store: each spectrum's arrays are decoded into reused buffers
    /// and appended to the run's flat arrays.
    /// - Throws: `MzMLError`, including `.noSpectraOfLevel` when the file has no MS1 spectrum.
    public func readMS1Run() throws -> MS1Run {
        try readMS1Run(keeping: nil)
    }

    /// Every MS1 spectrum as a compact column store, keeping only the points whose m/z lies in `ranges`
    /// (all points when nil); with `centroidingProfileSpectra`, profile spectra are first centroided as
    /// pymzml's `peaks("centroided")` does (`ProfileCentroiding`) — what NeatMS reads.
    ///
    /// Every MS1 spectrum is still recorded (time, scan number, index, id, offsets), with the points it
    /// keeps, in file order. Each spectrum's arrays are decoded and checked in full into buffers reused
    /// from spectrum to spectrum, and only the selected pairs are appended to the run: when the ranges are
    /// the windows of the peaks one will extract, the run holds only the points that can matter, never the
    /// decoded arrays of all spectra.
    /// - Throws: `MzMLError`, including `.noSpectraOfLevel` when the file has no MS1 spectrum.
    public func readMS1Run(keeping ranges: MZRanges?, centroidingProfileSpectra centroiding: Bool = false) throws
        -> MS1Run
    {
        var whole: MS1Run?
        try streamMS1(keeping: ranges, centroiding: centroiding, spectraPerChunk: .max) { whole = $0 }
        return whole ?? MS1Run(path: url.path)
    }

    /// The MS1 spectra of `readMS1Run(keeping:centroidingProfileSpectra:)` handed over while the file is
    /// read, as consecutive chunks of up to `spectraPerChunk` spectra: each chunk is an `MS1Run` of its own
    /// (offsets from 0), and the chunks, concatenated, are exactly what `readMS1Run` returns. An error that
    /// `body` throws stops the reading and is rethrown.
    /// - Throws: `MzMLError`, including `.noSpectraOfLevel` when the file has no MS1 spectrum.
    public func forEachMS1Chunk(
        keeping ranges: MZRanges?, centroidingProfileSpectra centroiding: Bool = false, spectraPerChunk: Int,
        _ body: (MS1Run) throws -> Void
    ) throws {
        try streamMS1(keeping: ranges, centroiding: centroiding, spectraPerChunk: max(1, spectraPerChunk), body)
    }

    private func streamMS1(
        keeping ranges: MZRanges?, centroiding: Bool, spectraPerChunk: Int, _ emit: (MS1Run) throws -> Void
    ) throws {
        let parser = try MzMLStreamParser(url: url, msLevel: 1)
        var run = MS1Run(path: url.path)
        // The selected points of one spectrum, before they are appended to the run.
        var keptMZ: [Double] = []
        var keptIntensity: [Double] = []
        // One profile spectrum's centroids.
        var centroidMZ: [Double] = []
        var centroidIntensity: [Double] = []

        func append(_ mz: UnsafeBufferPointer<Double>, _ intensity: UnsafeBufferPointer<Double>) {
            guard let ranges else {
                run.mz.append(contentsOf: mz)
                run.intensity.append(contentsOf: intensity)
                return
            }
            let count = mz.count
            guard count > 0 else { return }
            if keptMZ.count < count {
                keptMZ = Array(repeating: 0, count: count)
                keptIntensity = Array(repeating: 0, count: count)
            }
            let kept = keptMZ.withUnsafeMutableBufferPointer { keptMZ in
                keptIntensity.withUnsafeMutableBufferPointer { keptIntensity in
                    guard let keptMZ = keptMZ.baseAddress, let keptIntensity = keptIntensity.baseAddress else {
                        return 0
                    }
                    return ranges.select(mz: mz, intensity: intensity, into: keptMZ, keptIntensity)
                }
            }
            run.mz.append(contentsOf: keptMZ[..<kept])
            run.intensity.append(contentsOf: keptIntensity[..<kept])
        }

        try parser.forEachSpectrum { header in
            if centroiding && header.isProfile {
                centroidMZ.removeAll(keepingCapacity: true)
                centroidIntensity.removeAll(keepingCapacity: true)
                ProfileCentroiding.appendCentroids(
                    mz: parser.mz, intensity: parser.intensity, to: &centroidMZ, &centroidIntensity)
                centroidMZ.withUnsafeBufferPointer { mz in
                    centroidIntensity.withUnsafeBufferPointer { intensity in append(mz, intensity) }
                }
            } else {
                append(parser.mz, parser.intensity)
            }
            run.rt.append(header.retentionTimeMinutes)
            run.scanNumbers.append(header.scanNumber ?? header.index)
            run.spectrumIndices.append(header.index)
            run.ids.append(header.id)
            run.offsets.append(run.mz.count)
            if run.count >= spectraPerChunk {
                try emit(run)
                run = MS1Run(path: url.path)
            }
        }
        if run.count > 0 { try emit(run) }
    }
}

/// Every MS1 spectrum of the mzML (or `.mzML.gz`) file at `url`, in file order
/// (`MzMLReader(url:).readMS1()`).
/// - Throws: `MzMLError`.
public func readMS1(_ url: URL) throws -> [Spectrum] {
    try MzMLReader(url: url).readMS1()
}

extension Spectrum {
    /// The scan number written in a spectrum id (nativeID): the number after `scan=`, else after
    /// `scanId=`, `spectrum=` or `index=` (in that order of preference); a bare integer id is itself the
    /// number. Nil when none of these is present.
    public static func scanNumber(fromID id: String) -> Int? {
        var id = id
        // ASCII ids (all real ones) are read byte by byte; the same rules as below, much faster.
        if let number = id.withUTF8({ bytes in bytes.allSatisfy { $0 < 0x80 } ? scanNumber(asciiID: bytes) : nil }) {
            return number
        }
        if let number = Int(id) { return number }
        // The last number given for each key.
        var scan: Int?
        var scanID: Int?
        var spectrum: Int?
        var index: Int?
        for token in id.split(separator: " ") {
            guard let equals = token.firstIndex(of: "="), let number = Int(token[token.index(after: equals)...])
            else { continue }
            switch token[..<equals] {
            case "scan": scan = number
            case "scanId": scanID = number
            case "spectrum": spectrum = number
            case "index": index = number
            default: break
            }
        }
        return scan ?? scanID ?? spectrum ?? index
    }

    /// `scanNumber(fromID:)` for an ASCII id: `.some(number or nil)`.
    private static func scanNumber(asciiID id: UnsafeBufferPointer<UInt8>) -> Int?? {
        if let number = integer(id[...]) { return number }
        var scan: Int?
        var scanID: Int?
        var spectrum: Int?
        var index: Int?
        var start = 0
        while start < id.count {
            let end = id[start...].firstIndex(of: UInt8(ascii: " ")) ?? id.count
            let token = id[start..<end]
            if let equals = token.firstIndex(of: UInt8(ascii: "=")), let number = integer(token[(equals + 1)...]) {
                let key = token[..<equals]
                if key.elementsEqual("scan".utf8) {
                    scan = number
                } else if key.elementsEqual("scanId".utf8) {
                    scanID = number
                } else if key.elementsEqual("spectrum".utf8) {
                    spectrum = number
                } else if key.elementsEqual("index".utf8) {
                    index = number
                }
            }
            start = end + 1
        }
        return .some(scan ?? scanID ?? spectrum ?? index)
    }

    /// `Int(text)` for ASCII bytes: an optional `+` or `-`, then decimal digits, within `Int`'s range.
    private static func integer(_ text: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        var digits = text[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative || digits.first == UInt8(ascii: "+") { digits = digits.dropFirst() }
        guard !digits.isEmpty else { return nil }
        var magnitude: UInt = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
        }
        if negative {
            guard magnitude <= UInt(Int.max) + 1 else { return nil }
            return magnitude == UInt(Int.max) + 1 ? Int.min : -Int(magnitude)
        }
        return magnitude <= UInt(Int.max) ? Int(magnitude) : nil
    }
}
