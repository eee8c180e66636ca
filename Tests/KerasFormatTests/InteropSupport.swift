import Foundation
import TestSupport

/// Where a test leaves a model file for the Python interop check, or nil when the check is not running
/// (`NEATMSKIT_INTEROP_DIR` unset).
func interopOutput(_ name: String) -> URL? {
    TestPaths.interopOutputDirectory?.appendingPathComponent(name)
}

/// Records a written file for the interop check: one JSON entry in `<dir>/manifest.d/`.
func recordInterop(_ file: URL, source: String?, kind: String, test: String = #function) throws {
    guard let dir = TestPaths.interopOutputDirectory else { return }
    let entries = dir.appendingPathComponent("manifest.d", isDirectory: true)
    try FileManager.default.createDirectory(at: entries, withIntermediateDirectories: true)
    var entry: [String: Any] = ["file": file.lastPathComponent, "kind": kind, "test": "KerasFormatTests.\(test)"]
    entry["source"] = source ?? NSNull()
    let data = try JSONSerialization.data(withJSONObject: entry, options: [.sortedKeys])
    try data.write(to: entries.appendingPathComponent("\(file.lastPathComponent).json"), options: .atomic)
}
