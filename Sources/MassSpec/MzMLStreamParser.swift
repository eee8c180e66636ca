import Foundation

/// The metadata of one spectrum the stream parser returned (its arrays went to the caller's buffers).
struct SpectrumHeader {
    var index: Int
    var id: String
    var scanNumber: Int?
    var msLevel: Int
    var retentionTimeMinutes: Double
}

/// One cvParam, as far as the reader needs it.
private struct CVParam {
    var accession: String
    var name: String
    var value: String
    var unitAccession: String
    var unitName: String
}

/// The state machine over libxml2's stream that finds spectra, reads their metadata and decodes the
/// arrays of the wanted ones. Used by every public entry point of `MzMLReader`.
struct MzMLStreamParser {
    private let xml: XMLStreamReader
    private let path: String
    private let wantedLevel: Int?
    private var decoder = BinaryArrayDecoder()
    private var started = false
    private var finished = false
    private var spectrumCount = 0
    private var chromatogramCount = 0
    private var matchedCount = 0
    /// `referenceableParamGroup` id → its cvParams (applied where a `referenceableParamGroupRef` points).
    private var paramGroups: [String: [CVParam]] = [:]
    private var currentGroup: (id: String, params: [CVParam])?
    // Reused base64 text buffers: the array being read, and the current spectrum's m/z and intensity arrays.
    private var arrayText: [UInt8] = []
    private var mzText: [UInt8] = []
    private var intensityText: [UInt8] = []

    /// Opens `url`. - Throws: `MzMLError` when the file is missing, empty or unreadable.
    init(url: URL, msLevel: Int?) throws {
        path = url.path
        wantedLevel = msLevel
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw MzMLError(.fileNotFound, path: path, detail: "no such file")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw MzMLError(.fileNotFound, path: path, detail: "permission denied")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        if size == 0 { throw MzMLError(.emptyFile, path: path) }
        guard let xml = XMLStreamReader(path: path) else {
            throw MzMLError(.fileNotFound, path: path, detail: "libxml2 cannot open it")
        }
        self.xml = xml
    }

    /// Reads up to the next spectrum of the wanted level, appends its m/z and intensity values to the
    /// given arrays and returns its metadata; nil at the end of the file.
    /// - Throws: `MzMLError`; at the end, `.chromatogramsOnly` / `.noSpectraOfLevel` when nothing matched.
    mutating func nextSpectrum(mz: inout [Double], intensity: inout [Double]) throws -> SpectrumHeader? {
        guard !finished else { return nil }
        var advanced = try xml.read()
        while advanced {
            if xml.nodeType == .element {
                if !started {
                    started = true
                    guard xml.nameIs("mzML") || xml.nameIs("indexedmzML") else {
                        throw MzMLError(.notMzML, path: path, line: xml.lineNumber,
                                        detail: "root element is <\(xml.localName)>, not <mzML> or <indexedmzML>")
                    }
                } else if xml.nameIs("spectrum") {
                    let index = spectrumCount
                    spectrumCount += 1
                    if let header = try readSpectrum(index: index, mz: &mz, intensity: &intensity) {
                        matchedCount += 1
                        return header
                    }
                } else if xml.nameIs("chromatogram") {
                    chromatogramCount += 1
                    advanced = try xml.skipSubtree()
                    continue
                } else if xml.nameIs("referenceableParamGroup") {
                    let id = xml.attribute("id") ?? ""
                    if xml.isEmptyElement { paramGroups[id] = [] } else { currentGroup = (id, []) }
                } else if xml.nameIs("cvParam"), currentGroup != nil {
                    let param = readCVParam()
                    currentGroup?.params.append(param)
                }
            } else if xml.nodeType == .endElement, xml.nameIs("referenceableParamGroup"), let group = currentGroup {
                paramGroups[group.id] = group.params
                currentGroup = nil
            }
            advanced = try xml.read()
        }
        finished = true
        guard started else {
            throw MzMLError(.malformedXML, path: path, detail: "no root element")
        }
        if matchedCount == 0 {
            if spectrumCount == 0 && chromatogramCount > 0 {
                throw MzMLError(.chromatogramsOnly, path: path, detail: "\(chromatogramCount) chromatograms")
            }
            let what = wantedLevel.map { "MS\($0) spectra" } ?? "spectra"
            throw MzMLError(.noSpectraOfLevel, path: path,
                            detail: spectrumCount == 0 ? what : "\(what) (\(spectrumCount) spectra of other or unknown MS levels)")
        }
        return nil
    }

    // MARK: - One spectrum

    /// What is collected inside one `<spectrum>` before deciding and decoding.
    private struct SpectrumState {
        var index: Int
        var id: String
        var defaultArrayLength: Int?
        var msLevel: Int?
        var isMS1Term = false
        var scanStartTime: CVParam?
        var mzArray: (encoding: BinaryArrayEncoding, length: Int?)?
        var intensityArray: (encoding: BinaryArrayEncoding, length: Int?)?

        var level: Int? { msLevel ?? (isMS1Term ? 1 : nil) }

        mutating func apply(_ param: CVParam) {
            switch param.accession {
            case "MS:1000511": msLevel = Int(param.value.trimmingCharacters(in: .whitespaces))
            case "MS:1000579": isMS1Term = true
            case "MS:1000016": if scanStartTime == nil { scanStartTime = param }
            default: break
            }
        }
    }

    private func spectrumError(_ kind: MzMLError.Kind, _ state: SpectrumState, _ detail: String) -> MzMLError {
        MzMLError(kind, path: path, spectrumID: state.id, spectrumIndex: state.index, detail: detail)
    }

