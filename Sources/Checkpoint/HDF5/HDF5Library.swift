import CHDF5
import Foundation

/// The one door to libhdf5. Every call goes through `withLock`: the library keeps global state (open
/// identifiers, its error stack, free lists) and zoo must not depend on how it was built, so two
/// threads reading checkpoints at once take turns. The lock is recursive because a handle may be
/// closed (taking the lock again) while a locked section is still running.
enum HDF5Library {
    private static let lock = NSRecursiveLock()

    /// `H5open` once: it fills the predefined type and property-list ids (`H5T_IEEE_F32LE_g`, …)
    /// that the C headers reach through macros Swift cannot import.
    ///
    /// `H5dont_atexit` first: libhdf5's exit handler closes every id still open, and a file whose close
    /// already failed (a full disk while flushing) is left half torn down, so the handler would crash the
    /// process after zoo has reported the error. zoo closes every id itself, so the handler has nothing to do.
    private static let opened: Bool = {
        _ = H5dont_atexit()
        return H5open() >= 0
    }()

    static func withLock<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard opened else { throw CheckpointError.unreadable(file: "libhdf5", reason: "H5open failed") }
        // libhdf5 prints its error stack to stderr by default; zoo reports errors itself. In a
        // thread-safe build (Debian's) this setting is per thread, so it is set on every entry.
        H5Eset_auto2(hid_t(H5E_DEFAULT), nil, nil)
        return try body()
    }

    /// libhdf5's error stack as one line, outermost failure first, then the innermost (most specific)
    /// one: "unable to open file (truncated file: eof = 5204, …)". Clears the stack.
    static func takeErrorStack() -> String {
        var descriptions: [String] = []
        withUnsafeMutablePointer(to: &descriptions) { list in
            _ = H5Ewalk2(hid_t(H5E_DEFAULT), H5E_WALK_DOWNWARD, { _, error, data in
                if let description = error?.pointee.desc, let data {
                    data.assumingMemoryBound(to: [String].self).pointee.append(String(cString: description))
                }
                return 0
            }, list)
        }
        H5Eclear2(hid_t(H5E_DEFAULT))
        // Some descriptions carry ctime()'s newline; errors are one line.
        descriptions = descriptions.map { $0.split(whereSeparator: \.isNewline).joined(separator: " ") }
        guard let outer = descriptions.first else { return "libhdf5 reported no details" }
        guard let inner = descriptions.last, inner != outer else { return outer }
        return "\(outer) (\(inner))"
    }
}

/// Values from C macros that Swift does not import (they are casts or `H5open()` comma expressions).
enum HDF5Constant {
    static let accessReadOnly: UInt32 = 0x0000   // H5F_ACC_RDONLY
    static let accessTruncate: UInt32 = 0x0002   // H5F_ACC_TRUNC
    static let variableSize = -1                 // H5T_VARIABLE, (size_t)-1: Swift imports size_t as Int
    static let all = hid_t(H5S_ALL)
    static let defaults = hid_t(H5P_DEFAULT)
}

/// An open libhdf5 identifier, closed exactly once with the close function of its kind. Open one with
/// `HDF5Session.open` and write `defer { handle.close() }` on the next line: the `defer` both closes it
/// when the scope ends and keeps the object alive until then (Swift may otherwise free an object right
/// after its last use, while its raw id is still being passed to C). `deinit` is only a safety net.
final class HDF5Handle {
    enum Kind { case file, group, object, dataset, dataspace, datatype, attribute, propertyList }

    let id: hid_t
    let kind: Kind
    private var isOpen = true

    init(_ id: hid_t, kind: Kind) {
        self.id = id
        self.kind = kind
    }

    /// Closes the id; the status matters only for a file being written (H5Fclose flushes it).
    @discardableResult
    func close() -> herr_t {
        guard isOpen else { return 0 }
        isOpen = false
        return (try? HDF5Library.withLock { () -> herr_t in
            switch kind {
            case .file: return H5Fclose(id)
            case .group: return H5Gclose(id)
            case .object: return H5Oclose(id)
            case .dataset: return H5Dclose(id)
            case .dataspace: return H5Sclose(id)
            case .datatype: return H5Tclose(id)
            case .attribute: return H5Aclose(id)
            case .propertyList: return H5Pclose(id)
            }
        }) ?? -1
    }

    deinit { close() }
}

/// libhdf5 calls for one file: negative results become CheckpointErrors that name the file, say what
/// was being done and carry libhdf5's own explanation. Readers report `.malformed`, writers
/// `.cannotWrite`.
struct HDF5Session {
    let file: String
    let failure: (_ file: String, _ reason: String) -> CheckpointError

    static func reading(_ file: String) -> HDF5Session {
        HDF5Session(file: file) { CheckpointError.malformed(file: $0, reason: $1) }
    }

    static func writing(_ file: String) -> HDF5Session {
        HDF5Session(file: file) { CheckpointError.cannotWrite(file: $0, reason: $1) }
    }

    /// The error for a failed step, with libhdf5's error stack appended.
    func error(_ step: String) -> CheckpointError {
        failure(file, "\(step): \(HDF5Library.takeErrorStack())")
    }

    /// Wraps a freshly returned id, throwing when libhdf5 returned a negative one.
    func open(_ kind: HDF5Handle.Kind, _ id: hid_t, _ step: @autoclosure () -> String) throws -> HDF5Handle {
        guard id >= 0 else { throw error(step()) }
        return HDF5Handle(id, kind: kind)
    }

    /// Checks a herr_t (or any signed status): negative means failure.
    @discardableResult
    func check<Status: BinaryInteger>(_ status: Status, _ step: @autoclosure () -> String) throws -> Status {
        guard status >= 0 else { throw error(step()) }
        return status
    }
}
