import Foundation
import Testing

@testable import NeatMS

@Suite struct CSVFileTests {
    private func parse(_ text: String) throws -> CSVFile {
        try CSVFile(bytes: Array(text.utf8), path: "t.csv")
    }

    @Test func quotedFieldsCommasNewlinesAndEscapedQuotes() throws {
        let csv = try parse("a,b,c\r\n\"x,1\",\"he said \"\"hi\"\"\",\"two\nlines\"\r\n4,5,6\n")
        #expect(csv.header == ["a", "b", "c"])
        #expect(csv.records.count == 2)
        #expect(csv.text(0, 0) == "x,1")
        #expect(csv.text(0, 1) == "he said \"hi\"")
        #expect(csv.text(0, 2) == "two\nlines")
        #expect(csv.lineNumbers == [2, 4])
        #expect(csv.text(1, 2) == "6")
    }

    @Test func trailingCommaGivesAnEmptyLastField() throws {
        let csv = try parse("a,b,\n1,2,\n")
        #expect(csv.header == ["a", "b", ""])
        #expect(csv.records[0].count == 3)
        #expect(csv.records[0][2].isEmpty)
    }

    @Test func unterminatedQuoteIsAnErrorWithTheLine() throws {
        #expect(throws: TableError(file: "t.csv", line: 3, message: "a quoted field is never closed")) {
            try parse("a,b\n1,2\n\"3,4\n5,6\n")
        }
    }

    @Test func textAfterAClosingQuoteIsAnError() throws {
        #expect(throws: TableError(file: "t.csv", line: 2, message: "unexpected text after a closing quote")) {
            try parse("a,b\n\"1\"x,2\n")
        }
    }

    @Test func emptyFileIsAnError() throws {
        #expect(throws: TableError.self) { try parse("") }
    }
}