    /// Reads the `<spectrum>` element the reader is on. Returns its header when it is of the wanted
    /// level (its arrays appended to `mz` / `intensity`), nil when it was skipped.
    private mutating func readSpectrum(index: Int, mz: inout [Double], intensity: inout [Double]) throws -> SpectrumHeader? {
        var state = SpectrumState(index: index, id: "")
        xml.forEachAttribute { name, value in
            if strcmp(name, "id") == 0 {
                state.id = String(cString: value)
            } else if strcmp(name, "defaultArrayLength") == 0 {
                state.defaultArrayLength = Int(String(cString: value))
            }
        }
        if xml.isEmptyElement { return try finishSpectrum(state, mz: &mz, intensity: &intensity) }

        var array: (encoding: BinaryArrayEncoding, length: Int?)?
        var inBinary = false
        mzText.removeAll(keepingCapacity: true)
        intensityText.removeAll(keepingCapacity: true)

        var advanced = try xml.read()
        while advanced {
            switch xml.nodeType {
            case .element:
                if xml.nameIs("cvParam") {
                    let param = readCVParam()
                    if array != nil {
                        array?.encoding.apply(accession: param.accession, name: param.name)
                    } else {
                        state.apply(param)
                    }
                } else if xml.nameIs("referenceableParamGroupRef") {
                    let params = paramGroups[xml.attribute("ref") ?? ""] ?? []
                    for param in params {
                        if array != nil {
                            array?.encoding.apply(accession: param.accession, name: param.name)
                        } else {
                            state.apply(param)
                        }
                    }
                } else if xml.nameIs("precursorList") || xml.nameIs("productList") {
                    advanced = try xml.skipSubtree()
                    continue
                } else if xml.nameIs("binaryDataArrayList") {
                    // The MS level is known by now (cvParams precede the arrays): skip unwanted spectra cheaply.
                    if let wantedLevel, state.level != wantedLevel {
                        advanced = try xml.skipSubtree()
                        continue
                    }
                } else if xml.nameIs("binaryDataArray") {
                    array = (BinaryArrayEncoding(), xml.attribute("arrayLength").flatMap { Int($0) })
                    arrayText.removeAll(keepingCapacity: true)
                } else if xml.nameIs("binary") {
                    inBinary = !xml.isEmptyElement
                }
            case .text, .cdata:
                if inBinary {
                    xml.withValueBytes { arrayText.append(contentsOf: $0) }
                }
            case .endElement:
                if xml.nameIs("binary") {
                    inBinary = false
                } else if xml.nameIs("binaryDataArray"), let finished = array {
                    switch finished.encoding.role {
                    case .mz where state.mzArray == nil:
                        state.mzArray = finished
                        swap(&mzText, &arrayText)
                    case .intensity where state.intensityArray == nil:
                        state.intensityArray = finished
                        swap(&intensityText, &arrayText)
                    default: break
                    }
                    array = nil
                } else if xml.nameIs("spectrum") {
                    return try finishSpectrum(state, mz: &mz, intensity: &intensity)
                }
            case nil:
                break
            }
            advanced = try xml.read()
        }
        throw xml.parseError()
    }

    /// Decides on, validates and decodes a completely read spectrum.
    private mutating func finishSpectrum(_ state: SpectrumState, mz: inout [Double], intensity: inout [Double]) throws -> SpectrumHeader? {
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
            throw spectrumError(.invalidSpectrum, state, "m/z array length \(mzCount) differs from intensity array length \(intensityCount)")
        }
        let mzStart = mz.count
        do {
            try decoder.decode(base64: mzText, encoding: mzArray.encoding, count: mzCount, into: &mz)
        } catch let failure as BinaryArrayDecoder.Failure {
            throw spectrumError(.corruptArray, state, "m/z array: \(failure.reason)")
        }
        do {
            try decoder.decode(base64: intensityText, encoding: intensityArray.encoding, count: intensityCount, into: &intensity)
        } catch let failure as BinaryArrayDecoder.Failure {
            mz.removeSubrange(mzStart...)
            throw spectrumError(.corruptArray, state, "intensity array: \(failure.reason)")
        }
        return SpectrumHeader(
            index: state.index, id: state.id, scanNumber: Spectrum.scanNumber(fromID: state.id), msLevel: level,
            retentionTimeMinutes: rt)
    }

    /// The scan start time in minutes; the unit by name or, failing that, by UO accession.
    private func retentionTimeMinutes(_ state: SpectrumState) throws -> Double {
        guard let param = state.scanStartTime else {
            throw spectrumError(.invalidSpectrum, state, "no scan start time (MS:1000016)")
        }
        guard let value = Double(param.value.trimmingCharacters(in: .whitespaces)), value.isFinite else {
            throw spectrumError(.invalidSpectrum, state, "scan start time \"\(param.value)\" is not a number")
        }
        switch (param.unitAccession, param.unitName.lowercased()) {
        case ("UO:0000031", _), (_, "minute"): return value
        case ("UO:0000010", _), (_, "second"): return value / 60
        case ("UO:0000028", _), (_, "millisecond"): return value / 60_000
        case ("", ""): throw spectrumError(.invalidSpectrum, state, "scan start time has no unit")
        default:
            throw spectrumError(.invalidSpectrum, state,
                                "unknown scan start time unit \(param.unitName) \(param.unitAccession)")
        }
    }

    /// The cvParam the reader is on.
    private func readCVParam() -> CVParam {
        var param = CVParam(accession: "", name: "", value: "", unitAccession: "", unitName: "")
        xml.forEachAttribute { name, value in
            switch String(cString: name) {
            case "accession": param.accession = String(cString: value)
            case "name": param.name = String(cString: value)
            case "value": param.value = String(cString: value)
            case "unitAccession": param.unitAccession = String(cString: value)
            case "unitName": param.unitName = String(cString: value)
            default: break
            }
        }
        return param
    }
}
