import Foundation
import Support
import TestSupport
import Testing

/// The inputs on which fuzzing (`Scripts/fuzz --keep-going`) found libhdf5 1.10.8 itself failing — a hang, a
/// 2^48-byte allocation, a leak, each inside libhdf5 (`Fixtures/fuzz/README.md` gives the stacks) — are files
/// a user could be sent. Every `neatms` command that reads that kind of file must give one error line naming
/// it, exit 1 without a crash, and leave its outputs as they were, with no new file in the folder.
@Suite struct FuzzFindingsCLITests {
    /// `Fixtures/fuzz/libhdf5/<name>.gz`, unpacked as `dir/<file>`.
    static func unpack(_ name: String, as file: String, in dir: URL) throws {
        let compressed = TestPaths.fixture("fuzz/libhdf5/\(name).gz")
        let data = try Data(contentsOf: compressed)
        #expect(!data.isEmpty)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -dc '\(compressed.path)' > '\(dir.appendingPathComponent(file).path)'"]
        try ChildProcessGate.run(process)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "gzip -dc \(name).gz")
    }

    /// Unpacks `name` as `file` into a new temporary folder, runs `body` on the folder, then removes it.
    static func inFolder(unpacking name: String, as file: String, _ body: (URL) throws -> Void) throws {
        let dir = try TestPaths.temporaryDirectory("fuzz-findings")
        defer { try? FileManager.default.removeItem(at: dir) }
        try unpack(name, as: file, in: dir)
        try body(dir)
    }

    /// Runs each command in `dir` and checks the contract: exit 1, no signal, one line starting with `prefix`
    /// (or equal to `line`), the earlier outputs byte for byte, no new file.
    static func expectOneLine(
        _ cases: [(arguments: [String], line: String)], in dir: URL, environment: [String: String] = [:]
    ) throws {
        let fileManager = FileManager.default
        let earlier = Data("an earlier result".utf8)
        let outputs = ["out.h5", "out.csv", "roc.svg", "out.keras"]
        for name in outputs { try earlier.write(to: dir.appendingPathComponent(name)) }
        let before = Set(try fileManager.contentsOfDirectory(atPath: dir.path))
        for (arguments, line) in cases {
            // Without the per-user record of files read through: one that an earlier build of the same version
            // let through (before a rule refused it) would skip the child.
            let result = try runNeatms(
                arguments, in: dir, environment: environment.merging(["NEATMSKIT_HDF5_READ_CACHE": "off"]) { $1 })
            #expect(result.signal == nil && result.status == 1, "\(arguments): \(result.status) \(result.stderr)")
            if line.hasSuffix("\n") {
                #expect(result.stderr == line, "\(arguments)")
            } else {
                #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
                #expect(result.stderr.hasPrefix(line), "\(arguments): \(result.stderr)")
            }
            for name in outputs {
                #expect(try Data(contentsOf: dir.appendingPathComponent(name)) == earlier, "\(arguments): \(name)")
            }
            #expect(Set(try fileManager.contentsOfDirectory(atPath: dir.path)) == before, "\(arguments)")
        }
    }

    static let model = TestPaths.fixture("neatms_default_model.h5").path
    /// The problems of the child's two ways of failing: a signal, and the time limit (2 s here).
    static let segv = "libhdf5 crashed reading this file (signal 11, SIGSEGV"
    static let cutOff = "libhdf5 did not finish reading this file in 2 s"
    /// A file whose groups or attributes the child cannot all list is refused whole.
    static let unlisted =
        "libhdf5 cannot list every group and attribute of this file, so not all of it could be read through first "
        + "(in the child process that reads HDF5 files first): the file is damaged or crafted\n"
    /// A small Keras 3 model, the architecture weights files are loaded into.
    static let architecture = TestPaths.fixture("random/random_1_keras3.keras").path

    /// matrices: libhdf5's metadata cache asked for 2^48 bytes (`H5Lexists` → `H5G__stab_lookup` →
    /// `H5HL_protect` → `H5C_protect`, a local heap whose declared size is crafted). AddressSanitizer stops at
    /// such an allocation; without it malloc fails, libhdf5 reports an error and the group's links cannot be
    /// looked up or listed, so the file is refused whole.
    @Test func aMatricesFileOnWhichLibhdf5AllocatesPetabytes() throws {
        try Self.inFolder(unpacking: "matrices_alloc_H5C_protect.h5", as: "matrices.h5") { dir in
            let arguments = ["predict", "--model", Self.model, "--matrices", "matrices.h5", "-o", "out.csv"]
            try Self.expectOneLine([(arguments, "neatms: error: matrices.h5: " + Self.unlisted)], in: dir)
        }
    }

    /// matrices: `H5Dread` copies past a buffer in `H5VM_memcpyvv` — past the 7200 bytes libhdf5's filter pipeline
    /// (`H5Z_pipeline`) allocated (heap-buffer-overflow, a read), or from a null pointer of a contiguous dataset
    /// (SIGSEGV). Neither file's sample group can be listed, so the child that reads HDF5 files first never met
    /// their `X`; the fuzz harness (and `predict --dataset <group>/X` before, SIGSEGV) opened it by name. A file
    /// whose groups or attributes cannot all be listed is refused: `predict --matrices`, the one command that
    /// reads a matrices file, gives one line, with the default dataset and with the crashing one.
    @Test(arguments: [
        ("matrices_H5Dread_overflow.h5", "171103_PMA_TK_QC_04.mzML/X"),
        ("matrices_H5Dread_segv.h5", "profile-/X"),
    ])
    func aMatricesFileOnWhichLibhdf5ReadsPastABuffer(name: String, dataset: String) throws {
        try Self.inFolder(unpacking: name, as: "matrices.h5") { dir in
            let arguments = ["predict", "--model", Self.model, "--matrices", "matrices.h5", "-o", "out.csv"]
            let line = "neatms: error: matrices.h5: " + Self.unlisted
            try Self.expectOneLine([(arguments, line), (arguments + ["--dataset", dataset], line)], in: dir)
        }
    }

    /// PEAKS.h5: libhdf5 loses 56–112 bytes when `H5Fopen` fails on the crafted object header (`H5Fopen` →
    /// `H5G_mkroot` → `H5O_msg_exists` → `H5C_protect` → `H5FL_blk_malloc`); the file is refused.
    @Test func aPeaksFileOnWhichLibhdf5Leaks() throws {
        try Self.inFolder(unpacking: "peaks-h5_leak_H5Fopen.h5", as: "peaks.h5") { dir in
            let corrupt =
                "neatms: error: peaks.h5: truncated or corrupt HDF5 file (H5F__accum_read(): driver read request failed; "
                + "H5FD_read(): addr overflow, addr = 2147490152, size = 144, eoa = 11176)\n"
            try Self.expectOneLine(
                [
                    (["train", "--data", "peaks.h5", "--epochs", "1", "-o", "out.h5"], corrupt),
                    (["threshold", "--model", Self.model, "--data", "peaks.h5", "--csv", "out.csv"], corrupt),
                    (
                        ["predict", "--model", Self.model, "--matrices", "peaks.h5", "-o", "out.csv"],
                        "neatms: error: peaks.h5: truncated or corrupt HDF5 file\n"
                    ),
                ], in: dir)
        }
    }

    /// PEAKS.h5 files of the fork-mode run (`Scripts/fuzz peaks-h5 --keep-going`), one per distinct libhdf5 stack:
    /// two crash a plain libhdf5 with SIGSEGV (`H5Aread` of a variable-length string → `H5HG_read`: a memcpy of
    /// overlapping ranges, a wild read), two loop or take minutes there (the global heap again, a 1 TB free-list
    /// block), `H5Aexists` reads past an object header (AddressSanitizer only: the attribute is then missing), two
    /// ask for impossible sizes (`H5Fopen`, a local heap) and fail cleanly without AddressSanitizer. Each gives
    /// one line naming the file. The second run's `H5Aread` copies 48 bytes of the `classes` heap IDs past the
    /// 53-byte block `H5Aexists` decoded the attribute into (AddressSanitizer only; a plain libhdf5 reads on): the
    /// root's attributes cannot be listed, so the file is refused whole before `classes` is opened by name.
    @Test(arguments: [
        ("peaks-h5_vlen_segv.h5", FuzzFindingsCLITests.segv),
        ("peaks-h5_vlen_overlap.h5", FuzzFindingsCLITests.segv),
        ("peaks-h5_vlen_hang.h5", FuzzFindingsCLITests.cutOff),
        ("peaks-h5_vlen_oom.h5", FuzzFindingsCLITests.cutOff),
        ("peaks-h5_attr_exists_overflow.h5", FuzzFindingsCLITests.unlisted),
        ("peaks-h5_open_alloc.h5", "cannot open HDF5 file (H5C_protect(): can't load entry"),
        ("peaks-h5_heap_oom.h5", FuzzFindingsCLITests.unlisted),
        ("peaks-h5_attr_read_overflow.h5", FuzzFindingsCLITests.unlisted),
    ])
    func aPeaksFileThatLibhdf5CannotRead(name: String, problem: String) throws {
        try Self.inFolder(unpacking: name, as: "peaks.h5") { dir in
            let line = "neatms: error: peaks.h5: " + problem
            // The loops are cut off after 2 s; the other files are left the default limit.
            let hangs = problem == Self.cutOff
            try Self.expectOneLine(
                [
                    (["train", "--data", "peaks.h5", "--epochs", "1", "-o", "out.h5"], line),
                    (["threshold", "--model", Self.model, "--data", "peaks.h5", "--csv", "out.csv"], line),
                ], in: dir, environment: hangs ? ["NEATMSKIT_HDF5_READ_TIMEOUT": "2"] : [:])
        }
    }

    /// Keras `.h5` files of the fork-mode run (`Scripts/fuzz keras-h5 --keep-going`), one per distinct libhdf5
    /// stack besides the hang below: `H5Aread` of a variable-length string writes past a heap block in
    /// `H5HG_read` (a plain libhdf5 then aborts in malloc, SIGABRT) or copies overlapping ranges there (SIGSEGV);
    /// `H5Aexists` reads past an object header in `H5MM_strdup` (the root's attributes cannot be listed: refused
    /// whole); the second run's SIGSEGV while the metadata cache loads a crafted global heap collection
    /// (`H5HG__protect` under `H5Aread`). `summary` and `convert` give one line naming the file.
    @Test(arguments: [
        ("keras-h5_vlen_overflow.h5", "libhdf5 crashed reading this file (signal 6, SIGABRT"),
        ("keras-h5_vlen_overlap.h5", FuzzFindingsCLITests.segv),
        ("keras-h5_attr_exists_strdup.h5", FuzzFindingsCLITests.unlisted),
        ("keras-h5_global_heap_segv.h5", FuzzFindingsCLITests.segv),
    ])
    func aKerasFileThatLibhdf5CannotRead(name: String, problem: String) throws {
        try Self.inFolder(unpacking: name, as: "model.h5") { dir in
            let line = "neatms: error: model.h5: " + problem
            try Self.expectOneLine(
                [(["summary", "model.h5"], line), (["convert", "model.h5", "out.keras", "--force"], line)], in: dir)
        }
    }

    /// Keras 3 `.weights.h5` files of the fork-mode run (`Scripts/fuzz keras3-weights --keep-going`): `H5Gget_info`
    /// reads through a crafted address in `H5F__accum_read` (SIGSEGV in a plain libhdf5 too); `H5Oopen` asks the
    /// metadata cache for an impossible size (without AddressSanitizer an error). `convert --architecture` gives
    /// one line naming the file.
    @Test(arguments: [
        ("keras3-weights_group_info_segv.h5", FuzzFindingsCLITests.segv),
        ("keras3-weights_oopen_alloc.h5", FuzzFindingsCLITests.unlisted),
    ])
    func aWeightsFileThatLibhdf5CannotRead(name: String, problem: String) throws {
        try Self.inFolder(unpacking: name, as: "model.weights.h5") { dir in
            let arguments = [
                "convert", "model.weights.h5", "out.keras", "--architecture", Self.architecture, "--force",
            ]
            try Self.expectOneLine([(arguments, "neatms: error: model.weights.h5: " + problem)], in: dir)
        }
    }

    /// `.keras`: the keras-archive target's input, a Keras 3 archive whose `model.weights.h5` asks libhdf5's
    /// metadata cache for an impossible size under `H5Oopen` (as `keras3-weights_oopen_alloc`). That member's bytes
    /// do not match the CRC-32 the archive records, so it is refused before it is extracted for libhdf5, by every
    /// command that reads a model file.
    @Test func aKerasArchiveWithADamagedWeightsMember() throws {
        try Self.inFolder(unpacking: "keras-archive_bad_crc_oopen_alloc.keras", as: "model.keras") { dir in
            let line =
                "neatms: error: model.keras: archive member 'model.weights.h5': its CRC-32 does not match the "
                + "archive's (damaged archive)\n"
            try Self.expectOneLine(
                [
                    (["summary", "model.keras"], line), (["inspect", "model.keras"], line),
                    (["convert", "model.keras", "out.h5", "--force"], line),
                ], in: dir)
        }
    }

    /// Keras files: `H5Aread` of a variable-length string attribute loops in `H5HG_read` (a corrupt global
    /// heap). The keras-h5 target found it in a model's `model_config`, the keras3-weights target in a
    /// weights file's `layer_names`: the child that reads HDF5 files first is killed after its time limit
    /// whichever command opens the file (`ContainmentCLITests` checks `summary`).
    @Test func aKerasFileOnWhichLibhdf5Hangs() throws {
        try Self.inFolder(unpacking: "keras-h5_hang_H5HG_read.h5", as: "hang.h5") { dir in
            let line = "neatms: error: hang.h5: \(Self.cutOff) (in the child process that reads HDF5 files first): "
            try Self.expectOneLine(
                [
                    (["inspect", "hang.h5"], line),
                    (["convert", "hang.h5", "out.keras", "--force"], line),
                    (["convert", "hang.h5", "out.keras", "--architecture", Self.architecture, "--force"], line),
                ].map { ($0.0, $0.1 + "the file is damaged or crafted\n") }, in: dir,
                environment: ["NEATMSKIT_HDF5_READ_TIMEOUT": "2"])
        }
    }
}
