import Foundation
import HDF5
import TestSupport
import Testing

/// Writes with NeatMSKit and reads back (a fresh open of the file each time, so nothing is cached).
@Suite struct RoundTripTests {
    @Test(arguments: [
        HDF5AttributeValue.string("café ✓ データ 🙂", .vlenUTF8),
        .string("", .vlenUTF8),
        .string(#"{"class_name": "Sequential"}"#, .vlenASCII),
        .strings(["conv2d_1", "", "dense_1/kernel:0"], .vlenASCII),
        .strings(["α", "", "naïve"], .vlenUTF8),
        .strings([], .vlenASCII),
        .strings(["input_1", "dense_prediction", ""], .fixedASCII(16)),
        .string("tensorflow", .fixedASCII(10)),
        .strings(["é", "ü✓"], HDF5StringKind(length: .fixed(8), padding: .nullPadded, encoding: .utf8)),
        .string("2.2.4", HDF5StringKind(length: .fixed(8), padding: .nullTerminated, encoding: .ascii)),
        .string("pad", HDF5StringKind(length: .fixed(7), padding: .spacePadded, encoding: .ascii)),
        .float64Array([]),
        .int64(-1_234_567_890_123),
        .float64(0.1),
        .float32s([1.5, -2.25, 1e-5], shape: [3]),
        .int32s([-2, -1, 0, 1, 2, 3], shape: [2, 3]),
        .uint8s([0, 7, 255], shape: [3]),
        .int64s([], shape: [0]),
    ])
    func attributeRoundTrip(value: HDF5AttributeValue) throws {
        let url = try temporaryH5()
        do {
            let file = try HDF5File.create(url)
            try file.root.createGroup("g").setAttribute("value", value)
            try file.root.setAttribute("value", value)
            try file.close()
        }
        let file = try HDF5File.open(url)
        #expect(try file.root.attribute("value") == value)
        #expect(try file.root.group("g").attribute("value") == value)
    }

    @Test func attributeOnDatasetAndOverwrite() throws {
        let url = try temporaryH5()
        let file = try HDF5File.create(url)
        let dataset = try file.root.writeDataset("w", shape: [2], values: [Float(1), 2])
        try dataset.setAttribute("note", .string("first", .vlenUTF8))
        // Overwriting with another type and kind replaces the attribute (delete + recreate).
        try dataset.setAttribute("note", .strings(["a", "bc"], .fixedASCII(2)))
        #expect(try dataset.attribute("note") == .strings(["a", "bc"], .fixedASCII(2)))
        #expect(try dataset.attributeNames() == ["note"])
        try dataset.deleteAttribute("note")
        #expect(try dataset.hasAttribute("note") == false)
        #expect(throws: HDF5Error.self) { try dataset.deleteAttribute("note") }
    }

    @Test func stringWritesAreCheckedNotTruncated() throws {
        let file = try HDF5File.create(try temporaryH5())
        let tooLong = #expect(throws: HDF5Error.self) {
            try file.root.setAttribute("x", .strings(["abc", "abcdef"], .fixedASCII(4)))
        }
        #expect(tooLong?.kind == .invalidArgument)
        #expect(throws: HDF5Error.self) { try file.root.setAttribute("x", .string("a\0b", .vlenASCII)) }
        #expect(throws: HDF5Error.self) { try file.root.setAttribute("x", .int64s([1, 2], shape: [3])) }
        #expect(try file.root.hasAttribute("x") == false)
        // A refused write leaves the previous value in place.
        try file.root.setAttribute("x", .string("kept", .vlenUTF8))
        #expect(throws: HDF5Error.self) { try file.root.setAttribute("x", .string("toolong", .fixedASCII(3))) }
        #expect(throws: HDF5Error.self) { try file.root.setAttribute("x", .unsupported(type: "enum", shape: [])) }
        #expect(try file.root.attribute("x") == .string("kept", .vlenUTF8))
        // fixedASCII(fitting:) is numpy's S<longest>.
        #expect(HDF5StringKind.fixedASCII(fitting: ["ab", "dense_1"]) == .fixedASCII(7))
        #expect(HDF5StringKind.fixedASCII(fitting: []) == .fixedASCII(1))
    }

