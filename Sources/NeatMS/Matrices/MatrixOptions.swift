import Support

/// How peaks are turned into network inputs (NeatMS's `matrice_size`, `margin`, `min_scan_num`).
public struct MatrixOptions: Sendable, Equatable, CustomStringConvertible {
    /// Number of columns n of the (2, n) matrix (NeatMS default 120).
    public var size: Int
    /// Margin on each side, as a multiple of the peak's width (default 1).
    public var margin: Double
    /// Minimum number of scans with signal inside [rt_start, rt_end] for a valid peak (default 5).
    public var minScans: Int

    public init(size: Int = 120, margin: Double = 1, minScans: Int = 5) {
        self.size = size
        self.margin = margin
        self.minScans = minScans
    }

    /// NeatMS's defaults: 120 columns, margin 1, at least 5 scans.
    public static let neatMSDefault = MatrixOptions()

    public var description: String { "matrix size \(size), margin \(margin), min scans \(minScans)" }

    /// Checks the values are usable.
    /// - Throws: `MatrixOptionsError` naming the bad value.
    public func validate() throws {
        guard size >= 2 else { throw MatrixOptionsError(message: "matrix size must be at least 2, got \(size)") }
        guard margin >= 0, margin.isFinite else {
            throw MatrixOptionsError(message: "margin must be a finite number >= 0, got \(margin)")
        }
        guard minScans >= 0 else { throw MatrixOptionsError(message: "min scans must be >= 0, got \(minScans)") }
    }
}

/// Invalid matrix options; the description is the message.
public struct MatrixOptionsError: LocatedError, Sendable {
    public var message: String
    /// The file the options came from, when one did (nil: they are command-line options).
    public var file: String?
    public var problem: String { message }
}
