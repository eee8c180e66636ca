/// Decimal text → `Double`, the way NeatMS 0.9 reads its tables.
///
/// NeatMS reads feature tables with `pandas.read_csv` (pandas 1.5), whose C parser converts decimal text
/// with its own "precise" routine rather than a correctly rounded `strtod`: it accumulates at most 17
/// significant digits into a `Double` (`value = value * 10 + digit`, leading zeros included), ignores further
/// fractional digits, and finally multiplies or divides by the `Double` nearest to a power of ten. For
/// numbers with 16–17 significant digits the result can be one unit in the last place away from the
/// nearest double. That matters here: tables often give an m/z window edge as the exact m/z of a centroid,
/// so the last bit decides whether that centroid is inside the window — and NeatMS's reference matrices
/// (`neatms_reference_matrices.h5`) were computed with pandas's values.
///
/// `neatMSDouble` reproduces that arithmetic exactly (verified bit for bit against pandas 1.5.3 by
/// `Scripts/fixtures/make_neatms_datapath_fixtures.py`, which writes `pandas_floats.json`), so that NeatMSKit selects exactly the points NeatMS selects.
enum DecimalParsing {
    /// `10^k` as the nearest `Double`, for k in 0...308 (the table pandas uses).
    private static let powersOfTen: [Double] = (0...308).map { Double("1e\($0)") ?? .infinity }

    /// Parses `text` (ASCII bytes) as pandas 1.5's default float converter does.
    ///
    /// Accepts optional surrounding spaces, a sign, digits with an optional `.` and an optional exponent
    /// (`e`/`E`). Also accepts `nan`, `inf`, `infinity` (any case, optional sign) as pandas does.
    /// Returns nil when the text is not a number (pandas would then keep the column as text).
    static func neatMSDouble<C: Collection<UInt8>>(_ text: C) -> Double? where C.Index == Int {
        var p = text.startIndex
        let end = text.endIndex
        func at(_ i: Int) -> UInt8 { i < end ? text[i] : 0 }
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }

        while p < end, isSpace(text[p]) { p += 1 }
        var lastNonSpace = end
        while lastNonSpace > p, isSpace(text[lastNonSpace - 1]) { lastNonSpace -= 1 }
        if let special = specialValue(text[p..<lastNonSpace]) { return special }

        var negative = false
        if at(p) == UInt8(ascii: "-") {
            negative = true
            p += 1
        } else if at(p) == UInt8(ascii: "+") {
            p += 1
        }

        let maxDigits = 17
        var number = 0.0
        var exponent = 0
        var digits = 0
        var sawDigit = false
        while p < end, isDigit(text[p]) {
            sawDigit = true
            if digits < maxDigits {
                number = number * 10 + Double(text[p] - 0x30)
                digits += 1
            } else {
                exponent += 1
            }
            p += 1
        }
        if at(p) == UInt8(ascii: ".") {
            p += 1
            var decimals = 0
            while p < end, isDigit(text[p]) {
                sawDigit = true
                if digits < maxDigits {
                    number = number * 10 + Double(text[p] - 0x30)
                    digits += 1
                    decimals += 1
                }
                p += 1
            }
            exponent -= decimals
        }
        guard sawDigit else { return nil }
        if negative { number = -number }

        if at(p) == UInt8(ascii: "e") || at(p) == UInt8(ascii: "E") {
            var q = p + 1
            var negativeExponent = false
            if at(q) == UInt8(ascii: "-") {
                negativeExponent = true
                q += 1
            } else if at(q) == UInt8(ascii: "+") {
                q += 1
            }
            var n = 0
            var exponentDigits = 0
            while q < end, isDigit(text[q]), exponentDigits < maxDigits {
                n = n * 10 + Int(text[q] - 0x30)
                exponentDigits += 1
                q += 1
            }
            guard exponentDigits > 0 else { return nil }
            exponent += negativeExponent ? -n : n
            p = q
        }
        while p < end, isSpace(text[p]) { p += 1 }
        guard p == end else { return nil }

        if exponent > 308 {
            return negative ? -.infinity : .infinity
        } else if exponent > 0 {
            number *= powersOfTen[exponent]
        } else if exponent < -308 {
            if exponent < -616 {
                number = 0
            } else {
                number /= powersOfTen[-308 - exponent]
                number /= powersOfTen[308]
            }
        } else {
            number /= powersOfTen[-exponent]
        }
        return number
    }

    /// `nan`, `inf`, `infinity` with an optional sign, any case.
    private static func specialValue<C: Collection<UInt8>>(_ text: C) -> Double? {
        guard text.count >= 3, text.count <= 9 else { return nil }
        // Only a word starting (after its sign) with n or i can be one: numbers skip the string below.
        var first = text.startIndex
        if text[first] == UInt8(ascii: "+") || text[first] == UInt8(ascii: "-") { first = text.index(after: first) }
        guard first < text.endIndex, case let letter = text[first] | 0x20,
            letter == UInt8(ascii: "n") || letter == UInt8(ascii: "i")
        else { return nil }
        let lowered = String(decoding: text, as: UTF8.self).lowercased()
        switch lowered {
        case "nan", "+nan", "-nan": return .nan
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: return nil
        }
    }

    /// Seconds → minutes for XCMS tables, as NeatMS 0.9 computes them: the value read as pandas reads it,
    /// then divided by 60 in binary floating point.
    ///
    /// XCMS writes times as scan times in minutes multiplied by 60 (`530.6058899999999` for the scan at
    /// 8.8434315 min), so binary division mostly gives the mzML's scan time back; where it lands one unit
    /// in the last place off, NeatMS drops that boundary scan, and so does NeatMSKit. Dividing the decimal
    /// text exactly (8.843431499999998) instead moves other window edges off their scans.
    static func minutesFromSecondsText<C: Collection<UInt8>>(_ text: C) -> Double? where C.Index == Int {
        neatMSDouble(text).map { $0 / 60 }
    }
}
