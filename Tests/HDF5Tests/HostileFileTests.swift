import Foundation
import HDF5
import TestSupport
import Testing

/// Files built to attack a reader (Scripts/fixtures/make_hostile_hdf5.py): every one is refused with an
/// error naming the file and the object, before anything large is allocated.
@Suite struct HostileFileTests {
    @Test(arguments: [
        ("shape_bomb.h5", "declares [4000000, 2, 120, 1] elements (3840000000 bytes) but the file stores 0 bytes"),
        ("sparse_chunk_bomb.h5", "more than 1100:1 compression is refused"),
        ("soft_link.h5", "is a soft link, not a dataset (links are not followed)"),
        ("external_link.h5", "is an external link, not a dataset (links are not followed)"),
        ("external_storage.h5", "external dataset (data stored in other files) refused"),
        ("virtual.h5", "virtual dataset (data mapped from other datasets or files) refused"),
        ("user_filter.h5", "filter 32001 is not one of HDF5's built-in filters"),
    ])
    func refusedWithTheObjectsPath(name: String, problem: String) throws {
        let url = TestPaths.fixture("hostile/\(name)")
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        do {
            let values = try file.root.dataset("X").read(as: Float.self)
            Issue.record("\(name): read \(values.count) values")
        } catch let error as HDF5Error {
            #expect(error.file == url.path)
            #expect(error.object == "/X")
            #expect(error.description.contains(problem), "\(error)")
        }
    }

    /// y's int64 type claims 0 bits of precision: a plain H5Dread of it as float64 crashes libhdf5 1.10.8
    /// (SIGBUS, Scripts/fixtures/h5_read_probe.c). Opening it is refused; X beside it still reads.
    @Test func impossibleNumberTypeIsRefusedBeforeLibhdf5ConvertsIt() throws {
        let url = TestPaths.fixture("hostile/zero_precision.h5")
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        #expect(try file.root.dataset("X").read(as: Float.self).count == 64)
        do {
            let values = try file.root.dataset("y").read(as: Double.self)
            Issue.record("read \(values.count) values")
        } catch let error as HDF5Error {
            #expect(error.object == "/y")
            #expect(
                error.description.contains("impossible number type (8 bytes, 0 bits of precision at bit 0)"), "\(error)"
            )
        }
    }

    /// The guard does not stand in the way of real data: a large contiguous dataset that is stored in
    /// full, and a compressible chunked one, read back.
    @Test func storedDataOfAnySizeReads() throws {
        let url = try TestPaths.temporaryDirectory().appendingPathComponent("big.h5")
        let file = try HDF5File.create(url)
        let values = (0..<(3 << 20)).map { Float($0 % 1000) }
        try file.root.writeDataset("contiguous", shape: [values.count], values: values)
        try file.root.writeDataset("chunked", shape: [values.count], values: values, chunks: [1 << 16], gzipLevel: 9)
        try file.close()
        let reopened = try HDF5File.open(url)
        defer { try? reopened.close() }
        #expect(try reopened.root.dataset("contiguous").read(as: Float.self) == values)
        #expect(try reopened.root.dataset("chunked").read(as: Double.self).count == values.count)
    }
}
