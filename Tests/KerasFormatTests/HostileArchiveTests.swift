import Foundation
import KerasFormat
import TestSupport
import Testing

/// ZIP files built to attack a .keras reader (Scripts/fixtures/make_hostile_zip.py): refused with the
/// member's name before anything is extracted or allocated.
@Suite struct HostileArchiveTests {
    @Test(arguments: [
        ("zip_dotdot.keras", "archive member '../../evil.txt': a path outside the archive's folder is refused"),
        ("zip_absolute.keras", "archive member '/tmp/evil.txt': a path outside the archive's folder is refused"),
        ("zip_symlink.keras", "archive member 'model.weights.h5': links are refused"),
        (
            "zip_bomb_declared.keras",
            "archive member 'model.weights.h5': declares 2147483000 bytes from 20 compressed (a zip bomb is refused)"
        ),
    ])
    func refusedOnLoadAndInspect(name: String, problem: String) throws {
        let url = TestPaths.fixture("hostile/\(name)")
        #expect(throws: KerasFormatError(problem, file: url.path)) { try KerasModelFile.load(url) }
        #expect(throws: KerasFormatError(problem, file: url.path)) { try FileInspector.inspect(url) }
    }

    /// A member that inflates to more than it declares is cut off at the declared size.
    @Test func memberLargerThanDeclaredIsRefused() throws {
        let url = TestPaths.fixture("hostile/zip_bomb_ratio.keras")
        #expect(
            throws: KerasFormatError(
                "archive member 'model.weights.h5': holds more than the 2097152 bytes it declares", file: url.path)
        ) {
            try FileInspector.inspect(url)
        }
    }

    /// A member whose bytes differ from the CRC-32 the archive records is refused before it is used (a fuzzed
    /// `.keras` reached libhdf5 with a damaged `model.weights.h5`): here one space of `config.json` (stored, as
    /// Keras stores it) becomes a tab, which leaves valid JSON and the same size.
    @Test func memberWithAWrongChecksumIsRefused() throws {
        var bytes = [UInt8](try Data(contentsOf: TestPaths.fixture("random/random_1_keras3.keras")))
        let key = Array("\"class_name\": ".utf8)
        let start = try #require(
            (0...(bytes.count - key.count)).first { bytes[$0..<($0 + key.count)].elementsEqual(key) })
        bytes[start + key.count - 1] = UInt8(ascii: "\t")
        let dir = try TestPaths.temporaryDirectory("bad-crc")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.keras")
        try Data(bytes).write(to: url)
        let problem = "archive member 'config.json': its CRC-32 does not match the archive's (damaged archive)"
        #expect(throws: KerasFormatError(problem, file: url.path)) { try KerasModelFile.load(url) }
    }
}
