import Foundation
import MassSpec

/// Reads OpenMS feature maps: a folder holding one `<raw file stem>.featureXML` per sample
/// (FeatureFinderMetabo's output) and, for aligned data, one `.consensusXML` (FeatureLinker's output).
///
/// A featureXML `feature` (top level; subordinate features are skipped) is a peak of the sample `<stem>.mzML`:
/// its first convex hull (`nr="0"`, the monoisotopic mass trace) gives the RT window (lowest and highest
/// hull time) and the m/z window (lowest and highest hull m/z); `position` dim 0/1 give RT and m/z,
/// `intensity` the area (a 32-bit float in OpenMS), the `max_height` meta value (when written) the height. Times are in seconds (OpenMS
/// writes doubles that round-trip; they are read correctly rounded) and become minutes by division by 60.
///
/// Without a consensusXML every feature is its own feature, files in name order, features in file order,
/// named by their unique id. With one, each `consensusElement` is a feature (in file order, named by its
/// `id`) holding the features its `element`s name by map (`mapList`'s `map` `name` → featureXML stem) and
/// unique id; features no element names follow as features of their own. Errors name the file and line.
enum OpenMSTableReader {
    static func read(_ url: URL) throws -> FeatureTable {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw TableError(file: url.relativePath, line: nil, message: "no such folder")
        }
        guard isDirectory.boolValue else {
            throw TableError(
                file: url.relativePath, line: nil,
                message:
                    "--format openms takes a folder holding one <raw file stem>.featureXML per sample (and a .consensusXML), but a file was given"
            )
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
        } catch {
            throw TableError(
                file: url.relativePath, line: nil, message: "cannot list the folder (\(error.localizedDescription))")
        }
        let featureFiles = names.filter { $0.lowercased().hasSuffix(".featurexml") }
        let consensusFiles = names.filter { $0.lowercased().hasSuffix(".consensusxml") }
        guard !featureFiles.isEmpty else {
            throw TableError(file: url.relativePath, line: nil, message: "the folder holds no .featureXML file")
        }
        guard consensusFiles.count <= 1 else {
            throw TableError(
                file: url.relativePath, line: nil,
                message:
                    "the folder holds \(consensusFiles.count) .consensusXML files (\(consensusFiles.joined(separator: ", "))); give one"
            )
        }

