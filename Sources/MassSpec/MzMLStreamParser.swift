import Foundation

/// The metadata of one spectrum the stream parser returned (its arrays went to the caller's buffers).
struct SpectrumHeader {
    var index: Int
    var id: String
    var scanNumber: Int?
    var msLevel: Int
    var retentionTimeMinutes: Double
    var isProfile: Bool
}

/// One cvParam, as far as the reader needs it: the accession as a number, and only the strings the
/// reader uses (the value and unit of the MS level and scan start time, the name of an unsupported
/// compression), so that the many other cvParams of a file cost no string at all.
private struct CVParam {
    /// The number of a PSI-MS accession, `MS:` and seven digits (`MS:1000511` → 1000511); nil for any
    /// other accession.
    var msTerm: Int?
    /// The strings, kept only for the terms that use them (a reference: copying a cvParam is cheap).
    private var text: Text?

    private final class Text {
        let name: String, value: String, unitAccession: String, unitName: String

        init(name: String, value: String, unitAccession: String, unitName: String) {
            (self.name, self.value, self.unitAccession, self.unitName) = (name, value, unitAccession, unitName)
        }
    }

    var name: String { text?.name ?? "" }
    var value: String { text?.value ?? "" }
    var unitAccession: String { text?.unitAccession ?? "" }
    var unitName: String { text?.unitName ?? "" }

    init(_ attributes: XMLAttributes) {
        var name: UnsafeBufferPointer<UInt8>?
        var value: UnsafeBufferPointer<UInt8>?
        var unitAccession: UnsafeBufferPointer<UInt8>?
        var unitName: UnsafeBufferPointer<UInt8>?
        var term: Int?
        attributes.forEach { attribute, text in
            // Dispatch on the first letter: one string comparison per attribute.
            switch UInt8(bitPattern: attribute[0]) {
            case UInt8(ascii: "a"): if strcmp(attribute, "accession") == 0 { term = Self.msTerm(text) }
            case UInt8(ascii: "v"): if strcmp(attribute, "value") == 0 { value = text }
            case UInt8(ascii: "n"): if strcmp(attribute, "name") == 0 { name = text }
            case UInt8(ascii: "u"):
                if strcmp(attribute, "unitAccession") == 0 {
                    unitAccession = text
                } else if strcmp(attribute, "unitName") == 0 {
                    unitName = text
                }
            default: break
            }
        }
        msTerm = term
        let string = { (text: UnsafeBufferPointer<UInt8>?) in text.map { String(decoding: $0, as: UTF8.self) } ?? "" }
        switch term {
        case SpectrumState.msLevelTerm:
            self.text = Text(name: "", value: string(value), unitAccession: "", unitName: "")
        case SpectrumState.scanStartTimeTerm:
            self.text = Text(
                name: "", value: string(value), unitAccession: string(unitAccession), unitName: string(unitName))
        case let term? where BinaryArrayEncoding.unsupportedCompressionTerms.contains(term):
            self.text = Text(name: string(name), value: "", unitAccession: "", unitName: "")
        default: break
        }
    }

    /// 1000511 for the bytes `MS:1000511`; nil unless they are `MS:` and exactly seven digits.
    private static func msTerm(_ text: UnsafeBufferPointer<UInt8>) -> Int? {
        guard text.count == 10, text[0] == UInt8(ascii: "M"), text[1] == UInt8(ascii: "S"), text[2] == UInt8(ascii: ":")
        else { return nil }
        var number = 0
        for byte in text[3...] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            number = number * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return number
    }
}

/// `text` without leading and trailing `CharacterSet.whitespaces` (ASCII text is trimmed without Foundation).
private func trimmingWhitespace(_ text: String) -> Substring {
    let utf8 = text.utf8
    guard utf8.allSatisfy({ $0 < 0x80 }) else { return Substring(text.trimmingCharacters(in: .whitespaces)) }
    let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
    guard let first = utf8.firstIndex(where: { !isSpace($0) }), let last = utf8.lastIndex(where: { !isSpace($0) })
    else { return "" }
    return text[first...last]
}

/// What is collected inside one `<spectrum>` before deciding and decoding.
private struct SpectrumState {
    var index: Int
    var id: String
    var defaultArrayLength: Int?
    var msLevel: Int?
    var isMS1Term = false
    /// A "profile spectrum" cvParam (MS:1000128) written inside the spectrum (see `Spectrum.isProfile`).
    var isProfile = false
    var scanStartTime: CVParam?
    var mzArray: (encoding: BinaryArrayEncoding, length: Int?)?
    var intensityArray: (encoding: BinaryArrayEncoding, length: Int?)?
    /// The base64 text of the m/z and intensity arrays.
    var mzText: [UInt8] = []
    var intensityText: [UInt8] = []

