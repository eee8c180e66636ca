import Foundation
import HDF5
import TestSupport
import Testing

/// Reads `Fixtures/hdf5/strings_and_types.h5`, written by h5py 3.14 / HDF5 1.14.6 and Keras 3.15.1's
/// `save_attributes_to_hdf5_group` (Scripts/fixtures/make_hdf5_fixture.py). Expected values are the ones that
/// script prints.
@Suite struct FixtureTests {
    let file: HDF5File

    init() throws {
        file = try HDF5File.open(TestPaths.fixture("hdf5/strings_and_types.h5"))
    }

    @Test func variableLengthStrings() throws {
        let root = file.root
        #expect(try root.attribute("vlen_utf8_scalar") == .string("café ✓ データ", .vlenUTF8))
        #expect(try root.attribute("vlen_ascii_scalar") == .string(#"{"class_name": "Model"}"#, .vlenASCII))
        #expect(try root.attribute("vlen_utf8_empty") == .string("", .vlenUTF8))
        #expect(try root.attribute("vlen_ascii_array") == .strings(["conv2d_1", "", "dense_1/kernel:0"], .vlenASCII))
        #expect(try root.attribute("vlen_utf8_array") == .strings(["α", "", "naïve", "🙂"], .vlenUTF8))
    }

    @Test func fixedLengthStrings() throws {
        let root = file.root
        // "dense_prediction" fills all 16 bytes of the NULLPAD field: no NUL to stop at.
        #expect(
            try root.attribute("fixed_nullpad_array")
                == .strings(["input_1", "dense_prediction", ""], .fixedASCII(16)))
        #expect(try root.attribute("fixed_nullpad_scalar") == .string("tensorflow", .fixedASCII(10)))
        #expect(
            try root.attribute("fixed_utf8_array")
                == .strings(["é", "ü✓"], HDF5StringKind(length: .fixed(8), padding: .nullPadded, encoding: .utf8)))
        let nullTerm = { (size: Int) in
            HDF5StringKind(length: .fixed(size), padding: .nullTerminated, encoding: .ascii)
        }
        #expect(try root.attribute("fixed_nullterm_scalar") == .string("2.2.4", nullTerm(8)))
        #expect(try root.attribute("fixed_nullterm_array") == .strings(["abc", "abcde", ""], nullTerm(6)))
        #expect(
            try root.attribute("fixed_spacepad_scalar")
                == .string("pad", HDF5StringKind(length: .fixed(7), padding: .spacePadded, encoding: .ascii)))
    }

    @Test func stringHelpersAcceptEveryKind() throws {
        let root = file.root
        #expect(try root.stringAttribute("vlen_utf8_scalar") == "café ✓ データ")
        #expect(try root.stringAttribute("fixed_nullterm_scalar") == "2.2.4")
        #expect(try root.stringAttribute("missing") == nil)
        #expect(try root.stringListAttribute("fixed_nullpad_array") == ["input_1", "dense_prediction", ""])
        #expect(try root.stringListAttribute("vlen_ascii_array") == ["conv2d_1", "", "dense_1/kernel:0"])
        #expect(try root.stringListAttribute("vlen_ascii_scalar") == [#"{"class_name": "Model"}"#])
        // Keras writes an empty name list as a float64 (0,) array.
        #expect(try root.attribute("empty_f64") == .float64s([], shape: [0]))
        #expect(try root.stringListAttribute("empty_f64") == [])
        #expect(try root.group("model_weights/flatten_1").stringListAttribute("weight_names") == [])
        #expect(
            try root.group("model_weights/dense_1").stringListAttribute("weight_names")
                == ["dense_1/kernel:0", "dense_1/bias:0"])
        #expect(throws: HDF5Error.self) { try root.stringAttribute("i64_scalar") }
        #expect(throws: HDF5Error.self) { try root.stringListAttribute("f32_array") }
    }

    @Test func numericAttributes() throws {
        let root = file.root
        #expect(try root.attribute("i64_scalar") == .int64s([-1_234_567_890_123], shape: []))
        #expect(try root.attribute("f64_scalar") == .float64s([0.1], shape: []))
        #expect(try root.attribute("f32_array") == .float32s([1.5, -2.25, 1e-5], shape: [3]))
        #expect(try root.attribute("i32_matrix") == .int32s([-2, -1, 0, 1, 2, 3], shape: [2, 3]))
        #expect(try root.attribute("u8_array") == .uint8s([0, 7, 255], shape: [3]))
        // Other widths convert through HDF5; enums are reported, not decoded.
        #expect(try root.attribute("i16_array") == .int64s([-300, 300], shape: [2]))
        #expect(try root.attribute("bool_scalar") == .unsupported(type: "enum", shape: []))
        #expect(try root.attribute("null_f64") == .unsupported(type: "float64 (null dataspace)", shape: []))
        #expect(throws: HDF5Error.self) { try root.stringListAttribute("null_f64") }
    }

    @Test func attributeNamesInNameOrder() throws {
        let names = try file.root.attributeNames()
        #expect(names.count == 20)
        #expect(names == names.sorted())
        #expect(names.first == "bool_scalar" && names.last == "vlen_utf8_scalar")
        #expect(try file.root.group("model_weights").attributeNames() == ["big_names0", "big_names1"])
    }

    @Test func splitAttributeWrittenByKeras() throws {
        let group = try file.root.group("model_weights")
        #expect(try group.hasAttribute("big_names") == false)
        let names = try #require(try group.readSplitStringList("big_names"))
        #expect(names == (0..<2000).map { String(format: "layer_%05d/kernel_with_a_long_name:0", $0) })
        #expect(try group.attribute("big_names0")?.elementType == .string(.fixedASCII(37)))
        #expect(try group.attribute("big_names1")?.shape == [1000])
        #expect(try group.readSplitStringList("absent") == nil)
    }

    @Test func groupsAndChildren() throws {
        let root = file.root
        let top = try root.children()
        #expect(top.map(\.name) == ["data", "model_weights", "optimizer_weights"])
        #expect(top.allSatisfy { $0.kind == .group })
        let layer = try root.group("model_weights/dense_1/dense_1")
        #expect(layer.name == "/model_weights/dense_1/dense_1")
        let children = try layer.children()
        #expect(children.map(\.name) == ["bias:0", "kernel:0"])
        #expect(children.allSatisfy { $0.kind == .dataset })
        #expect(root.contains("model_weights/dense_1/dense_1/kernel:0"))
        #expect(root.contains("/model_weights/dense_1"))
        #expect(!root.contains("model_weights/dense_2/kernel:0"))
        #expect(!root.contains("data/f64/below_a_dataset"))
        #expect(try root.kind(of: "data/cube") == .dataset)
        #expect(try root.kind(of: "data") == .group)
        #expect(try root.kind(of: "nothing") == nil)
    }

    @Test func datasetsOfEveryType() throws {
        let data = try file.root.group("data")
        let kernel = try file.root.dataset("model_weights/dense_1/dense_1/kernel:0")
        #expect(kernel.shape == [3, 4] && kernel.elementType == .float32 && !kernel.isChunked)
        #expect(try kernel.read(as: Float.self) == (0..<12).map { (Float($0) - 5.5) / 4 })
        let f64 = try data.dataset("f64")
        #expect(f64.elementType == .float64)
        #expect(try f64.read(as: Double.self) == [0, 0.25, 0.5, 0.75, 1])
        #expect(try f64.read(as: Float.self) == [0, 0.25, 0.5, 0.75, 1])  // converted by HDF5
        let i32 = try data.dataset("i32")
        #expect(i32.elementType == .int32 && i32.shape == [2, 3])
        #expect(try i32.read(as: Int32.self) == [0, -3, -6, -9, -12, -15])
        #expect(try data.dataset("i64").read(as: Int64.self) == [1_099_511_627_776, -7])
        #expect(try data.dataset("u8").read(as: UInt8.self) == [250, 251, 252, 253, 254, 255])
        #expect(try data.dataset("u8").read(as: Int.self) == [250, 251, 252, 253, 254, 255])
        let i16 = try data.dataset("i16")
        #expect(i16.elementType == .other("int16"))
        #expect(try i16.read(as: Int32.self) == [-2, 3])
        let iterations = try file.root.dataset("optimizer_weights/Adam/iterations:0")
        #expect(iterations.shape == [] && iterations.elementType == .int64)
        #expect(try iterations.readScalar(as: Int.self) == 42)
        #expect(try iterations.readScalar(as: Double.self) == 42)
        #expect(try data.dataset("cube").stringAttribute("units") == "a.u.")
    }

    @Test func hyperslabOfFixtureCube() throws {
        let cube = try file.root.dataset("data/cube")  // arange(24).reshape(2, 3, 4)
        #expect(try cube.read(as: Float.self, offset: [1, 1, 2], count: [1, 2, 2]) == [18, 19, 22, 23])
        #expect(try cube.read(as: Double.self, offset: [0, 0, 3], count: [2, 3, 1]) == [3, 7, 11, 15, 19, 23])
    }
}
