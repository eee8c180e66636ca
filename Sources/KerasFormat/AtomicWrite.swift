import Foundation

/// Writes a file atomically: `body` fills a temporary file in the destination's folder, which then
/// replaces the destination with one `rename(2)`. On any error the temporary file is removed and the
/// destination is untouched.
func writeAtomically(to url: URL, _ body: (URL) throws -> Void) throws {
    let folder = url.deletingLastPathComponent()
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw KerasFormatError("the folder \(folder.path) does not exist", file: url.path)
    }
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    do {
        try body(temporary)
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw KerasFormatError("cannot move the written file into place: \(reason)", file: url.path)
        }
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw error
    }
}
