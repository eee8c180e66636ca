import Foundation
import TestSupport
import Testing

@testable import MassSpec

/// Files written by Scripts/fixtures/make_mzml_expected.py (Fixtures/mzml/synthetic): every encoding, units given
/// only by accession, interleaved MS2 with a corrupt array, and one file per error.
struct SyntheticFileTests {
    @Test(
        "Every encoding decodes to the written (or pynumpress-decoded) values",
        arguments: ["encodings.mzML", "encodings.mzML.gz"])
    func encodings(_ name: String) throws {
        let fixture = try ExpectedValues.load()
        let expected = try #require(fixture.synthetic[name]?.ms1)
        let spectra = try readMS1(ExpectedValues.synthetic(name))

        #expect(spectra.map(\.id) == expected.map(\.id))
        for (spectrum, reference) in zip(spectra, expected) {
            #expect(spectrum.msLevel == 1)
            #expect(close(spectrum.retentionTimeMinutes, reference.rtMin), "\(spectrum.id) RT")
            #expect(spectrum.mz.count == reference.mz.count && spectrum.intensity.count == reference.intensity.count)
            #expect(zip(spectrum.mz, reference.mz).allSatisfy { close($0, $1) }, "\(spectrum.id) m/z")
            #expect(
                zip(spectrum.intensity, reference.intensity).allSatisfy { close($0, $1) }, "\(spectrum.id) intensity")
        }
        // Spectrum indices count the skipped MS2 spectrum; scan numbers come from `scan=` or `index=`.
        #expect(spectra.map(\.index) == [0, 2, 3, 4, 5, 6])
        #expect(spectra.map(\.scanNumber) == [101, 103, 104, 105, 106, 6])
    }

    @Test func columnStoreHoldsTheSameSpectra() throws {
        let url = ExpectedValues.synthetic("encodings.mzML")
        let run = try MS1Run(contentsOf: url)
        #expect(run.spectra == (try readMS1(url)))
        #expect(run.offsets == [0, 7, 16, 27, 33, 33, 38])
        #expect(run.scanNumbers == [101, 103, 104, 105, 106, 6])
        #expect(run.pointRange(4).isEmpty)
    }

    @Test func interleavedMS2IsNotDecoded() throws {
        // The MS2 spectrum's arrays are not base64: reading MS1 never touches them, reading all levels fails.
        let url = ExpectedValues.synthetic("encodings.mzML")
        var ids: [String] = []
        try MzMLReader(url: url).forEachSpectrum(msLevel: 1) { ids.append($0.id) }
        #expect(!ids.contains("scan=102"))
        let error = try #require(throws: MzMLError.self) {
            try MzMLReader(url: url).forEachSpectrum(msLevel: nil) { _ in }
        }
        #expect(error.kind == .corruptArray)
        #expect(error.spectrumID == "scan=102" && error.spectrumIndex == 1)
    }

    static let errorFiles: [String] = (ExpectedValues.fixture?.synthetic ?? [:])
        .filter { $0.value.expectedError != nil }.keys.sorted()

    @Test("Each broken file gives its error, naming file and spectrum", arguments: errorFiles)
    func errorFile(_ name: String) throws {
        let expected = try #require(ExpectedValues.fixture?.synthetic[name])
        let url = ExpectedValues.synthetic(name)
        let error = try #require(throws: MzMLError.self) { try MS1Run(contentsOf: url) }
        #expect(error.kind.rawValue == expected.expectedError)
        #expect(error.spectrumID == expected.spectrumId)
        #expect(error.description.hasPrefix(url.path))
        #expect(!error.description.contains("\n"))
        if let id = expected.spectrumId { #expect(error.description.contains("id \"\(id)\"")) }
        if error.kind == .malformedXML {
            #expect(error.line != nil)
            // Only a file cut short is called truncated (not one with a mismatched tag and input left).
            #expect(error.description.contains("truncated") == name.contains("truncated"), "\(error)")
        }
    }

    @Test func missingFileIsAnError() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("absent.mzML")
        let error = try #require(throws: MzMLError.self) { try readMS1(url) }
        #expect(error.kind == .fileNotFound)
        #expect(error.description == "\(url.path): cannot open mzML file: no such file")
        let directoryError = try #require(throws: MzMLError.self) { try readMS1(directory) }
        #expect(directoryError.kind == .fileNotFound)
    }

    @Test func scanNumbersFromNativeIDs() {
        #expect(Spectrum.scanNumber(fromID: "controllerType=0 controllerNumber=1 scan=2125") == 2125)
        #expect(Spectrum.scanNumber(fromID: "function=3 process=0 scan=1") == 1)
        #expect(Spectrum.scanNumber(fromID: "index=41") == 41)
        #expect(Spectrum.scanNumber(fromID: "spectrum=7") == 7)
        #expect(Spectrum.scanNumber(fromID: "scanId=99 index=3") == 99)
        #expect(Spectrum.scanNumber(fromID: "index=3 scan=12") == 12)
        #expect(Spectrum.scanNumber(fromID: "1234") == 1234)
        #expect(Spectrum.scanNumber(fromID: "DECOY_peptide/2") == nil)
        #expect(Spectrum.scanNumber(fromID: "scan=abc") == nil)
    }

    /// The byte-level reading of ASCII ids agrees with the rule applied to Swift strings (split on spaces,
    /// `Int` of the text after `=`, the last value of each key, then scan > scanId > spectrum > index).
    @Test func scanNumbersAgreeWithTheStringRule() {
        func rule(_ id: String) -> Int? {
            if let number = Int(id) { return number }
            var found: [Substring: Int] = [:]
            for token in id.split(separator: " ") {
                guard let equals = token.firstIndex(of: "="),
                    let number = Int(token[token.index(after: equals)...])
                else { continue }
                found[token[..<equals]] = number
            }
            return ["scan", "scanId", "spectrum", "index"].lazy.compactMap { found[Substring($0)] }.first
        }
        let ids = [
            "", " ", "+5", "-3", "+", "-", "007", "12 ", " 12", "scan=+7", "scan=-2", "scan=1 scan=2",
            "scan=9223372036854775807", "scan=9223372036854775808 index=4", "scan=-9223372036854775808",
            "scan=-9223372036854775809 spectrum=5", "scan= index=1", "=5", "scan==5", "scan=5=6 index=2",
            "index=1  scanId=3", "scan=1\tindex=2", "controllerType=0 controllerNumber=1 scan=12",
            "naïve scan=5", "scan=５", "spectrum=3 índex=4",
        ]
        for id in ids { #expect(Spectrum.scanNumber(fromID: id) == rule(id), "\(id)") }
    }
}

