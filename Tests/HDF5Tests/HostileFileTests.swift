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

    /// An attribute's declared values are checked against the bytes the file holds before anything is allocated
    /// or read for them (Scripts/fixtures/make_hostile_attribute.py). `classes` there holds 100 variable-length
    /// strings whose datatype declares 1 byte per element and whose dataspace says 1600: libhdf5 1.10.8 opens
    /// it (1600 × 1 bytes fit its message), and `H5Aread` would read 1600 global-heap IDs of 16 bytes from a
    /// 1600-byte buffer. The file holds 6592 bytes; 1600 × 16 = 25,600 are declared.
    @Test func attributeDeclaringMoreThanTheFileHoldsIsRefused() throws {
        let url = TestPaths.fixture("hostile/attribute_vlen_count.h5")
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        #expect(try file.root.attributeNames() == ["classes"])
        do {
            let value = try file.root.attribute("classes")
            Issue.record("read \(String(describing: value))")
        } catch let error as HDF5Error {
            #expect(error.kind == .corrupt)
            #expect(error.file == url.path)
            #expect(error.object == "/@classes")
            #expect(
                error.message == "declares 1600 values (25600 bytes) but the file holds only 6592 bytes", "\(error)")
        }
    }

    /// A count past what the attribute's message holds (here 2^40 float32 values, 4 TiB, in a 912-byte file) is
    /// refused by libhdf5 itself when it decodes the attribute ("data size exceeds buffer size"), before
    /// NeatMSKit's own check is reached: listing and reading the attribute fail with the file and its path.
    @Test func attributeCountPastItsMessageIsRefusedByLibhdf5() throws {
        let url = TestPaths.fixture("hostile/attribute_count_bomb.h5")
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        #expect(throws: HDF5Error.self) { try file.root.attributeNames() }
        do {
            let value = try file.root.attribute("classes")
            Issue.record("read \(String(describing: value))")
        } catch let error as HDF5Error {
            #expect(error.file == url.path)
            #expect(error.object == "/@classes")
            #expect(error.description.contains("data size exceeds buffer size"), "\(error)")
        }
    }

    /// The read-through (the child process that reads HDF5 files first) reads datasets in blocks, each under the
    /// size the guard questions: it refuses a shape bomb as a whole read is refused, instead of reading its
    /// 3.8 GB of never-stored fill values for over a minute (and being cut off as a hang). `y` still reads.
    @Test(arguments: ["shape_bomb.h5", "sparse_chunk_bomb.h5"])
    func readThroughRefusesAShapeBombBeforeReadingItInBlocks(name: String) throws {
        let summary = try HDF5ReadThrough.run(TestPaths.fixture("hostile/\(name)"))
        #expect(summary.datasets == 2)
        #expect(summary.refused == 1)
        #expect(summary.elements == 4 * 3)  // y's 4 values as float32, float64 and int64
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
