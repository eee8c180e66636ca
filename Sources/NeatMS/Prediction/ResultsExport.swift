import Foundation

/// The results table (NeatMS's `export_csv`, docs/NEATMS-BEHAVIOUR.md#export), long format: one row per
/// exported peak.
///
/// Columns: an unnamed row index (pandas's), `feature ID`, `sample` (the raw file name without its
/// extension), `m/z` and `retention time` of the feature when `mz` / `rt` are requested, then the other
/// requested properties in the order given. Numbers are written as Python writes floats (shortest
/// round-trip form); missing values are empty.
public struct ExportOptions: Sendable, Equatable {
    /// Peak properties, as NeatMS names them.
    public enum Property: String, Sendable, CaseIterable {
        case rt, mz, height, area, label
        case peakMZ = "peak_mz"
        case peakRT = "peak_rt"
        case peakRTStart = "peak_rt_start"
        case peakRTEnd = "peak_rt_end"
        case peakMZMin = "peak_mz_min"
        case peakMZMax = "peak_mz_max"
        case areaBaselineCorrected = "area_bc"
        case sn
        case rtAdjusted = "rt_adjusted"
        case rtStartAdjusted = "rt_start_adjusted"
        case rtEndAdjusted = "rt_end_adjusted"

        /// Where a peak holds the property's value (nil for `label`, which comes from the prediction).
        var value: KeyPath<TablePeak, Double?>? {
            switch self {
            case .mz: \.featureMZ
            case .rt: \.featureRT
            case .label: nil
            case .height: \.height
            case .area: \.area
            case .peakMZ: \.mz
            case .peakRT: \.rt
            case .peakRTStart: \.rtStart
            case .peakRTEnd: \.rtEnd
            case .peakMZMin: \.mzMin
            case .peakMZMax: \.mzMax
            case .areaBaselineCorrected: \.areaBaselineCorrected
            case .sn: \.signalToNoise
            case .rtAdjusted: \.rtAdjusted
            case .rtStartAdjusted: \.rtStartAdjusted
            case .rtEndAdjusted: \.rtEndAdjusted
            }
        }
    }

    /// Labels whose peaks are exported (NeatMS 0.9 code default: every class).
    public var exportClasses: [String]?
    /// A feature is kept when at least `minGroupSize` of its valid peaks carry one of these labels (nil =
    /// any label, NeatMS 0.9's code default).
    public var minGroupClasses: [String]?
    /// Peaks needed; a value in (0, 1] is a fraction of the number of samples. Default 0 (NeatMS 0.9 code:
    /// a feature needs at least one valid labelled peak).
    public var minGroupSize: Double
    /// Sample names (raw file name, or its name without extension) left out of the export and of the
    /// group counts.
    public var exclude: [String]
    /// Write the manual label instead of the prediction where a peak has one.
    public var useAnnotation: Bool
    /// Columns after `feature ID` and `sample` (default rt, mz, height, area, label).
    public var properties: [Property]

    public init(
        exportClasses: [String]? = nil, minGroupClasses: [String]? = nil, minGroupSize: Double = 0,
        exclude: [String] = [], useAnnotation: Bool = false,
        properties: [Property] = [.rt, .mz, .height, .area, .label]
    ) {
        self.exportClasses = exportClasses
        self.minGroupClasses = minGroupClasses
        self.minGroupSize = minGroupSize
        self.exclude = exclude
        self.useAnnotation = useAnnotation
        self.properties = properties
    }

    /// The names in `exclude` that match no sample of `samples` (by raw file name or its stem), in order.
    public func unmatchedExclusions(samples: [String]) -> [String] {
        let known = Set(samples).union(samples.map(ResultsExport.sampleStem))
        return exclude.filter { !known.contains($0) }
    }

    /// The filters NeatMS's user documentation recommends: export `High_quality` and `Low_quality` peaks of
    /// features with `High_quality` peaks in at least 75 % of the samples.
    public static let documented = ExportOptions(
        exportClasses: ["High_quality", "Low_quality"], minGroupClasses: ["High_quality"], minGroupSize: 0.75)
}

/// NeatMS's group rule (its `export_csv` filter): which features are exported, and each peak's label.
public struct GroupRule: Sendable {
    let table: FeatureTable
    let options: ExportOptions
    let predictions: PeakPredictions
    let annotations: [Int: String]
    /// Samples left out (`options.exclude`).
    let excluded: Set<Int>
    /// Peaks (or, for a fraction, the fraction of the samples) a feature needs.
    let minimum: Double

    /// - Parameters:
    ///   - sampleCount: the number of samples in the experiment (raw files), the base of a fractional
    ///     `minGroupSize` (NeatMS counts every raw file, also those without peaks); excluded samples are
    ///     subtracted.
    ///   - annotations: manual labels per peak (for `useAnnotation`).
    public init(
        table: FeatureTable, predictions: PeakPredictions, options: ExportOptions, sampleCount: Int? = nil,
        annotations: [Int: String] = [:]
    ) {
        self.table = table
        self.options = options
        self.predictions = predictions
        self.annotations = annotations
        excluded = Set(
            table.samples.indices.filter {
                options.exclude.contains(table.samples[$0])
                    || options.exclude.contains(ResultsExport.sampleStem(table.samples[$0]))
            })
        let samples = (sampleCount ?? table.samples.count) - excluded.count
        var minimum = options.minGroupSize
        if minimum > 0, minimum <= 1 { minimum *= Double(samples) }
        self.minimum = minimum
    }

    /// The label written for `peak`: the manual one with `useAnnotation`, else the prediction (nil: none).
    public func label(_ peak: Int) -> String? {
        if options.useAnnotation, let manual = annotations[peak] { return manual }
        return predictions.labels[peak]
    }

