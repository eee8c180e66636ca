import Foundation
import HDF5
import TestSupport
import Testing

/// Writes `hdf5_written_by_swift.h5` with every kind the layer writes, for the Python interop check
/// (`NEATMSKIT_INTEROP_DIR`). Its content mirrors `Fixtures/hdf5/strings_and_types.h5`, so the checker can
/// compare the two files attribute by attribute and dataset by dataset (the values below are the ones
/// `Scripts/fixtures/make_hdf5_fixture.py` writes there). Independently of the interop directory, the test reads the
/// file back here.
@Suite struct InteropOutputTests {
    static let fileName = "hdf5_written_by_swift.h5"

    /// The attributes written on `/`, by name.
    static let rootAttributes: [String: HDF5AttributeValue] = [
        "vlen_utf8_scalar": .string("café ✓ データ", .vlenUTF8),
        "vlen_ascii_scalar": .string(#"{"class_name": "Model"}"#, .vlenASCII),
        "vlen_utf8_empty": .string("", .vlenUTF8),
        "vlen_ascii_array": .strings(["conv2d_1", "", "dense_1/kernel:0"], .vlenASCII),
        "vlen_utf8_array": .strings(["α", "", "naïve", "🙂"], .vlenUTF8),
        "fixed_nullpad_array": .strings(["input_1", "dense_prediction", ""], .fixedASCII(16)),
        "fixed_nullpad_scalar": .string("tensorflow", .fixedASCII(10)),
        "fixed_utf8_array": .strings(
            ["é", "ü✓"], HDF5StringKind(length: .fixed(8), padding: .nullPadded, encoding: .utf8)),
        "fixed_nullterm_scalar": .string(
            "2.2.4", HDF5StringKind(length: .fixed(8), padding: .nullTerminated, encoding: .ascii)),
        "fixed_nullterm_array": .strings(
            ["abc", "abcde", ""], HDF5StringKind(length: .fixed(6), padding: .nullTerminated, encoding: .ascii)),
        "fixed_spacepad_scalar": .string(
            "pad", HDF5StringKind(length: .fixed(7), padding: .spacePadded, encoding: .ascii)),
        "empty_f64": .float64Array([]),
        "i64_scalar": .int64(-1_234_567_890_123),
        "f64_scalar": .float64(0.1),
        "f32_array": .float32s([1.5, -2.25, 1e-5], shape: [3]),
        "i32_matrix": .int32s([-2, -1, 0, 1, 2, 3], shape: [2, 3]),
        "u8_array": .uint8s([0, 7, 255], shape: [3]),
    ]

    static let bigNames = (0..<2000).map { String(format: "layer_%05d/kernel_with_a_long_name:0", $0) }

    /// Writes the sample file at `url` (through a temporary file in the same folder, then a rename).
    static func writeSample(to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(UUID().uuidString).tmp.h5")
        do {
            let file = try HDF5File.create(temporary)
            for (name, value) in rootAttributes.sorted(by: { $0.key < $1.key }) {
                try file.root.setAttribute(name, value)
            }
            let layer = try file.root.createGroup("model_weights/dense_1/dense_1")
            try layer.writeDataset("kernel:0", shape: [3, 4], values: (0..<12).map { (Float($0) - 5.5) / 4 })
            try layer.writeDataset("bias:0", shape: [4], values: [Float(0.5), -1, 2, 0])
            let weights = try file.root.group("model_weights")
            try weights.group("dense_1").setAttribute(
                "weight_names", .strings(["dense_1/kernel:0", "dense_1/bias:0"], .vlenASCII))
            try weights.createGroup("flatten_1").setAttribute("weight_names", .float64Array([]))
            try weights.writeSplitStringList("big_names", bigNames, kind: .vlenASCII)
            try file.root.writeDataset("optimizer_weights/Adam/iterations:0", shape: [], values: [Int64(42)])
            let data = try file.root.createGroup("data")
            try data.writeDataset("f64", shape: [5], values: [0, 0.25, 0.5, 0.75, 1.0])
            try data.writeDataset("i32", shape: [2, 3], values: (0..<6).map { Int32($0) * -3 })
            try data.writeDataset("i64", shape: [2], values: [Int64(1) << 40, -7])
            try data.writeDataset("u8", shape: [6], values: (250...255).map { UInt8($0) })
            let cube = try data.writeDataset("cube", shape: [2, 3, 4], values: (0..<24).map { Float($0) })
            try cube.setAttribute("units", .string("a.u.", .vlenUTF8))
            // Chunked + gzip (not in the h5py fixture): 0.001·i for i in 0..<10_000 as float32, shape (100, 100).
            try data.writeDataset(
                "chunked_gzip", shape: [100, 100], values: (0..<10_000).map { Float($0) * 0.001 }, chunks: [25, 100],
                gzipLevel: 6)
            try file.close()
        }
        guard rename(temporary.path, url.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }

    @Test func writeAndReadBack() throws {
        let url = try temporaryH5(Self.fileName)
        try Self.writeSample(to: url)
        #expect(isFullyClosed(url))
        let file = try HDF5File.open(url)
        for (name, value) in Self.rootAttributes {
            #expect(try file.root.attribute(name) == value, "attribute \(name)")
        }
        #expect(try file.root.attributeNames() == Self.rootAttributes.keys.sorted())
        #expect(try file.root.group("model_weights").readSplitStringList("big_names") == Self.bigNames)
        let gz = try file.root.dataset("data/chunked_gzip")
        #expect(gz.isChunked && gz.shape == [100, 100])
        #expect(try gz.read(as: Float.self) == (0..<10_000).map { Float($0) * 0.001 })
        // Same content as the h5py-written fixture, dataset by dataset.
        let fixture = try HDF5File.open(TestPaths.fixture("hdf5/strings_and_types.h5"))
        for path in [
            "model_weights/dense_1/dense_1/kernel:0", "model_weights/dense_1/dense_1/bias:0", "data/f64", "data/cube",
        ] {
            let expected = try fixture.root.dataset(path).read(as: Double.self)
            #expect(try file.root.dataset(path).read(as: Double.self) == expected)
        }
        for path in ["data/i32", "data/i64", "data/u8", "optimizer_weights/Adam/iterations:0"] {
            #expect(try file.root.dataset(path).read(as: Int64.self) == fixture.root.dataset(path).read(as: Int64.self))
            #expect(try file.root.dataset(path).elementType == fixture.root.dataset(path).elementType)
        }
        for (name, value) in Self.rootAttributes {
            #expect(try fixture.root.attribute(name) == value, "fixture attribute \(name)")
        }
    }

    /// What h5py must read from the sample: every dataset (dtype, shape, values) and every attribute that the
    /// checker's JSON values can express (all but the 2-D `i32_matrix`).
    static var interopExpectation: InteropManifest.Expectation {
        func json(_ value: HDF5AttributeValue) -> InteropManifest.InteropValue? {
            func numbers(_ values: [Double], _ shape: [Int]) -> InteropManifest.InteropValue? {
                switch shape.count {
                case 0: return values.first.map { .number($0) }
                case 1: return .numbers(values)
                default: return nil
                }
            }
            switch value {
            case .string(let string, _): return .string(string)
            case .strings(let strings, _): return .strings(strings)
            case .float32s(let values, let shape): return numbers(values.map(Double.init), shape)
            case .float64s(let values, let shape): return numbers(values, shape)
            case .int32s(let values, let shape): return numbers(values.map(Double.init), shape)
            case .int64s(let values, let shape): return numbers(values.map(Double.init), shape)
            case .uint8s(let values, let shape): return numbers(values.map(Double.init), shape)
            case .unsupported: return nil
            }
        }
        typealias Dataset = InteropManifest.DatasetExpectation
        return InteropManifest.Expectation(
            datasets: [
                "model_weights/dense_1/dense_1/kernel:0": Dataset(
                    dtype: "float32", shape: [3, 4], values: (0..<12).map { (Double($0) - 5.5) / 4 }, atol: 0),
                "model_weights/dense_1/dense_1/bias:0": Dataset(
                    dtype: "float32", shape: [4], values: [0.5, -1, 2, 0], atol: 0),
                "optimizer_weights/Adam/iterations:0": Dataset(dtype: "int64", shape: [], values: [42], atol: 0),
                "data/f64": Dataset(dtype: "float64", shape: [5], values: [0, 0.25, 0.5, 0.75, 1], atol: 0),
                "data/i32": Dataset(dtype: "int32", shape: [2, 3], values: [0, -3, -6, -9, -12, -15], atol: 0),
                "data/i64": Dataset(dtype: "int64", shape: [2], values: [1_099_511_627_776, -7], atol: 0),
                "data/u8": Dataset(dtype: "uint8", shape: [6], values: (250...255).map(Double.init), atol: 0),
                "data/cube": Dataset(dtype: "float32", shape: [2, 3, 4], values: (0..<24).map(Double.init), atol: 0),
                "data/chunked_gzip": Dataset(
                    dtype: "float32", shape: [100, 100], values: (0..<10_000).map { Double(Float($0) * 0.001) },
                    atol: 0),
            ],
            attributes: [
                "/": rootAttributes.compactMapValues(json),
                "/model_weights/dense_1": ["weight_names": .strings(["dense_1/kernel:0", "dense_1/bias:0"])],
                "/model_weights/flatten_1": ["weight_names": .numbers([])],
                "/data/cube": ["units": .string("a.u.")],
            ])
    }

    @Test(.enabled(if: TestPaths.interopOutputDirectory != nil, "NEATMSKIT_INTEROP_DIR is not set"))
    func writeForInteropCheck() throws {
        let url = try #require(InteropManifest.outputURL(Self.fileName))
        try Self.writeSample(to: url)
        try InteropManifest.record(file: url, source: nil, kind: .hdf5, expect: Self.interopExpectation)
    }
}