    @Test(arguments: [true, false])
    func datasetsOfEveryType(chunked: Bool) throws {
        let url = try temporaryH5()
        let chunks: ([Int]) -> [Int]? = { shape in chunked ? shape.map { max(1, ($0 + 1) / 2) } : nil }
        let gzip: Int? = chunked ? 4 : nil
        do {
            let file = try HDF5File.create(url)
            let group = try file.root.createGroup("weights/dense_1")
            try group.writeDataset(
                "kernel:0", shape: [3, 4], values: (0..<12).map { Float($0) / 8 }, chunks: chunks([3, 4]),
                gzipLevel: gzip)
            try group.writeDataset(
                "f64", shape: [5], values: [0, 0.25, -0.5, 1e300, -0.0], chunks: chunks([5]), gzipLevel: gzip)
            try group.writeDataset(
                "i32", shape: [2, 3], values: [Int32.min, -1, 0, 1, 2, .max], chunks: chunks([2, 3]))
            try group.writeDataset("i64", shape: [2], values: [Int64.min, .max])
            try group.writeDataset("u8", shape: [2, 2], values: [UInt8(0), 1, 254, 255])
            try file.root.writeDataset("optimizer/iteration:0", shape: [], values: [Int64(7)])
            try file.root.writeDataset("int_as_i64", shape: [3], values: [1, -2, 3])  // Swift Int
            try file.root.writeDataset("empty", shape: [0, 4], values: [Float]())
        }
        #expect(isFullyClosed(url))
        let file = try HDF5File.open(url)
        let group = try file.root.group("weights/dense_1")
        let kernel = try group.dataset("kernel:0")
        #expect(kernel.shape == [3, 4] && kernel.elementType == .float32 && kernel.isChunked == chunked)
        #expect(try kernel.read(as: Float.self) == (0..<12).map { Float($0) / 8 })
        #expect(try kernel.read(as: Double.self) == (0..<12).map { Double($0) / 8 })
        let f64 = try group.dataset("f64")
        #expect(f64.elementType == .float64)
        let f64Values = try f64.read(as: Double.self)
        #expect(f64Values == [0, 0.25, -0.5, 1e300, -0.0] && f64Values[4].sign == .minus)
        #expect(try group.dataset("i32").read(as: Int32.self) == [Int32.min, -1, 0, 1, 2, .max])
        #expect(try group.dataset("i32").elementType == .int32)
        #expect(try group.dataset("i64").read(as: Int64.self) == [Int64.min, .max])
        #expect(try group.dataset("u8").read(as: UInt8.self) == [0, 1, 254, 255])
        #expect(try group.dataset("u8").elementType == .uint8)
        let iteration = try file.root.dataset("optimizer/iteration:0")
        #expect(iteration.shape == [] && iteration.elementType == .int64)
        #expect(try iteration.readScalar(as: Int.self) == 7)
        #expect(try file.root.dataset("int_as_i64").elementType == .int64)
        #expect(try file.root.dataset("int_as_i64").read(as: Int.self) == [1, -2, 3])
        let empty = try file.root.dataset("empty")
        #expect(empty.shape == [0, 4] && empty.elementCount == 0)
        #expect(try empty.read(as: Float.self) == [])
    }

