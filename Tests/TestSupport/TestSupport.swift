import Foundation

/// The folder holding this test process's temporary directories (see `TestPaths.temporaryDirectory`).
private let temporaryRootPath = FileManager.default.temporaryDirectory
    .appendingPathComponent("neatmskit-tests-\(UUID().uuidString)", isDirectory: true).path

/// Removes `temporaryRootPath` when the test process exits (registered on first use).
private let temporaryRootCleanup: Void = {
    atexit { try? FileManager.default.removeItem(atPath: temporaryRootPath) }
}()

/// Locations of test inputs and scratch space shared by every test target.
public enum TestPaths {
    /// The package root (found from this source file's location: Tests/TestSupport/TestSupport.swift).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Fixtures/<name>` inside the package.
    public static func fixture(_ name: String) -> URL {
        packageRoot.appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    /// `../shared/data/<relative>` beside the checkout, or nil (with the reason) when it is absent.
    /// Tests that need real data call this and skip with the returned message when it is nil.
    public static func sharedData(_ relative: String) -> URL? {
        let url = packageRoot.deletingLastPathComponent()
            .appendingPathComponent("shared/data").appendingPathComponent(relative)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// Why `sharedData` returned nil: a message for a skipped test.
    public static func sharedDataMissing(_ relative: String) -> String {
        "skipped: ../shared/data/\(relative) is not present beside this checkout"
    }

    /// A fresh, unique temporary directory (tests run in parallel: never share fixed temp names).
    /// Every one lives under one folder per test process, removed when the process exits.
    public static func temporaryDirectory(_ label: String = "neatmskit") throws -> URL {
        _ = temporaryRootCleanup
        let url = URL(fileURLWithPath: temporaryRootPath, isDirectory: true)
            .appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Decodes the JSON file at `url` (a fixture or a shared-data reference) as `T`; with
    /// `snakeCaseKeys`, `snake_case` keys fill `camelCase` properties.
    /// - Throws: when the file is missing or does not decode as `T`.
    public static func loadJSON<T: Decodable>(_ type: T.Type, from url: URL, snakeCaseKeys: Bool = false) throws -> T {
        let decoder = JSONDecoder()
        if snakeCaseKeys { decoder.keyDecodingStrategy = .convertFromSnakeCase }
        return try decoder.decode(type, from: Data(contentsOf: url))
    }

    /// Where tests leave model files for the Python interop check in `.ci/run`
    /// (`NEATMSKIT_INTEROP_DIR`), or nil when unset.
    public static var interopOutputDirectory: URL? {
        guard let dir = ProcessInfo.processInfo.environment["NEATMSKIT_INTEROP_DIR"], !dir.isEmpty else {
            return nil
        }
        let url = URL(fileURLWithPath: dir, isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// True when `a` and `b` agree within `absolute + relative·|b|`.
public func isClose(_ a: Double, _ b: Double, absolute: Double = 0, relative: Double = 0) -> Bool {
    if a == b { return true }
    return abs(a - b) <= absolute + relative * abs(b)
}
