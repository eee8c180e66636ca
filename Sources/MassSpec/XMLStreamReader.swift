import CXML2
import Foundation

/// libxml2 must be initialised once, on one thread, before readers run concurrently.
private let libxml2Initialised: Void = { xmlInitParser() }()

/// The first error libxml2 reported for one reader, captured instead of printed to stderr.
private final class XMLErrorSink {
    var message: String?
    var line: Int?

    func record(_ error: xmlError) {
        // Keep the first error: later ones are usually consequences of it.
        guard message == nil, error.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
        message = error.message.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) }
            ?? "libxml2 error \(error.code)"
        line = error.line > 0 ? Int(error.line) : nil
    }
}

/// libxml2 ≤ 2.11 passes `xmlErrorPtr`, ≥ 2.12 `const xmlError *`: take a raw pointer and cast the
/// function to whichever `xmlStructuredErrorFunc` this libxml2 declares.
private let errorHandler: @convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?) -> Void = { context, error in
    guard let context, let error else { return }
    let sink = Unmanaged<XMLErrorSink>.fromOpaque(context).takeUnretainedValue()
    sink.record(error.assumingMemoryBound(to: xmlError.self).pointee)
}

/// A thin forward-only cursor over libxml2's `xmlTextReader` (the streaming "pull" parser).
///
/// Reads plain or gzip-compressed files (libxml2 inflates `.gz` transparently). Names and values are
/// borrowed C strings valid until the next `read()`; nothing here allocates per node.
final class XMLStreamReader {
    /// Node types of `xmlTextReaderNodeType` that the mzML reader uses.
    enum NodeType: Int32 {
        case element = 1
        case text = 3
        case cdata = 4
        case endElement = 15
    }

    private let reader: xmlTextReaderPtr
    private let sink = XMLErrorSink()
    private let path: String

    /// Opens `path` for streaming. Returns nil when libxml2 cannot open it.
    init?(path: String) {
        _ = libxml2Initialised
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_HUGE.rawValue | XML_PARSE_NOBLANKS.rawValue)
        guard let reader = xmlReaderForFile(path, nil, options) else { return nil }
        self.reader = reader
        self.path = path
        xmlTextReaderSetStructuredErrorHandler(
            reader, unsafeBitCast(errorHandler, to: xmlStructuredErrorFunc.self),
            Unmanaged.passUnretained(sink).toOpaque())
    }

    deinit { xmlFreeTextReader(reader) }

    /// Advances to the next node. Returns false at the end of the document.
    /// - Throws: `MzMLError.malformedXML` with libxml2's message and line.
    func read() throws -> Bool {
        let status = xmlTextReaderRead(reader)
        if status == 1 { return true }
        if status == 0 && sink.message == nil { return false }
        throw parseError()
    }

    /// Skips the current element's subtree (it is still parsed, but no node of it is returned).
    /// Returns false at the end of the document.
    func skipSubtree() throws -> Bool {
        let status = xmlTextReaderNext(reader)
        if status == 1 { return true }
        if status == 0 && sink.message == nil { return false }
        throw parseError()
    }

    /// The libxml2 error captured so far as an `MzMLError`.
    func parseError() -> MzMLError {
        let line = sink.line ?? lineNumber
        return MzMLError(.malformedXML, path: path, line: line, detail: sink.message ?? "the input ends early or cannot be read (truncated file or corrupt gzip data?)")
    }

    /// The current node's type, or nil for types the mzML reader ignores.
    var nodeType: NodeType? { NodeType(rawValue: xmlTextReaderNodeType(reader)) }

    /// True when the current element is written `<name/>` (no end-element node follows).
    var isEmptyElement: Bool { xmlTextReaderIsEmptyElement(reader) == 1 }

    /// The current line in the input (for messages), when libxml2 knows it.
    var lineNumber: Int? {
        let line = xmlTextReaderGetParserLineNumber(reader)
        return line > 0 ? Int(line) : nil
    }

    /// True when the current node's local name equals `name`.
    func nameIs(_ name: StaticString) -> Bool {
        guard let local = xmlTextReaderConstLocalName(reader) else { return false }
        return strcmp(UnsafeRawPointer(local).assumingMemoryBound(to: CChar.self),
                      UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)) == 0
    }

    /// The current node's local name.
    var localName: String {
        xmlTextReaderConstLocalName(reader).map { String(cString: $0) } ?? ""
    }

    /// The current text node's value as raw bytes (borrowed until the next `read()`).
    func withValueBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        guard let value = xmlTextReaderConstValue(reader) else {
            return try body(UnsafeBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeBufferPointer(start: value, count: strlen(UnsafeRawPointer(value).assumingMemoryBound(to: CChar.self))))
    }

    /// Calls `body(name, value)` for every attribute of the current element, then returns to the element.
    func forEachAttribute(_ body: (_ name: UnsafePointer<CChar>, _ value: UnsafePointer<CChar>) throws -> Void) rethrows {
        guard xmlTextReaderMoveToFirstAttribute(reader) == 1 else { return }
        defer { xmlTextReaderMoveToElement(reader) }
        repeat {
            if let name = xmlTextReaderConstLocalName(reader), let value = xmlTextReaderConstValue(reader) {
                try body(UnsafeRawPointer(name).assumingMemoryBound(to: CChar.self),
                         UnsafeRawPointer(value).assumingMemoryBound(to: CChar.self))
            }
        } while xmlTextReaderMoveToNextAttribute(reader) == 1
    }

    /// The value of attribute `name` of the current element, or nil.
    func attribute(_ name: StaticString) -> String? {
        var result: String?
        forEachAttribute { attributeName, value in
            if result == nil,
               strcmp(attributeName, UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)) == 0 {
                result = String(cString: value)
            }
        }
        return result
    }
}