    /// Whether NeatMS exports `feature`: enough per-sample entries, and enough valid peaks with a wanted
    /// label (at least one).
    public func keeps(_ feature: Feature) -> Bool {
        let peaks = feature.peaks.filter { !excluded.contains(table.peaks[$0].sample) }
        // NeatMS counts the feature's per-sample entries, then its valid peaks with a wanted label.
        let sampleEntries = Set(peaks.map { table.peaks[$0].sample }).count
        guard Double(sampleEntries) >= minimum else { return false }
        let counted = peaks.filter { peak in
            guard let l = label(peak) else { return false }
            return options.minGroupClasses?.contains(l) ?? true
        }.count
        return counted > 0 && Double(counted) >= minimum
    }
}

/// Builds the results table.
public enum ResultsExport {
    /// The CSV text for `predictions` of `table`.
    /// - Parameters:
    ///   - sampleCount: the number of samples in the experiment (raw files), the base of a fractional
    ///     `minGroupSize` (NeatMS counts every raw file, also those without peaks); excluded samples are
    ///     subtracted.
    ///   - annotations: manual labels per peak (for `useAnnotation`).
    public static func csv(
        table: FeatureTable, predictions: PeakPredictions, options: ExportOptions = ExportOptions(),
        sampleCount: Int? = nil, annotations: [Int: String] = [:]
    ) -> String {
        let rule = GroupRule(
            table: table, predictions: predictions, options: options, sampleCount: sampleCount, annotations: annotations
        )
        let excluded = rule.excluded
        let label = rule.label

        // NeatMS's column order: m/z and retention time first (when asked for), then the rest as given.
        let ordered =
            [ExportOptions.Property.mz, .rt].filter(options.properties.contains)
            + options.properties.filter { $0 != .mz && $0 != .rt }
        let values = ordered.map(\.value)
        let columns =
            ["", "feature ID", "sample"]
            + ordered.map { property in
                switch property {
                case .mz: "m/z"
                case .rt: "retention time"
                default: property.rawValue
                }
            }
        var text = columns.map(csvField).joined(separator: ",") + "\n"
        text.reserveCapacity(table.peaks.count * (24 + 20 * options.properties.count))
        let stems = table.samples.map(sampleStem)
        func append(_ value: Double?) {
            text += ","
            text += pythonFloat(value)
        }
        var index = 0
        for feature in table.features {
            guard rule.keeps(feature) else { continue }
            let peaks = feature.peaks.filter { !excluded.contains(table.peaks[$0].sample) }
            for peakIndex in peaks {
                guard let peakLabel = label(peakIndex) else { continue }
                if let classes = options.exportClasses, !classes.contains(peakLabel) { continue }
                text += String(index)
                text += ","
                text += String(feature.id)
                text += ","
                text += stems[table.peaks[peakIndex].sample]
                for value in values {
                    if let value {
                        append(table.peaks[peakIndex][keyPath: value])
                    } else {
                        text += ","
                        text += csvField(peakLabel)
                    }
                }
                text += "\n"
                index += 1
            }
        }
        return text
    }

    /// Writes the CSV to `url` atomically.
    public static func write(_ text: String, to url: URL) throws {
        try writeAtomically(Data(text.utf8), to: url)
    }

    /// `pathlib.Path(name).stem`: the name without its last extension.
    public static func sampleStem(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    /// A float as Python's `repr` writes it (pandas's `to_csv` default); nil/NaN → empty.
    ///
    /// Swift and Python print the same shortest round-trip digits and the same exponent form (`1e+16`,
    /// `2.5e-07`); they differ only in [2^53, 1e16), where Swift switches to exponent notation and Python
    /// does not.
    static func pythonFloat(_ value: Double?) -> String {
        guard let value, !value.isNaN else { return "" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        let digits = "\(value)"
        if digits.utf8.contains(UInt8(ascii: "e")), abs(value) >= 1e-4, abs(value) < 1e16 { return plainDecimal(value) }
        return digits
    }

    /// A finite value in [1e-4, 1e16) written without exponent, shortest digits.
    private static func plainDecimal(_ value: Double) -> String {
        let digits = "\(value)"
        guard let e = digits.firstIndex(of: "e") else { return digits }
        var mantissa = String(digits[..<e])
        let exponent = Int(digits[digits.index(after: e)...]) ?? 0
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var all = whole + fraction
        var point = whole.count + exponent
        if point <= 0 {
            all = String(repeating: "0", count: 1 - point) + all
            point = 1
        }
        while all.count < point { all += "0" }
        var integer = String(all.prefix(point))
        var rest = String(all.dropFirst(point))
        while rest.hasSuffix("0") { rest.removeLast() }
        if integer.isEmpty { integer = "0" }
        return (negative ? "-" : "") + integer + "." + (rest.isEmpty ? "0" : rest)
    }

    /// The table of `neatms predict --matrices`: CSV `index,<classes>` with one row per matrix and the
    /// probabilities (`p`, rows × classes, row-major) with 9 significant digits (enough to round-trip a
    /// float32).
    public static func probabilityCSV(_ p: [Float], rows: Int, classes: [String]) -> String {
        var text = "index," + classes.map(csvField).joined(separator: ",") + "\n"
        text.reserveCapacity(rows * (classes.count * 16 + 8))
        let k = classes.count
        for r in 0..<rows {
            text += String(r)
            for c in 0..<k { text += "," + String(format: "%.9g", Double(p[r * k + c])) }
            text += "\n"
        }
        return text
    }

    /// A text field, quoted when it needs to be.
    static func csvField(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
