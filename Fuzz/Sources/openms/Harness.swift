import Foundation
import FuzzSupport
import NeatMS

/// The folder of consensusXML inputs, holding copies of the two featureXML files the consensusXML seed
/// (Fixtures/openms/workshop) links, in the small form of Fuzz/Seeds/openms (hull points cut to each hull's
/// extremes: the full files made every consensusXML input cost 45 ms).
let consensusFolder: URL = Fuzz.setUp("the workshop's featureXML files") {
    let folder = Fuzz.folder.appendingPathComponent("consensus", isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for stem in ["171103_PMA_TK_QC_04", "171103_PMA_TK_QC_05"] {
        let name = stem + ".featureXML"
        try FileManager.default.copyItem(
            at: Fuzz.checkout.appendingPathComponent("Fuzz/Seeds/openms/" + name),
            to: folder.appendingPathComponent(name))
    }
    return folder
}

/// OpenMS tables (`--format openms`: a folder of featureXML files and an optional consensusXML), read as `neatms`
/// reads `--features`. An input that mentions `consensusXML` is the folder's consensusXML beside the workshop's
/// two featureXML files; any other input is the folder's only featureXML.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOpenMS(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Data(bytes: $0, count: size) } ?? Data()
    if bytes.range(of: Data("consensusXML".utf8)) != nil {
        return Fuzz.run(data, size, as: "workshop.consensusXML", in: consensusFolder.lastPathComponent) { _ in
            _ = try FeatureTable.read(consensusFolder, format: .openms)
        }
    }
    return Fuzz.run(data, size, as: "sample.featureXML", in: "features") {
        _ = try FeatureTable.read($0.deletingLastPathComponent(), format: .openms)
    }
}