/// Each MS-Numpress codec against the reference implementation's encodings (pynumpress).
struct NumpressTests {
    private func decode(_ codec: String, _ bytes: [UInt8]) throws -> [Double] {
        var decoded: [Double] = []
        try bytes.withUnsafeBufferPointer { buffer in
            switch codec {
            case "linear": try Numpress.decodeLinear(buffer, into: &decoded)
            case "pic": try Numpress.decodePic(buffer, into: &decoded)
            default: try Numpress.decodeSlof(buffer, into: &decoded)
            }
        }
        return decoded
    }

    @Test func referenceEncodingsDecode() throws {
        let cases = try ExpectedValues.load().numpress
        #expect(Set(cases.map(\.codec)) == ["linear", "pic", "slof"])
        for reference in cases {
            let bytes = [UInt8](try #require(Data(base64Encoded: reference.encodedBase64)))
            let decoded = try decode(reference.codec, bytes)
            #expect(decoded.count == reference.decoded.count, "\(reference.codec) \(reference.values.count) values")
            #expect(
                zip(decoded, reference.decoded).allSatisfy { close($0, $1) }, "\(reference.codec) \(reference.values)")
        }
    }

    @Test func truncatedStreamsAreErrors() throws {
        let cases = try ExpectedValues.load().numpress
        for reference in cases where reference.values.count > 3 {
            let bytes = [UInt8](try #require(Data(base64Encoded: reference.encodedBase64)))
            // linear: cut inside the second value's header; pic: the last value loses its final byte;
            // slof: an odd byte count.
            let cut = reference.codec == "linear" ? Array(bytes.prefix(14)) : Array(bytes.dropLast())
            #expect(throws: Numpress.CorruptData.self, "\(reference.codec) \(reference.values.count) values") {
                try decode(reference.codec, cut)
            }
        }
    }
}