    var level: Int? { msLevel ?? (isMS1Term ? 1 : nil) }

    /// "ms level", "MS1 spectrum", "scan start time".
    static let msLevelTerm = 1_000_511, ms1SpectrumTerm = 1_000_579, scanStartTimeTerm = 1_000_016
    static let profileSpectrumTerm = 1_000_128

    mutating func apply(_ param: CVParam) {
        switch param.msTerm {
        case Self.msLevelTerm: msLevel = Int(trimmingWhitespace(param.value))
        case Self.ms1SpectrumTerm: isMS1Term = true
        case Self.scanStartTimeTerm: if scanStartTime == nil { scanStartTime = param }
        default: break
        }
    }
}

/// The state machine over libxml2's SAX events that finds spectra, reads their metadata and keeps the
/// array text of the wanted ones, decoding each such spectrum as soon as its end tag is read.
/// Used by every public entry point of `MzMLReader`.
final class MzMLStreamParser: XMLEventHandler {
    private let path: String
    private let wantedLevel: Int?
    private var xml: XMLSAXParser?
    /// Whether `forEachSpectrum` ran (a file is parsed once).
    private var parsed = false
    private var decoder = BinaryArrayDecoder()
    private let decodedMZ = DecodedValues()
    private let decodedIntensity = DecodedValues()

    // Document-level state.
    private var started = false
    private var spectrumCount = 0
    private var chromatogramCount = 0
    private var matchedCount = 0
    /// `referenceableParamGroup` id → its cvParams (applied where a `referenceableParamGroupRef` points).
    private var paramGroups: [String: [CVParam]] = [:]
    private var currentGroup: (id: String, params: [CVParam])?
    /// Element depth, and the depth of an element whose subtree is being ignored.
    private var depth = 0
    private var skipDepth: Int?

    // Spectrum-level state.
    private var spectrum: SpectrumState?
    private var array: (encoding: BinaryArrayEncoding, length: Int?)?
    private var inBinary = false
    private var arrayText: [UInt8] = []
    /// Base64 buffers handed back after decoding, reused for the next spectra.
    private var spareBuffers: [[UInt8]] = []
    /// Receives each decoded spectrum during `forEachSpectrum`.
    private var consumer: ((SpectrumHeader) throws -> Void)?
    /// A problem found while handling events (or thrown by the consumer); parsing stops there, and it is
    /// thrown once libxml2 returns.
    private var handlerError: (any Error)?

