import Support

/// Why an mzML file could not be read.
///
/// `description` is one line naming the file and, where it applies, the spectrum (its `id` and 0-based
/// position in the `spectrumList`) and the XML line: `<path>[:<line>]: [spectrum #<index> (id "<id>"): ]<problem>`.
public struct MzMLError: LocatedError, Equatable, Sendable {
    /// The kind of failure, for callers (and tests) that branch on it.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// The file does not exist or cannot be opened.
        case fileNotFound
        /// The file is empty (zero bytes).
        case emptyFile
        /// Not well-formed XML (libxml2's message and line are in `detail` and `line`).
        case malformedXML
        /// Well-formed XML whose root element is neither `mzML` nor `indexedmzML`.
        case notMzML
        /// The file holds chromatograms but no spectra at all.
        case chromatogramsOnly
        /// The file holds no spectrum of the requested MS level (for MS1: "contains no MS1 spectra").
        case noSpectraOfLevel
        /// A binary array could not be decoded: bad base64, zlib error, corrupt MS-Numpress data,
        /// unsupported encoding, or a decoded length different from the declared array length.
        case corruptArray
        /// A spectrum lacks something a reader needs (scan start time or its unit, an m/z or
        /// intensity array) or its m/z and intensity arrays differ in length.
        case invalidSpectrum
    }

    /// What went wrong.
    public var kind: Kind
    /// The file's path as the user gave it (`URL.relativePath`).
    public var path: String
    /// The spectrum's `id` attribute, when the problem belongs to one spectrum.
    public var spectrumID: String?
    /// The spectrum's 0-based position in the `spectrumList`, when the problem belongs to one spectrum.
    public var spectrumIndex: Int?
    /// The XML line (from libxml2), when known.
    public var line: Int?
    /// Details: libxml2's message, the decoder's reason, the expected and actual lengths, ...
    public var detail: String

    public init(
        _ kind: Kind, path: String, spectrumID: String? = nil, spectrumIndex: Int? = nil, line: Int? = nil,
        detail: String = ""
    ) {
        self.kind = kind
        self.path = path
        self.spectrumID = spectrumID
        self.spectrumIndex = spectrumIndex
        self.line = line
        self.detail = detail
    }

    /// `path`, as `LocatedError` names it.
    public var file: String? {
        get { path }
        set { path = newValue ?? "" }
    }

    /// The spectrum, when the problem belongs to one: `spectrum #<index> (id "<id>")`.
    public var location: String? {
        guard spectrumID != nil || spectrumIndex != nil else { return nil }
        var text = "spectrum"
        if let spectrumIndex { text += " #\(spectrumIndex)" }
        if let spectrumID { text += " (id \"\(spectrumID)\")" }
        return text
    }

    /// What went wrong, with the details, on one line (libxml2's messages end in a newline).
    public var problem: String {
        let summary: String
        switch kind {
        case .fileNotFound: summary = "cannot open mzML file"
        case .emptyFile: summary = "file is empty, not an mzML file"
        case .malformedXML: summary = "not well-formed XML"
        case .notMzML: summary = "not an mzML file"
        case .chromatogramsOnly: summary = "contains only chromatograms, no spectra"
        case .noSpectraOfLevel: summary = "contains no"
        case .corruptArray: summary = "corrupt binary data array"
        case .invalidSpectrum: summary = "invalid spectrum"
        }
        var text = summary
        if !detail.isEmpty { text += kind == .noSpectraOfLevel ? " \(detail)" : ": \(detail)" }
        // Keep the promise of one line: every line of the details, joined.
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
