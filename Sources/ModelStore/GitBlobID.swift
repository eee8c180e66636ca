import Crypto
import Foundation

/// Git's id of a file's content: the SHA-1 of `blob <size>\0` followed by the bytes, in lowercase hex.
/// The size is part of what is hashed, so a file of any other length cannot match.
public struct GitBlobID {
    private var hasher = Insecure.SHA1()
    private let size: Int
    private var seen = 0

    /// Starts the id of a `size`-byte content; feed exactly `size` bytes with `update`.
    public init(size: Int) {
        precondition(size >= 0, "a size is never negative")
        self.size = size
        hasher.update(data: Data("blob \(size)\u{0}".utf8))
    }

    /// Adds the next bytes of the content.
    public mutating func update(_ bytes: Data) {
        seen += bytes.count
        hasher.update(data: bytes)
    }

    /// The id, 40 lowercase hex digits. - Precondition: exactly `size` bytes were added.
    public func finalize() -> String {
        precondition(seen == size, "GitBlobID: \(seen) bytes added for a \(size)-byte blob")
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The blob id of `data`.
    public static func of(_ data: Data) -> String {
        var id = GitBlobID(size: data.count)
        id.update(data)
        return id.finalize()
    }

    /// The blob id of the file at `url`, read in 1 MiB pieces.
    /// - Throws: when the file cannot be opened or read, or changes size while it is read.
    public static func ofFile(at url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: 0)
        var id = GitBlobID(size: Int(size))
        var read = 0
        while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {
            read += piece.count
            guard read <= Int(size) else { break }
            id.update(piece)
        }
        guard read == Int(size) else {
            throw ModelStoreError(url.path, "changed size while it was read (\(read) bytes, expected \(size))")
        }
        return id.finalize()
    }
}
