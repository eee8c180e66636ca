import Foundation
import Support

/// A problem reading an XML file that is not an mzML file (OpenMS featureXML/consensusXML, say): one line
/// naming the file, the XML line when known, and what is wrong.
public struct XMLFileError: LocatedError, Equatable, Sendable {
    /// The file's path as given.
    public var file: String?
    /// The XML line, when known.
    public var line: Int?
    /// What is wrong.
    public var problem: String

    public init(file: String, line: Int?, problem: String) {
        self.file = file
        self.line = line
        self.problem = problem
    }
}

/// Streams the elements of an XML file (plain or gzip) through libxml2, the parser that reads mzML, for
/// readers of other XML formats: each start tag with its attributes and line, each end tag, and the text
/// inside elements. Names are local names (namespace prefixes dropped).
public enum XMLElementReader {
    /// One start tag.
    public struct Element {
        /// The local name.
        public var name: String
        /// Attributes by local name.
        public var attributes: [String: String]
        /// The line libxml2 had reached at the tag (the tag's last line).
        public var line: Int?
    }

    /// Parses `path`, calling `start` for every start tag, `end` for every end tag and `text` for character
    /// data (possibly in pieces). A closure that throws stops the parse and its error is rethrown.
    /// - Throws: `XMLFileError` for a missing, unreadable or malformed file, or what a closure throws.
    public static func read(
        _ path: String,
        start: (Element) throws -> Void,
        end: (String) throws -> Void = { _ in },
        text: (String) throws -> Void = { _ in }
    ) throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw XMLFileError(file: path, line: nil, problem: "cannot open the file")
        }
        try withoutActuallyEscaping(start) { start in
            try withoutActuallyEscaping(end) { end in
                try withoutActuallyEscaping(text) { text in
                    let handler = Handler(start: start, end: end, text: text)
                    guard let parser = XMLSAXParser(path: path, name: path, handler: handler) else {
                        throw XMLFileError(file: path, line: nil, problem: "cannot open the file")
                    }
                    handler.parser = parser
                    do {
                        try parser.parse()
                    } catch let error as MzMLError {
                        throw XMLFileError(
                            file: path, line: error.line, problem: "not well-formed XML: \(error.detail)")
                    }
                    if let failure = handler.failure { throw failure }
                }
            }
        }
    }

    private final class Handler: XMLEventHandler {
        let start: (Element) throws -> Void
        let end: (String) throws -> Void
        let text: (String) throws -> Void
        weak var parser: XMLSAXParser?
        var failure: Error?

        init(
            start: @escaping (Element) throws -> Void, end: @escaping (String) throws -> Void,
            text: @escaping (String) throws -> Void
        ) {
            self.start = start
            self.end = end
            self.text = text
        }

        private func run(_ body: () throws -> Void) {
            guard failure == nil else { return }
            do { try body() } catch {
                failure = error
                parser?.stop()
            }
        }

        func startElement(_ name: UnsafePointer<CChar>, _ attributes: XMLAttributes) {
            run {
                var values: [String: String] = [:]
                attributes.forEach { key, value in values[String(cString: key)] = String(decoding: value, as: UTF8.self)
                }
                try start(Element(name: String(cString: name), attributes: values, line: parser?.currentLine))
            }
        }

        func endElement(_ name: UnsafePointer<CChar>) {
            run { try end(String(cString: name)) }
        }

        func characters(_ bytes: UnsafeBufferPointer<UInt8>) {
            run { try text(String(decoding: bytes, as: UTF8.self)) }
        }
    }
}
