import Foundation
import HDF5
import Support
import TestSupport
import Testing

/// Reads `X` (and optionally `P`, `y`) from a Keras reference file in Fixtures/keras.
struct ReferenceForward {
    var shape: [Int]
    var x: [Float]
    var p: [Float]
    var y: [Int]

    init(_ name: String) throws {
        let file = try HDF5File.open(TestPaths.fixture("keras/\(name)"))
        defer { try? file.close() }
        let xs = try file.root.dataset("X")
        shape = xs.shape
        x = try xs.read()
        p = try file.root.dataset("P").read()
        y = try file.root.dataset("y").read(as: Int64.self).map { Int($0) }
    }
}

/// Parses `neatms predict` CSV: header fields and rows of (index, probabilities).
func parsePredictionCSV(_ text: String) throws -> (header: [String], rows: [(Int, [Double])]) {
    var lines = text.split(separator: "\n").map(String.init)
    let header = try #require(lines.first).split(separator: ",").map(String.init)
    lines.removeFirst()
    let rows = try lines.map { line -> (Int, [Double]) in
        let f = line.split(separator: ",").map(String.init)
        return (try #require(Int(f[0])), try f.dropFirst().map { try #require(Double($0)) })
    }
    return (header, rows)
}

/// The one stderr line of a failed command (exactly one line, `neatms: error: ` prefix).
func singleErrorLine(_ r: CommandResult) -> String? {
    let lines = r.stderr.split(separator: "\n")
    guard lines.count == 1, lines[0].hasPrefix("neatms: error: ") else { return nil }
    return String(lines[0])
}

@Suite struct PredictCLI {
    /// Keras's probabilities for the same weights and inputs, within 1e-5.
    @Test(arguments: [
        ("reduced_tfkeras2_full.h5", "reference_forward_reduced.h5"),
        ("reduced_keras3.keras", "reference_forward_reduced.h5"),
        ("reduced_h5py2style.h5", "reference_forward_reduced.h5"),
        ("neatms_tfkeras2_full.h5", "reference_forward_full.h5"),
    ])
    func matchesKeras(model: String, reference: String) throws {
        let ref = try ReferenceForward(reference)
        let r = try runNeatms(["predict", "--model", fixturePath(model), "--matrices", fixturePath(reference)])
        #expect(r.status == 0, "\(r.stderr)")
        let csv = try parsePredictionCSV(r.stdout)
        #expect(csv.header == ["index", "High_quality", "Low_quality", "Noise"])
        #expect(csv.rows.map(\.0) == Array(0..<ref.shape[0]))
        for (i, row) in csv.rows.enumerated() {
            for c in 0..<3 {
                #expect(abs(row.1[c] - Double(ref.p[i * 3 + c])) <= 1e-5, "row \(i) class \(c)")
            }
        }
        // At least 8 significant digits: every value re-parses to the float32 it came from.
        let fields = r.stdout.split(separator: "\n").dropFirst().flatMap { $0.split(separator: ",").dropFirst() }
        #expect(fields.allSatisfy { f in f.filter(\.isNumber).drop(while: { $0 == "0" }).count >= 8 || Double(f) == 0 })
    }

    @Test func rank3MatricesClassesAttributeAndOutputFile() throws {
        let ref = try ReferenceForward("reference_forward_reduced.h5")
        let dir = try TestPaths.temporaryDirectory()
        let input = dir.appendingPathComponent("m.h5")
        let file = try HDF5File.create(input)
        try file.root.writeDataset("peaks", shape: Array(ref.shape.prefix(3)), values: ref.x)
        try file.root.setAttribute("classes", .strings(["a", "b", "c"], .vlenUTF8))
        try file.close()
        let out = dir.appendingPathComponent("p.csv")
        let r = try runNeatms([
            "predict", "--model", fixturePath("reduced_tfkeras2_full.h5"), "--matrices", input.path, "--dataset",
            "peaks",
            "-o", out.path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(out.path))
        let csv = try parsePredictionCSV(try String(contentsOf: out, encoding: .utf8))
        #expect(csv.header == ["index", "a", "b", "c"])
        #expect(csv.rows.count == ref.shape[0])
        for (i, row) in csv.rows.enumerated() {
            for c in 0..<3 { #expect(abs(row.1[c] - Double(ref.p[i * 3 + c])) <= 1e-5) }
        }
        // --classes names the columns when the file has none.
        let r2 = try runNeatms([
            "predict", "--model", fixturePath("reduced_tfkeras2_full.h5"), "--matrices",
            fixturePath("reference_forward_reduced.h5"), "--classes", "x,y,z",
        ])
        #expect(try parsePredictionCSV(r2.stdout).header == ["index", "x", "y", "z"])
    }

    @Test func shapeMismatchNamesBothShapes() throws {
        let r = try runNeatms([
            "predict", "--model", fixturePath("neatms_tfkeras2_full.h5"), "--matrices",
            fixturePath("reference_forward_reduced.h5"),
        ])
        #expect(r.status == 1)
        let line = try #require(singleErrorLine(r), "\(r.stderr)")
        #expect(line.contains("(N, 2, 16, 1)") && line.contains("(N, 2, 120, 1)"))
        #expect(r.stdout.isEmpty)
    }

    @Test func missingFilesAndNaN() throws {
        let dir = try TestPaths.temporaryDirectory()
        let missing = dir.appendingPathComponent("none.h5").path
        var r = try runNeatms(["predict", "--model", fixturePath("reduced_tfkeras2_full.h5"), "--matrices", missing])
        #expect(r.status == 1)
        #expect(singleErrorLine(r) == "neatms: error: \(missing): no such file")
        r = try runNeatms(["predict", "--model", missing, "--matrices", fixturePath("reference_forward_reduced.h5")])
        #expect(r.status == 1)
        #expect(singleErrorLine(r) == "neatms: error: \(missing): no such file")

        let nan = dir.appendingPathComponent("nan.h5")
        let file = try HDF5File.create(nan)
        var values = [Float](repeating: 0.5, count: 2 * 2 * 16)
        values[40] = .nan
        try file.root.writeDataset("X", shape: [2, 2, 16, 1], values: values)
        try file.close()
        r = try runNeatms(["predict", "--model", fixturePath("reduced_tfkeras2_full.h5"), "--matrices", nan.path])
        #expect(r.status == 1)
        #expect(singleErrorLine(r) == "neatms: error: \(nan.path): X: matrix 1 holds nan (values must be finite)")
    }

    @Test func usageErrors() throws {
        var r = try runNeatms(["predict", "--model", fixturePath("reduced_tfkeras2_full.h5")])
        #expect(r.status == 64)
        r = try runNeatms([
            "predict", "--model", fixturePath("reduced_tfkeras2_full.h5"), "--matrices",
            fixturePath("reference_forward_reduced.h5"), "--classes", "a,b",
        ])
        // The model's output count is the file's content: one error line naming it, not a usage error.
        #expect(r.status == 1)
        #expect(
            singleErrorLine(r)
                == "neatms: error: \(fixturePath("reduced_tfkeras2_full.h5")): --classes lists 2 names but the model has 3 outputs"
        )
    }
}

/// The core count comes from the process's CPU affinity: pinned to one core (`taskset -c 0`), the
/// defaults are one sample at a time, whatever the machine has.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset"), "needs /usr/bin/taskset"))
struct CoreCountCLI {
    private func jobsDefault(pinning cpus: String?) throws -> String {
        let executable = try #require(neatmsExecutable())
        let process = Process()
        let out = Pipe()
        if let cpus {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
            process.arguments = ["-c", cpus, executable.path, "predict", "--help"]
        } else {
            process.executableURL = executable
            process.arguments = ["predict", "--help"]
        }
        process.standardOutput = out
        try ChildProcessGate.run(process)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // "--jobs <jobs>  Samples processed at once (...). (default: N)", possibly wrapped.
        let flat = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let jobs = try #require(flat.range(of: "--jobs <jobs>"))
        // The help sentence says the default is the number of cores; the value follows it.
        let defaultMark = try #require(flat.range(of: ". (default: ", range: jobs.upperBound..<flat.endIndex))
        let close = try #require(flat[defaultMark.upperBound...].firstIndex(of: ")"))
        return String(flat[defaultMark.upperBound..<close])
    }

    @Test func pinnedToOneCoreTheJobsDefaultIsOne() throws {
        #expect(try jobsDefault(pinning: "0") == "1")
        #expect(Int(try jobsDefault(pinning: nil)) != nil)
    }
}
