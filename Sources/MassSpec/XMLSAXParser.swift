import CXML2
import CZlibShim
import Foundation

/// libxml2 must be initialised once, on one thread, before parsers run concurrently.
private let libxml2Initialised: Void = { xmlInitParser() }()

/// Receives the SAX events of an `XMLSAXParser`. Names are local names (namespace prefixes dropped);
/// all pointers are valid only during the call.
protocol XMLEventHandler: AnyObject {
    func startElement(_ name: UnsafePointer<CChar>, _ attributes: XMLAttributes)
    func endElement(_ name: UnsafePointer<CChar>)
    func characters(_ bytes: UnsafeBufferPointer<UInt8>)
}

/// The attributes of one start tag, as libxml2's SAX2 hands them over (not NUL-terminated values).
struct XMLAttributes {
    fileprivate let raw: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
    fileprivate let count: Int

    /// Calls `body(localName, value)` for each attribute.
    func forEach(_ body: (_ name: UnsafePointer<CChar>, _ value: UnsafeBufferPointer<UInt8>) -> Void) {
        guard let raw else { return }
        for i in 0..<count {
            // Five pointers per attribute: local name, prefix, URI, value start, value end.
            guard let local = raw[5 * i], let start = raw[5 * i + 3], let end = raw[5 * i + 4] else { continue }
            body(
                UnsafeRawPointer(local).assumingMemoryBound(to: CChar.self),
                UnsafeBufferPointer(start: start, count: end - start))
        }
    }

    /// The value of the attribute with local name `name`, or nil.
    func value(_ name: StaticString) -> String? {
        var result: String?
        forEach { local, value in
            if result == nil, strcmp(local, UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)) == 0 {
                result = String(decoding: value, as: UTF8.self)
            }
        }
        return result
    }
}

/// The first error libxml2 reported, captured instead of printed to stderr.
private struct CapturedError {
    var message: String
    var line: Int?
    /// Whether libxml2 had consumed the whole file when it reported the error (a truncated file), rather
    /// than stopping at a fault with input left (a mismatched tag, say).
    var atEndOfInput: Bool
}

/// A streaming XML parser: libxml2's SAX2 parser reading the file through zlib's `gzread` (which reads
/// gzip-compressed and plain files alike) as it goes. Only libxml2's input window of the file is in
/// memory at a time.
final class XMLSAXParser {
    private let path: String
    /// The file as the user gave it, for errors.
    private let name: String
    private let file: gzFile
    private var context: xmlParserCtxtPtr?
    private var handlerTable = xmlSAXHandler()
    private var firstError: CapturedError?
    /// A read (or gzip) error, reported instead of what libxml2 makes of the missing input.
    private var readFailure: MzMLError?
    /// Whether the whole file was read.
    private var reachedEnd = false
    private var finished = false
    /// Elements opened and not yet closed (a document that ends with some open is truncated).
    private var openElements = 0
    /// The handler owns this parser, so it outlives it (unowned(unsafe): no reference counting per event).
    private unowned(unsafe) let handler: XMLEventHandler

