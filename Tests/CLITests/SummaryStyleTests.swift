import Foundation
import TestSupport
import Testing

/// `neatms summary` against the text real Keras prints after `load_model(path)`: every reference under
/// Fixtures/summary (`<model file>.<tf-keras|keras3>.txt`, made by Scripts/fixtures/make_summary_fixtures.py in
/// tf-keras 2.21 and Keras 3) must come out byte for byte, with `--style` and, for the Keras that wrote the
/// file, without it.
@Suite struct SummaryStyleCLI {
    struct Reference: CustomStringConvertible, Sendable {
        var model: URL
        var style: String
        var text: URL
        var description: String { "\(model.lastPathComponent) as \(style)" }
    }

    static let references: [Reference] = {
        let folder = TestPaths.fixture("summary")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.sorted().compactMap { name in
            let stem = String(name.dropLast(".txt".count))
            guard let dot = stem.lastIndex(of: ".") else { return nil }
            let modelName = String(stem[..<dot])
            let style = String(stem[stem.index(after: dot)...])
            let model = ["summary/", "keras/", "random/", ""].map { TestPaths.fixture($0 + modelName) }
                .first { FileManager.default.fileExists(atPath: $0.path) }
            return model.map { Reference(model: $0, style: style, text: folder.appendingPathComponent(name)) }
        }
    }()

    @Test func everyReferenceHasItsModel() throws {
        let texts = try FileManager.default.contentsOfDirectory(atPath: TestPaths.fixture("summary").path)
            .filter { $0.hasSuffix(".txt") }
        #expect(Self.references.count == texts.count)
        #expect(Self.references.count >= 25)
        #expect(Set(Self.references.map(\.style)) == ["tf-keras", "keras3"])
    }

    @Test(arguments: references)
    func summaryWithStyleEqualsKeras(reference: Reference) throws {
        let result = try runNeatms(["summary", reference.model.path, "--style", reference.style])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == (try String(contentsOf: reference.text, encoding: .utf8)))
    }

    /// Without `--style`, a file gets the layout of the Keras generation that wrote it (for the Keras 2.2-era
    /// bundled model, the next test).
    @Test(
        arguments: references.filter { reference in
            let name = reference.model.lastPathComponent
            if name == "neatms_default_model.h5" { return false }
            let writtenByKeras3 = name.hasSuffix(".keras") || name.hasPrefix("reduced_keras3")
            return reference.style == (writtenByKeras3 ? "keras3" : "tf-keras")
        })
    func defaultStyleIsTheWritersKeras(reference: Reference) throws {
        let result = try runNeatms(["summary", reference.model.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == (try String(contentsOf: reference.text, encoding: .utf8)))
    }

    /// NeatMS's bundled Keras 2.2 file gets the classic layout of NeatMS's documentation.
    @Test func keras22FileGetsTheDocumentedClassicLayout() throws {
        let result = try runNeatms(["summary", TestPaths.fixture("neatms_default_model.h5").path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(trimmedLines(result.stdout) == trimmedLines(NeatMSDocumentation.modelSummary))
    }

    @Test func unknownStyleIsAUsageError() throws {
        let result = try runNeatms(["summary", TestPaths.fixture("neatms_default_model.h5").path, "--style", "keras4"])
        #expect(result.status == 64)
    }
}
