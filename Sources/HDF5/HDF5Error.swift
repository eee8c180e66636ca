import CHDF5
import Support

/// Every failure of the HDF5 layer: which file, which object, what went wrong, and HDF5's own error stack.
///
/// `description` is one line: `<file>: <object>: <message> (<innermost HDF5 frames>)`. As a
/// `LocatedError`, the object is the `location` and the message the `problem`; a format reader that names
/// the file itself (the HDF5 file may be a temporary copy) quotes `withoutFile`: object and message, no stack.
public struct HDF5Error: LocatedError, Sendable, Equatable {
    /// What kind of failure this is, for callers that react differently (e.g. a missing object).
    public enum Kind: String, Sendable, Equatable {
        /// The file is not an HDF5 file (no signature: empty file, PNG renamed `.h5`, ...).
        case notHDF5
        /// The file has an HDF5 signature but is cut short or damaged.
        case corrupt
        /// The file does not exist or cannot be opened by the operating system.
        case fileNotFound
        /// The file, group, dataset or attribute to create already exists.
        case alreadyExists
        /// A group, dataset or attribute that was asked for does not exist.
        case notFound
        /// The object exists but is of another kind or element type than asked for.
        case typeMismatch
        /// Shapes, offsets, counts or value counts do not agree.
        case shapeMismatch
        /// An argument is out of range (chunk sizes, gzip level, a string longer than its fixed size, ...).
        case invalidArgument
        /// A feature this layer does not implement.
        case unsupported
        /// The handle was already closed.
        case closed
        /// Any other failure reported by the HDF5 library.
        case library
        /// libhdf5 crashed reading the file (in the child process that reads files first: `HDF5Library.openCheck`).
        case libraryCrashed
    }

    /// The kind of failure.
    public var kind: Kind
    /// The file as it was opened or created (`URL.relativePath`: as the user gave it).
    public var file: String?
    /// The object path inside the file (e.g. `/model_weights/dense_1` or `/model_weights@layer_names`), if any.
    public var object: String?
    /// What went wrong, in words.
    public var message: String
    /// HDF5's error stack, outermost call first, each frame as `"func(): desc"`. Empty when HDF5 reported nothing.
    public var stack: [String]

    /// Creates an error.
    public init(_ kind: Kind, file: String, object: String? = nil, message: String, stack: [String] = []) {
        self.kind = kind
        self.file = file
        self.object = object
        self.message = message
        self.stack = stack
    }

    /// The object path, unless it is empty or the root group `/` (which says nothing).
    public var location: String? {
        guard let object, !object.isEmpty, object != "/" else { return nil }
        return object
    }

    /// The message, with the operating system's reason when HDF5 reports one (`No space left on device`).
    public var problem: String { message + (systemReason.map { " (" + $0 + ")" } ?? "") }

    /// `<file>: [<object>: ]<problem>`, then HDF5's innermost frames when there is no system reason.
    public var description: String {
        var text = locatedDescription
        if systemReason == nil {
            // The innermost frames say what actually failed; the outer ones are "unable to open file" wrappers.
            let frames = stack.suffix(2).map { $0.replacingNewlines() }
            if !frames.isEmpty { text += " (" + frames.joined(separator: "; ") + ")" }
        }
        return text
    }

    /// The operating system's error message inside HDF5's stack (its file driver reports
    /// `errno = 28, error message = 'No space left on device'`), if any.
    public var systemReason: String? {
        for frame in stack.reversed() {
            guard let start = frame.range(of: "error message = '") else { continue }
            let rest = frame[start.upperBound...]
            guard let end = rest.firstIndex(of: "'") else { continue }
            return String(rest[..<end])
        }
        return nil
    }
}

extension String {
    fileprivate func replacingNewlines() -> String {
        split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// One frame of HDF5's error stack as captured by `H5Ewalk2`.
struct HDF5StackFrame {
    var text: String
    var minor: hid_t
}

/// Collects and clears HDF5's current error stack (call right after a C call failed, holding the lock).
func captureErrorStack() -> [HDF5StackFrame] {
    HDF5Library.synchronized {
        let stackID = H5Eget_current_stack()
        guard stackID >= 0 else { return [] }
        defer { _ = H5Eclose_stack(stackID) }
        final class Box { var frames: [HDF5StackFrame] = [] }
        let box = Box()
        let context = Unmanaged.passUnretained(box).toOpaque()
        _ = H5Ewalk2(
            stackID, H5E_WALK_DOWNWARD,
            { _, errorPointer, context in
                guard let errorPointer, let context else { return 0 }
                let error = errorPointer.pointee
                let function = error.func_name.map { String(cString: $0) } ?? "?"
                let desc = error.desc.map { String(cString: $0) } ?? ""
                let box = Unmanaged<Box>.fromOpaque(context).takeUnretainedValue()
                box.frames.append(HDF5StackFrame(text: "\(function)(): \(desc)", minor: error.min_num))
                return 0
            }, context)
        return box.frames
    }
}

/// Builds an `HDF5Error` from the current HDF5 error stack (and clears it).
///
/// `kind` is used unless the stack says more precisely what happened (not HDF5 / truncated / missing).
func currentError(_ kind: HDF5Error.Kind, file: String, object: String?, message: String) -> HDF5Error {
    let frames = captureErrorStack()
    return HDF5Error(kind, file: file, object: object, message: message, stack: frames.map(\.text))
}