    /// Opens `path` (plain or gzip); errors name the file `name`. Returns nil when the file cannot be opened.
    init?(path: String, name: String, handler: XMLEventHandler) {
        _ = libxml2Initialised
        guard let file = gzopen(path, "rb") else { return nil }
        gzbuffer(file, 1 << 17)
        self.file = file
        self.path = path
        self.name = name
        self.handler = handler
        handlerTable.initialized = XML_SAX2_MAGIC
        handlerTable.startElementNs = { context, localName, _, _, _, _, attributeCount, _, attributes in
            guard let context, let localName else { return }
            Unmanaged<XMLSAXParser>.fromOpaque(context)._withUnsafeGuaranteedRef { parser in
                parser.openElements += 1
                parser.handler.startElement(
                    UnsafeRawPointer(localName).assumingMemoryBound(to: CChar.self),
                    XMLAttributes(raw: attributes, count: Int(attributeCount)))
            }
        }
        handlerTable.endElementNs = { context, localName, _, _ in
            guard let context, let localName else { return }
            Unmanaged<XMLSAXParser>.fromOpaque(context)._withUnsafeGuaranteedRef { parser in
                parser.openElements -= 1
                parser.handler.endElement(UnsafeRawPointer(localName).assumingMemoryBound(to: CChar.self))
            }
        }
        let characters: charactersSAXFunc = { context, bytes, length in
            guard let context, let bytes, length > 0 else { return }
            Unmanaged<XMLSAXParser>.fromOpaque(context)._withUnsafeGuaranteedRef { parser in
                parser.handler.characters(UnsafeBufferPointer(start: bytes, count: Int(length)))
            }
        }
        handlerTable.characters = characters
        handlerTable.cdataBlock = characters
        // libxml2 ≤ 2.11 passes `xmlErrorPtr`, ≥ 2.12 `const xmlError *`: take a raw pointer and cast the
        // function to whichever `xmlStructuredErrorFunc` this libxml2 declares.
        let errorHandler: @convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?) -> Void = { context, error in
            guard let context, let error else { return }
            let parser = Unmanaged<XMLSAXParser>.fromOpaque(context).takeUnretainedValue()
            parser.record(error.assumingMemoryBound(to: xmlError.self).pointee)
        }
        handlerTable.serror = unsafeBitCast(errorHandler, to: xmlStructuredErrorFunc.self)
    }

    deinit {
        if let context { xmlFreeParserCtxt(context) }
        gzclose(file)
    }

    private func record(_ error: xmlError) {
        // Keep the first error: later ones are usually consequences of it. Warnings are not errors.
        guard firstError == nil, error.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
        let message = error.message.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) }
        firstError = CapturedError(
            message: message ?? "libxml2 error \(error.code)",
            line: error.line > 0 ? Int(error.line) : currentLine,
            atEndOfInput: reachedEnd && unparsedInput == 0)
    }

    /// Bytes libxml2 has read from the file but not parsed yet (0 when unknown).
    private var unparsedInput: Int {
        guard let input = context?.pointee.input, let cur = input.pointee.cur, let end = input.pointee.end else {
            return 0
        }
        return end - cur
    }

    /// The line libxml2 has reached, when known.
    var currentLine: Int? {
        guard let context else { return nil }
        let line = xmlSAX2GetLineNumber(UnsafeMutableRawPointer(context))
        return line > 0 ? Int(line) : nil
    }

    /// Stops parsing after the current event (the handler found a problem of its own).
    func stop() {
        if let context { xmlStopParser(context) }
        finished = true
    }

    /// zlib's last error (it prefixes the path, which `MzMLError` already names).
    private func readError(defaultMessage: String) -> MzMLError {
        var code: Int32 = 0
        var message = gzerror(file, &code).map { String(cString: $0) } ?? defaultMessage
        if message.hasPrefix(path + ": ") { message.removeFirst(path.count + 2) }
        return MzMLError(
            .malformedXML, path: name, line: currentLine,
            detail: "cannot read the file (\(message); truncated or corrupt gzip data?)")
    }

    /// libxml2's input callback: up to `length` bytes of the file into `buffer`; 0 at the end, -1 on an error.
    private func read(into buffer: UnsafeMutablePointer<CChar>, length: Int32) -> Int32 {
        guard readFailure == nil, !reachedEnd, length > 0 else { return readFailure == nil ? 0 : -1 }
        let count = gzread(file, buffer, UInt32(length))
        guard count >= 0 else {
            readFailure = readError(defaultMessage: "read error")
            return -1
        }
        if count == 0 {
            reachedEnd = true
            var code: Int32 = 0
            _ = gzerror(file, &code)
            if code != Z_OK, code != Z_STREAM_END {
                readFailure = readError(defaultMessage: "zlib error \(code)")
                return -1
            }
        }
        return count
    }

    /// Parses the whole document, delivering its events to the handler, unless `stop()` ends it early.
    /// - Throws: `MzMLError.malformedXML` (libxml2's message and line), or a read error.
    func parse() throws {
        guard !finished, context == nil else { return }
        let input: xmlInputReadCallback = { context, buffer, length in
            guard let context, let buffer else { return -1 }
            return Unmanaged<XMLSAXParser>.fromOpaque(context)._withUnsafeGuaranteedRef {
                $0.read(into: buffer, length: length)
            }
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        guard let context = xmlCreateIOParserCtxt(&handlerTable, me, input, nil, me, XML_CHAR_ENCODING_NONE) else {
            throw readFailure ?? MzMLError(.malformedXML, path: name, detail: "libxml2 cannot start parsing the file")
        }
        self.context = context
        xmlCtxtUseOptions(
            context, Int32(XML_PARSE_NONET.rawValue | XML_PARSE_HUGE.rawValue | XML_PARSE_NOBLANKS.rawValue))
        let status = xmlParseDocument(context)
        if finished { return }  // stopped by the handler, which reports its own problem
        finished = true
        if let readFailure { throw readFailure }
        if let firstError {
            // At the end of the input, an unterminated document is a truncated file.
            let detail =
                firstError.atEndOfInput && openElements > 0
                ? "the file ends inside an unclosed element (truncated?); libxml2: \(firstError.message)"
                : firstError.message
            throw MzMLError(.malformedXML, path: name, line: firstError.line, detail: detail)
        }
        if status != 0 {
            throw MzMLError(.malformedXML, path: name, line: currentLine, detail: "libxml2 error \(status)")
        }
    }
}