        var builder = FeatureTableBuilder(path: url.path)
        // Per featureXML stem: its peaks in file order and their unique ids.
        var maps: [String: (peaks: [TablePeak], ids: [String: Int])] = [:]
        var stems: [String] = []
        for name in featureFiles {
            let stem = String(name.dropLast(".featureXML".count))
            let sample = builder.sampleIndex(stem + ".mzML")
            let path = url.appendingPathComponent(name).path
            maps[stem] = try readFeatureMap(path, sample: sample)
            stems.append(stem)
        }
        var used: [String: Set<Int>] = [:]
        if let consensus = consensusFiles.first {
            let path = url.appendingPathComponent(consensus).path
            for element in try readConsensus(path, knownStems: Set(stems)) {
                var peaks: [TablePeak] = []
                for member in element.members {
                    guard let map = maps[member.stem], let index = map.ids[member.id] else {
                        throw TableError(
                            file: path, line: element.line,
                            message:
                                "consensusElement '\(element.name)': feature \(member.id) is not in \(member.stem).featureXML"
                        )
                    }
                    guard used[member.stem, default: []].insert(index).inserted else {
                        throw TableError(
                            file: path, line: element.line,
                            message:
                                "consensusElement '\(element.name)': feature \(member.id) of \(member.stem).featureXML is already in another element"
                        )
                    }
                    peaks.append(map.peaks[index])
                }
                if !peaks.isEmpty { builder.addFeature(name: element.name, peaks: peaks) }
            }
        }
        for stem in stems {
            guard let map = maps[stem] else { continue }
            let idByIndex = Dictionary(uniqueKeysWithValues: map.ids.map { ($0.value, $0.key) })
            for (index, peak) in map.peaks.enumerated() where !(used[stem]?.contains(index) ?? false) {
                builder.addFeature(name: idByIndex[index] ?? String(index), peaks: [peak])
            }
        }
        return builder.table
    }

    /// One featureXML: its top-level features as peaks of `sample`, and each one's unique id → index.
    static func readFeatureMap(_ path: String, sample: Int) throws -> (peaks: [TablePeak], ids: [String: Int]) {
        var peaks: [TablePeak] = []
        var ids: [String: Int] = [:]
        // Parser state: depth inside top-level features, what the current text belongs to.
        var featureDepth = 0
        var inFeatureList = false
        var sawRoot = false
        var current: TablePeak?
        var currentID = ""
        var hullNumber: Int?
        var hull: (rtMin: Double, rtMax: Double, mzMin: Double, mzMax: Double)?
        var hullPoint: [Int: Double] = [:]
        var hpositionDim: Int?
        var textTarget: String?
        var positionDim: Int?
        var text = ""
        var line: Int?

        func fail(_ problem: String) -> TableError {
            TableError(file: path, line: line, message: problem)
        }
        func number(_ value: String?, _ what: String) throws -> Double {
            // OpenMS writes doubles with enough digits to round-trip: read them correctly rounded.
            guard let value, let number = Double(value.trimmingCharacters(in: .whitespaces)), number.isFinite else {
                throw fail("\(what) '\(value ?? "")' is not a number")
            }
            return number
        }
        func addHullPoint(rt: Double, mz: Double) {
            if let h = hull {
                hull = (min(h.rtMin, rt), max(h.rtMax, rt), min(h.mzMin, mz), max(h.mzMax, mz))
            } else {
                hull = (rt, rt, mz, mz)
            }
        }

        try XMLElementReader.read(
            path,
            start: { element in
                line = element.line
                if !sawRoot {
                    sawRoot = true
                    guard element.name == "featureMap" else {
                        throw fail(
                            "the root element is <\(element.name)>, not <featureMap> (is this a featureXML file?)")
                    }
                    return
                }
                switch element.name {
                case "featureList": inFeatureList = true
                case "feature" where inFeatureList:
                    featureDepth += 1
                    guard featureDepth == 1 else { return }  // a subordinate feature
                    guard let id = element.attributes["id"], !id.isEmpty else {
                        throw fail("a <feature> without an id")
                    }
                    currentID = id.hasPrefix("f_") ? String(id.dropFirst(2)) : id
                    guard ids[currentID] == nil else { throw fail("feature id \(id) appears twice") }
                    current = TablePeak(
                        sample: sample, feature: -1, location: TableLocation(file: path, line: line ?? 0),
                        dataRow: peaks.count)
                    hull = nil
                    hullNumber = nil
                case "position" where featureDepth == 1 && hullNumber == nil:
                    positionDim = Int(element.attributes["dim"] ?? "")
                    textTarget = "position"
                    text = ""
                case "intensity" where featureDepth == 1:
                    textTarget = "intensity"
                    text = ""
                case "convexhull" where featureDepth == 1:
                    hullNumber = Int(element.attributes["nr"] ?? "") ?? 0
                case "pt" where featureDepth == 1 && hullNumber == 0:
                    addHullPoint(
                        rt: try number(element.attributes["x"], "hull point x"),
                        mz: try number(element.attributes["y"], "hull point y"))
                case "hullpoint" where featureDepth == 1 && hullNumber == 0:
                    hullPoint = [:]
                case "hposition" where featureDepth == 1 && hullNumber == 0:
                    hpositionDim = Int(element.attributes["dim"] ?? "")
                    textTarget = "hposition"
                    text = ""
                case "UserParam" where featureDepth == 1:
                    if element.attributes["name"] == "max_height" {
                        current?.height = try number(element.attributes["value"], "max_height")
                    }
                default: break
                }
            },
            end: { name in
                switch name {
                case "featureList": inFeatureList = false
                case "feature" where featureDepth > 0:
                    featureDepth -= 1
                    guard featureDepth == 0, var peak = current else { return }
                    line = peak.location.line
                    guard let h = hull else { throw fail("feature \(currentID) has no convex hull") }
                    peak.rtStart = h.rtMin / 60
                    peak.rtEnd = h.rtMax / 60
                    peak.mzMin = h.mzMin
                    peak.mzMax = h.mzMax
                    peak.featureMZ = peak.mz
                    peak.featureRT = peak.rt
                    ids[currentID] = peaks.count
                    peaks.append(peak)
                    current = nil
                case "convexhull" where featureDepth == 1:
                    hullNumber = -1  // hulls after the first are read past
                case "hullpoint" where featureDepth == 1 && hullNumber == 0:
                    guard let rt = hullPoint[0], let mz = hullPoint[1] else {
                        throw fail("a hull point without two positions")
                    }
                    addHullPoint(rt: rt, mz: mz)
                case "position" where textTarget == "position":
                    let value = try number(text.trimmingCharacters(in: .whitespacesAndNewlines), "position")
                    if positionDim == 0 { current?.rt = value / 60 } else if positionDim == 1 { current?.mz = value }
                    textTarget = nil
                case "intensity" where textTarget == "intensity":
                    // OpenMS holds intensities as 32-bit floats.
                    current?.area = Double(
                        Float(try number(text.trimmingCharacters(in: .whitespacesAndNewlines), "intensity")))
                    textTarget = nil
                case "hposition" where textTarget == "hposition":
                    if let dim = hpositionDim {
                        hullPoint[dim] = try number(
                            text.trimmingCharacters(in: .whitespacesAndNewlines), "hull position")
                    }
                    textTarget = nil
                default: break
                }
            },
            text: { piece in if textTarget != nil { text += piece } })
        guard sawRoot else { throw TableError(file: path, line: nil, message: "the file holds no XML element") }
        return (peaks, ids)
    }

    /// A consensus element: its id, line, and members (featureXML stem, feature unique id).
    struct ConsensusElement {
        var name: String
        var line: Int?
        var members: [(stem: String, id: String)]
    }

    /// The consensus elements of a consensusXML, maps resolved to featureXML stems.
    static func readConsensus(_ path: String, knownStems: Set<String>) throws -> [ConsensusElement] {
        var mapStem: [String: String] = [:]
        var elements: [ConsensusElement] = []
        var current: ConsensusElement?
        var sawRoot = false
        try XMLElementReader.read(
            path,
            start: { element in
                let line = element.line
                func fail(_ problem: String) -> TableError { TableError(file: path, line: line, message: problem) }
                if !sawRoot {
                    sawRoot = true
                    guard element.name == "consensusXML" else {
                        throw fail(
                            "the root element is <\(element.name)>, not <consensusXML> (is this a consensusXML file?)")
                    }
                    return
                }
                switch element.name {
                case "map":
                    guard let id = element.attributes["id"], let name = element.attributes["name"] else {
                        throw fail("a <map> without id and name")
                    }
                    // The featureXML the map was made from, by its stem (OpenMS writes the path it was given).
                    var file = URL(fileURLWithPath: name).lastPathComponent
                    for suffix in [".featureXML", ".featurexml", ".mzML", ".mzml"] where file.hasSuffix(suffix) {
                        file = String(file.dropLast(suffix.count))
                    }
                    guard knownStems.contains(file) else {
                        throw fail("map \(id) names '\(name)', but the folder holds no \(file).featureXML")
                    }
                    mapStem[id] = file
                case "consensusElement":
                    current = ConsensusElement(
                        name: element.attributes["id"] ?? String(elements.count), line: line, members: [])
                case "element" where current != nil:
                    guard let map = element.attributes["map"], let id = element.attributes["id"] else {
                        throw fail("an <element> without map and id")
                    }
                    guard let stem = mapStem[map] else {
                        throw fail("<element> names map \(map), which the mapList does not list")
                    }
                    current?.members.append((stem, id))
                default: break
                }
            },
            end: { name in
                if name == "consensusElement", let element = current {
                    elements.append(element)
                    current = nil
                }
            })
        guard sawRoot else { throw TableError(file: path, line: nil, message: "the file holds no XML element") }
        return elements
    }
}