    @Test func hyperslabWritesAndReads() throws {
        let url = try temporaryH5()
        let file = try HDF5File.create(url)
        let dataset = try file.root.createDataset("m", type: .float32, shape: [4, 5])
        #expect(dataset.storedByteCount == 0)  // contiguous storage is allocated on first write
        #expect(try dataset.read(as: Float.self) == [Float](repeating: 0, count: 20))
        // Row by row, then a 2×2 block over the middle.
        for row in 0..<4 {
            try dataset.write((0..<5).map { Float(row * 10 + $0) }, offset: [row, 0], count: [1, 5])
        }
        try dataset.write([Float](repeating: -1, count: 4), offset: [1, 2], count: [2, 2])
        let expected: [Float] = [
            0, 1, 2, 3, 4,
            10, 11, -1, -1, 14,
            20, 21, -1, -1, 24,
            30, 31, 32, 33, 34,
        ]
        #expect(try dataset.read(as: Float.self) == expected)
        #expect(dataset.storedByteCount == 80)
        #expect(try dataset.read(as: Float.self, offset: [2, 1], count: [2, 3]) == [21, -1, -1, 31, 32, 33])
        #expect(try dataset.read(as: Float.self, offset: [3, 4], count: [1, 1]) == [34])
        #expect(try dataset.read(as: Float.self, offset: [4, 0], count: [0, 5]) == [])
        // Out-of-range and mismatched selections are errors, not crashes.
        for (offset, count) in [([3, 0], [2, 5]), ([0], [1]), ([-1, 0], [1, 1]), ([0, 5], [1, 1])] {
            let error = #expect(throws: HDF5Error.self) {
                try dataset.read(as: Float.self, offset: offset, count: count)
            }
            #expect(error?.kind == .shapeMismatch)
        }
        #expect(throws: HDF5Error.self) { try dataset.write([Float(1), 2], offset: [0, 0], count: [1, 3]) }
        #expect(throws: HDF5Error.self) { try dataset.write([Float(1)]) }
    }

    @Test func nestedGroupsAndColonNames() throws {
        let url = try temporaryH5()
        let file = try HDF5File.create(url)
        let c = try file.root.createGroup("a/b/c")
        #expect(c.name == "/a/b/c")
        #expect(try file.root.createGroup("a/b").name == "/a/b")  // existing: returned, not an error
        let b = try file.root.group("a/b")
        try b.createGroup("d:1")
        try b.writeDataset("kernel:0", shape: [1], values: [Float(3)])
        try b.writeDataset("bias:0", shape: [1], values: [Float(4)])
        // HDF5 lists by name: bias before kernel, whatever the creation order.
        let children = try b.children()
        #expect(children.map(\.name) == ["bias:0", "c", "d:1", "kernel:0"])
        #expect(children.map(\.kind) == [.dataset, .group, .group, .dataset])
        #expect(try file.root.dataset("/a/b/kernel:0").read(as: Float.self) == [3])
        #expect(try b.dataset("kernel:0").name == "/a/b/kernel:0")
        #expect(file.root.contains("a/b/d:1"))
        let asGroup = #expect(throws: HDF5Error.self) { try file.root.group("a/b/kernel:0") }
        #expect(asGroup?.kind == .typeMismatch)
        let missing = #expect(throws: HDF5Error.self) { try file.root.dataset("a/x/kernel:0") }
        #expect(missing?.kind == .notFound)
        #expect(missing?.description == "\(url.path): /a/x/kernel:0: no such dataset")
        let clash = #expect(throws: HDF5Error.self) { try file.root.createGroup("a/b/kernel:0/deeper") }
        #expect(clash != nil)
        #expect(throws: HDF5Error.self) { try b.writeDataset("kernel:0", shape: [1], values: [Float(5)]) }
        try b.deleteLink("kernel:0")
        #expect(!b.contains("kernel:0"))
        #expect(throws: HDF5Error.self) { try b.deleteLink("kernel:0") }
    }

    @Test func splitStringListRoundTrip() throws {
        let url = try temporaryH5()
        let big = (0..<2000).map { String(format: "layer_%05d/kernel_with_a_long_name:0", $0) }
        do {
            let file = try HDF5File.create(url)
            let group = try file.root.createGroup("model_weights")
            try group.writeSplitStringList("big", big, kind: .vlenASCII)
            try group.writeSplitStringList("small", ["dense_1", "dense_prediction"], kind: .fixedASCII(16))
            try group.writeSplitStringList("none", [], kind: .vlenASCII)
        }
        let file = try HDF5File.open(url)
        let group = try file.root.group("model_weights")
        // Same split as Keras (the fixture's big_names0/1): 2000 × S37 = 74,000 bytes → 2 chunks of 1000.
        #expect(try group.attributeNames() == ["big0", "big1", "none", "small"])
        #expect(try group.attribute("big0") == .strings(Array(big[0..<1000]), .fixedASCII(37)))
        #expect(try group.readSplitStringList("big") == big)
        #expect(try group.attribute("small") == .strings(["dense_1", "dense_prediction"], .fixedASCII(16)))
        #expect(try group.readSplitStringList("small") == ["dense_1", "dense_prediction"])
        #expect(try group.attribute("none") == .float64Array([]))
        #expect(try group.readSplitStringList("none") == [])
    }

    @Test func splitRewriteRemovesStaleChunks() throws {
        let file = try HDF5File.create(try temporaryH5())
        let three = (0..<5000).map { String(format: "n%038d", $0) }  // 5000 × 39 B = 195,000 B → 4 chunks
        try file.root.writeSplitStringList("names", three, kind: .vlenASCII)
        #expect(try file.root.attributeNames() == ["names0", "names1", "names2", "names3"])
        #expect(try file.root.attribute("names3")?.shape == [1250])
        try file.root.writeSplitStringList("names", ["x"], kind: .vlenUTF8)
        #expect(try file.root.attributeNames() == ["names"])
        #expect(try file.root.readSplitStringList("names") == ["x"])
        let huge = String(repeating: "x", count: kerasAttributeSizeLimit + 1)
        #expect(throws: HDF5Error.self) { try file.root.writeSplitStringList("names", [huge], kind: .vlenASCII) }
    }

    @Test func unsplitAttributeOverTheLimitNamesTheCause() throws {
        let file = try HDF5File.create(try temporaryH5())
        let names = (0..<3000).map { String(format: "%039d", $0) }
        let error = #expect(throws: HDF5Error.self) {
            try file.root.setAttribute("names", .strings(names, .fixedASCII(39)))
        }
        #expect(error?.description.contains("64 KiB") == true)
        #expect(error?.stack.isEmpty == false)
    }

    @Test func createRefusesExistingFileWithoutOverwrite() throws {
        let url = try temporaryH5()
        try HDF5File.create(url).root.setAttribute("a", .int64(1))
        let error = #expect(throws: HDF5Error.self) { try HDF5File.create(url, overwrite: false) }
        #expect(error?.kind == .alreadyExists)
        #expect(try HDF5File.open(url).root.attribute("a") == .int64(1))
        // overwrite (the default) truncates.
        #expect(try HDF5File.create(url).root.attributeNames() == [])
    }

    @Test func readWriteReopen() throws {
        let url = try temporaryH5()
        try HDF5File.create(url).root.writeDataset("x", shape: [2], values: [Float(1), 2])
        let readOnly = try HDF5File.open(url)
        #expect(!readOnly.isWritable)
        #expect(throws: HDF5Error.self) { try readOnly.root.setAttribute("a", .int64(1)) }
        #expect(throws: HDF5Error.self) { try readOnly.root.dataset("x").write([Float(3), 4]) }
        try readOnly.close()
        let writable = try HDF5File.open(url, writable: true)
        try writable.root.dataset("x").write([Float(3), 4])
        try writable.flush()
        try writable.close()
        #expect(try HDF5File.open(url).root.dataset("x").read(as: Float.self) == [3, 4])
    }
}
