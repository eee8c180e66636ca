import Foundation

/// What every harness shares: the fixtures of this checkout and one private folder for the inputs.
public enum Fuzz {
    /// The checkout holding this package (Fuzz/Sources/FuzzSupport/FuzzSupport.swift → the checkout).
    public static let checkout = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `Fixtures/<relative>` of the checkout.
    public static func fixture(_ relative: String) -> URL {
        checkout.appendingPathComponent("Fixtures").appendingPathComponent(relative)
    }

    /// This process's folder for inputs (under `$TMPDIR`), made on first use and removed at exit.
    public static let folder: URL = {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/neatms-fuzz-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            fatalError("cannot make a temporary folder in \(base)")
        }
        let url = URL(fileURLWithPath: String(cString: made), isDirectory: true)
        atexit { try? FileManager.default.removeItem(at: Fuzz.folder) }
        return url
    }()

    /// Writes the input to `name` in `folder` (or in `subfolder` of it) and gives its URL to `read`, the
    /// reader under test. An error thrown is the reader refusing the input, which is what it should do;
    /// only a crash, a hang or a leak is a finding. Returns 0, as libFuzzer expects.
    @discardableResult
    public static func run(
        _ data: UnsafePointer<UInt8>?, _ size: Int, as name: String, in subfolder: String? = nil,
        _ read: (URL) throws -> Void
    ) -> CInt {
        let bytes = data.map { Data(bytes: $0, count: size) } ?? Data()
        var directory = folder
        if let subfolder {
            directory = folder.appendingPathComponent(subfolder, isDirectory: true)
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        let url = directory.appendingPathComponent(name)
        do {
            try bytes.write(to: url)
        } catch {
            fatalError("cannot write the input to \(url.path): \(error)")
        }
        do {
            try read(url)
        } catch {
            // Refused with an error: fine. Building the message exercises every error's description.
            _ = "\(error)"
        }
        return 0
    }

    /// Runs `load` once, stopping the fuzzer if a committed fixture the harness needs cannot be read.
    public static func setUp<Value>(_ what: String, _ load: () throws -> Value) -> Value {
        do {
            return try load()
        } catch {
            fatalError("cannot load \(what): \(error)")
        }
    }
}