    /// Opens `url`. - Throws: `MzMLError` when the file is missing, empty or unreadable.
    init(url: URL, msLevel: Int?) throws {
        path = url.relativePath
        wantedLevel = msLevel
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw MzMLError(.fileNotFound, path: path, detail: "no such file")
        }
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw MzMLError(.fileNotFound, path: path, detail: "permission denied")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        if size == 0 { throw MzMLError(.emptyFile, path: path) }
        guard let xml = XMLSAXParser(path: url.path, name: path, handler: self) else {
            throw MzMLError(.fileNotFound, path: path, detail: "cannot open it")
        }
        self.xml = xml
    }

    /// The m/z values of the spectrum being delivered; valid during the `forEachSpectrum` call.
    var mz: UnsafeBufferPointer<Double> { decodedMZ.values }
    /// Its intensities (as many as m/z values).
    var intensity: UnsafeBufferPointer<Double> { decodedIntensity.values }

    /// Parses the whole file, calling `body` with the metadata of each spectrum of the wanted level, in
    /// file order, once its arrays are decoded into `mz` and `intensity`. Spectra before a problem are
    /// delivered; the problem is then thrown.
    /// - Throws: `MzMLError` (or what `body` throws); at the end, `.chromatogramsOnly` /
    ///   `.noSpectraOfLevel` when nothing matched.
    func forEachSpectrum(_ body: (SpectrumHeader) throws -> Void) throws {
        guard let xml, !parsed else { return }
        parsed = true
        do {
            try withoutActuallyEscaping(body) { body in
                consumer = body
                defer { consumer = nil }
                try xml.parse()
            }
        } catch var error as MzMLError where error.kind == .malformedXML && error.spectrumIndex == nil {
            // Broken XML inside a spectrum: name the spectrum too.
            if let open = spectrum {
                error.spectrumIndex = open.index
                error.spectrumID = open.id
            }
            throw error
        }
        if let handlerError { throw handlerError }
        try checkEnd()
    }

    /// Decodes a completed spectrum of the wanted level and hands it to the consumer; on a problem,
    /// records it and stops the parser.
    private func deliver(_ state: SpectrumState) {
        guard handlerError == nil else { return }
        var state = state
        matchedCount += 1
        do {
            if let header = try finishSpectrum(&state) { try consumer?(header) }
        } catch {
            handlerError = error
            xml?.stop()
        }
    }

    /// At the end of the document: an error when nothing of the wanted level was found.
    private func checkEnd() throws {
        guard matchedCount == 0 else { return }
        guard started else { throw MzMLError(.malformedXML, path: path, detail: "no root element") }
        if spectrumCount == 0 && chromatogramCount > 0 {
            throw MzMLError(.chromatogramsOnly, path: path, detail: "\(chromatogramCount) chromatograms")
        }
        let what = wantedLevel.map { "MS\($0) spectra" } ?? "spectra"
        throw MzMLError(
            .noSpectraOfLevel, path: path,
            detail: spectrumCount == 0 ? what : "\(what) (\(spectrumCount) spectra of other or unknown MS levels)")
    }

    private func spectrumError(_ kind: MzMLError.Kind, _ state: SpectrumState, _ detail: String) -> MzMLError {
        MzMLError(kind, path: path, spectrumID: state.id, spectrumIndex: state.index, detail: detail)
    }

    private func takeBuffer() -> [UInt8] {
        var buffer = spareBuffers.popLast() ?? []
        buffer.removeAll(keepingCapacity: true)
        return buffer
    }

    // MARK: - SAX events

    func startElement(_ name: UnsafePointer<CChar>, _ attributes: XMLAttributes) {
        depth += 1
        guard skipDepth == nil else { return }
        guard started else {
            started = true
            if !named(name, "mzML") && !named(name, "indexedmzML") {
                handlerError = MzMLError(
                    .notMzML, path: path, line: xml?.currentLine,
                    detail: "root element is <\(String(cString: name))>, not <mzML> or <indexedmzML>")
                xml?.stop()
            }
            return
        }
        guard spectrum != nil else {
            startDocumentElement(name, attributes)
            return
        }
        if named(name, "cvParam") {
            let param = CVParam(attributes)
            if param.msTerm == SpectrumState.profileSpectrumTerm { spectrum?.isProfile = true }
            apply(param)
        } else if named(name, "referenceableParamGroupRef") {
            for param in paramGroups[attributes.value("ref") ?? ""] ?? [] { apply(param) }
        } else if named(name, "precursorList") || named(name, "productList") {
            skipDepth = depth
        } else if named(name, "binaryDataArrayList") {
            // The MS level is known by now (cvParams precede the arrays): skip unwanted spectra cheaply.
            if let wantedLevel, spectrum?.level != wantedLevel { skipDepth = depth }
        } else if named(name, "binaryDataArray") {
            array = (BinaryArrayEncoding(), attributes.value("arrayLength").flatMap { Int($0) })
            arrayText.removeAll(keepingCapacity: true)
        } else if named(name, "binary") {
            inBinary = true
        }
    }

    /// A start tag outside any spectrum.
    private func startDocumentElement(_ name: UnsafePointer<CChar>, _ attributes: XMLAttributes) {
        if named(name, "spectrum") {
            var state = SpectrumState(index: spectrumCount, id: attributes.value("id") ?? "")
            state.defaultArrayLength = attributes.value("defaultArrayLength").flatMap { Int($0) }
            state.mzText = takeBuffer()
            state.intensityText = takeBuffer()
            spectrumCount += 1
            spectrum = state
        } else if named(name, "chromatogram") {
            chromatogramCount += 1
            skipDepth = depth
        } else if named(name, "referenceableParamGroup") {
            currentGroup = (attributes.value("id") ?? "", [])
        } else if named(name, "cvParam"), currentGroup != nil {
            let param = CVParam(attributes)
            currentGroup?.params.append(param)
        }
    }

    /// A cvParam inside a spectrum: about the array being read, or about the spectrum.
    private func apply(_ param: CVParam) {
        if array != nil {
            if let term = param.msTerm { array?.encoding.apply(term: term, name: param.name) }
        } else {
            spectrum?.apply(param)
        }
    }

    func endElement(_ name: UnsafePointer<CChar>) {
        defer { depth -= 1 }
        if let skipDepth {
            if depth == skipDepth { self.skipDepth = nil }
            return
        }
        // Only <binary…>, <spectrum> and <referenceableParamGroup> end tags matter (most are </cvParam>).
        switch UInt8(bitPattern: name[0]) {
        case UInt8(ascii: "b"), UInt8(ascii: "s"), UInt8(ascii: "r"): break
        default: return
        }
        if named(name, "binary") {
            inBinary = false
        } else if named(name, "binaryDataArray"), let finished = array, var state = spectrum.take() {
            switch finished.encoding.role {
            case .mz where state.mzArray == nil:
                state.mzArray = finished
                swap(&state.mzText, &arrayText)
            case .intensity where state.intensityArray == nil:
                state.intensityArray = finished
                swap(&state.intensityText, &arrayText)
            default: break
            }
            spectrum = state
            array = nil
        } else if named(name, "spectrum"), let state = spectrum {
            spectrum = nil
            // Only spectra of the wanted level are kept (an unknown level only when all are wanted).
            if wantedLevel == nil || (state.level != nil && state.level == wantedLevel) { deliver(state) }
            spareBuffers.append(state.mzText)
            spareBuffers.append(state.intensityText)
        } else if named(name, "referenceableParamGroup"), let group = currentGroup {
            paramGroups[group.id] = group.params
            currentGroup = nil
        }
    }

    func characters(_ bytes: UnsafeBufferPointer<UInt8>) {
        if inBinary && skipDepth == nil { arrayText.append(contentsOf: bytes) }
    }

    private func named(_ name: UnsafePointer<CChar>, _ expected: StaticString) -> Bool {
        strcmp(name, UnsafeRawPointer(expected.utf8Start).assumingMemoryBound(to: CChar.self)) == 0
    }

    // MARK: - Decoding a completed spectrum

    /// Decides on, validates and decodes a completely read spectrum.
    private func finishSpectrum(_ state: inout SpectrumState) throws -> SpectrumHeader? {
        guard let level = state.level else {
            // Unknown level: never the wanted one unless all levels were asked for.
            if wantedLevel != nil { return nil }
            throw spectrumError(.invalidSpectrum, state, "no MS level (MS:1000511) given")
        }
        if let wantedLevel, level != wantedLevel { return nil }
        let rt = try retentionTimeMinutes(state)
        guard let mzArray = state.mzArray else { throw spectrumError(.invalidSpectrum, state, "no m/z array") }
        guard let intensityArray = state.intensityArray else {
            throw spectrumError(.invalidSpectrum, state, "no intensity array")
        }
        let mzCount = mzArray.length ?? state.defaultArrayLength
        let intensityCount = intensityArray.length ?? state.defaultArrayLength
        guard let mzCount, let intensityCount, mzCount >= 0, intensityCount >= 0 else {
            throw spectrumError(.invalidSpectrum, state, "no valid defaultArrayLength or arrayLength")
        }
        guard mzCount == intensityCount else {
            throw spectrumError(
                .invalidSpectrum, state,
                "m/z array length \(mzCount) differs from intensity array length \(intensityCount)")
        }
        do {
            try decoder.decode(base64: state.mzText, encoding: mzArray.encoding, count: mzCount, into: decodedMZ)
        } catch let failure as BinaryArrayDecoder.Failure {
            throw spectrumError(.corruptArray, state, "m/z array: \(failure.reason)")
        }
        do {
            try decoder.decode(
                base64: state.intensityText, encoding: intensityArray.encoding, count: intensityCount,
                into: decodedIntensity)
        } catch let failure as BinaryArrayDecoder.Failure {
            throw spectrumError(.corruptArray, state, "intensity array: \(failure.reason)")
        }
        for (name, values) in [("m/z", decodedMZ.values), ("intensity", decodedIntensity.values)] {
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw spectrumError(
                    .corruptArray, state, "\(name) array holds \(values[bad]) at point \(bad) (values must be finite)")
            }
        }
        return SpectrumHeader(
            index: state.index, id: state.id, scanNumber: Spectrum.scanNumber(fromID: state.id), msLevel: level,
            retentionTimeMinutes: rt, isProfile: state.isProfile)
    }

    /// The scan start time in minutes; the unit by name or, failing that, by UO accession.
    private func retentionTimeMinutes(_ state: SpectrumState) throws -> Double {
        guard let param = state.scanStartTime else {
            throw spectrumError(.invalidSpectrum, state, "no scan start time (MS:1000016)")
        }
        guard let value = Double(trimmingWhitespace(param.value)), value.isFinite else {
            throw spectrumError(.invalidSpectrum, state, "scan start time \"\(param.value)\" is not a number")
        }
        switch (param.unitAccession, param.unitName.lowercased()) {
        case ("UO:0000031", _), (_, "minute"): return value
        case ("UO:0000010", _), (_, "second"): return value / 60
        case ("UO:0000028", _), (_, "millisecond"): return value / 60_000
        case ("", ""): throw spectrumError(.invalidSpectrum, state, "scan start time has no unit")
        default:
            throw spectrumError(
                .invalidSpectrum, state,
                "unknown scan start time unit \(param.unitName) \(param.unitAccession)")
        }
    }
}
