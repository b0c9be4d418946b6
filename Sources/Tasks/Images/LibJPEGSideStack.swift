import CJPEG
import Foundation

// libjpeg reports a fatal error by calling `error_exit`, which must never return: the library's state is
// undefined after it, and its default handler calls exit(). C programs longjmp out of the handler, but Swift
// cannot call setjmp (a function that returns twice). Validating files in Swift before decoding cannot cover
// every path to `error_exit` either (bad Huffman tables, bad progression parameters, unknown markers inside
// the scan data, …).
//
// So every libjpeg call runs on a side stack (POSIX ucontext): the caller switches to it, and the handler
// abandons it by switching straight back to the caller. libjpeg's frames on the side stack are simply dropped;
// the caller then calls jpeg_destroy, which frees everything the library allocated — exactly what a C program
// does after its longjmp. From the caller's point of view `swapcontext` returns once, normally, so none of
// setjmp's hazards apply. Warnings (libjpeg's word for corrupt data it patches with gray) leave the same way:
// a training set must not silently contain half-gray faces.
//
// Code that runs on the side stack must hold no Swift references (their releases would be dropped with the
// frames), so the work functions are @convention(c) and see only raw pointers.

/// One libjpeg operation's state: the two contexts and what went wrong. Plain C data, no references.
struct LibJPEGCall {
    var caller = ucontext_t()
    var side = ucontext_t()
    var work: (@convention(c) (UnsafeMutableRawPointer) -> Void)?
    var context: UnsafeMutableRawPointer?
    /// Set when libjpeg reported an error or a warning; `error.msg_code` then says which.
    var failed = false
    var message = (Int64(0), Int64(0), Int64(0), Int64(0), Int64(0), Int64(0), Int64(0), Int64(0), Int64(0), Int64(0),
                   Int64(0), Int64(0), Int64(0), Int64(0), Int64(0), Int64(0), Int64(0), Int64(0), Int64(0), Int64(0),
                   Int64(0), Int64(0), Int64(0), Int64(0), Int64(0), Int64(0))  // ≥ JMSG_LENGTH_MAX (200) bytes
    var error = jpeg_error_mgr()
}

/// The ucontext functions: glibc has them, but Swift's Glibc module does not import <ucontext.h>, and
/// makecontext is variadic (which Swift cannot call), so they are looked up by name with the fixed signatures
/// used here. makecontext is always called with no variadic arguments, which the x86-64 and AArch64 Linux
/// calling conventions pass exactly like a non-variadic call.
private enum UContext {
    typealias GetContext = @convention(c) (UnsafeMutablePointer<ucontext_t>) -> Int32
    typealias SetContext = @convention(c) (UnsafePointer<ucontext_t>) -> Int32
    typealias SwapContext = @convention(c) (UnsafeMutablePointer<ucontext_t>, UnsafePointer<ucontext_t>) -> Int32
    typealias MakeContext = @convention(c) (UnsafeMutablePointer<ucontext_t>, @convention(c) () -> Void, Int32) -> Void

    static let functions: (get: GetContext, set: SetContext, swap: SwapContext, make: MakeContext) = {
        let process = dlopen(nil, RTLD_NOW)
        func symbol<T>(_ name: String, _: T.Type) -> T {
            guard let p = dlsym(process, name) else { fatalError("libc has no \(name); cannot run libjpeg safely") }
            return unsafeBitCast(p, to: T.self)
        }
        return (symbol("getcontext", GetContext.self), symbol("setcontext", SetContext.self),
                symbol("swapcontext", SwapContext.self), symbol("makecontext", MakeContext.self))
    }()

    /// makecontext's entry point takes no arguments, so the call is found through a thread-specific slot.
    static let currentCall: pthread_key_t = {
        var key = pthread_key_t()
        guard pthread_key_create(&key, nil) == 0 else { fatalError("pthread_key_create failed") }
        return key
    }()
}

/// A side stack: 1 MiB is far more than libjpeg needs (a few KiB), and only touched pages cost memory. A guard
/// page below it turns an overflow into a crash instead of silent corruption. Each thread keeps one for reuse
/// (mapping a fresh one per call costs more than decoding a small JPEG).
private enum SideStack {
    static let size = 1 << 20
    static let guardSize = 4096

    static let cached: pthread_key_t = {
        var key = pthread_key_t()
        guard pthread_key_create(&key, { stack in if let stack { SideStack.release(stack) } }) == 0 else {
            fatalError("pthread_key_create failed")
        }
        return key
    }()

    /// The thread's cached stack, taken out of the cache while in use (a nested call would map its own).
    static func take() -> UnsafeMutableRawPointer {
        if let stack = pthread_getspecific(cached) {
            pthread_setspecific(cached, nil)
            return stack
        }
        guard let memory = mmap(nil, size + guardSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              memory != MAP_FAILED else {
            fatalError("cannot map a stack for libjpeg: \(String(cString: strerror(errno)))")
        }
        mprotect(memory, guardSize, PROT_NONE)
        return memory + guardSize
    }

    static func putBack(_ stack: UnsafeMutableRawPointer) {
        if pthread_getspecific(cached) == nil { pthread_setspecific(cached, stack) } else { release(stack) }
    }

    static func release(_ stack: UnsafeMutableRawPointer) {
        munmap(stack - guardSize, size + guardSize)
    }
}

/// Entry point of the side stack: runs the work, then goes back to the caller.
private let sideEntry: @convention(c) () -> Void = {
    let call = pthread_getspecific(UContext.currentCall)!.assumingMemoryBound(to: LibJPEGCall.self)
    call.pointee.work!(call.pointee.context!)
    _ = UContext.functions.set(call.callerContext)
}

/// libjpeg's error_exit and (for warnings) emit_message: record the message and abandon the side stack.
private func leaveSideStack(_ info: j_common_ptr) {
    let call = info.pointee.client_data.assumingMemoryBound(to: LibJPEGCall.self)
    call.pointee.failed = true
    info.pointee.err.pointee.format_message!(info, call.messageBuffer)
    _ = UContext.functions.set(call.callerContext)
    fatalError("setcontext returned")  // unreachable: setcontext only returns on failure
}

private let errorExit: @convention(c) (j_common_ptr?) -> Void = { info in leaveSideStack(info!) }
private let emitMessage: @convention(c) (j_common_ptr?, Int32) -> Void = { info, level in
    // Levels ≥ 0 are trace messages (ignored); −1 is a warning, which means damaged data.
    if level < 0 { leaveSideStack(info!) }
}
private let outputMessage: @convention(c) (j_common_ptr?) -> Void = { _ in }

/// Where the fields live, computed once on the caller's stack so that code on the side stack does plain
/// pointer arithmetic (no key-path objects, whose retains would be dropped with the side stack).
private enum Offset {
    static let caller = MemoryLayout<LibJPEGCall>.offset(of: \.caller)!
    static let side = MemoryLayout<LibJPEGCall>.offset(of: \.side)!
    static let message = MemoryLayout<LibJPEGCall>.offset(of: \.message)!
    static let error = MemoryLayout<LibJPEGCall>.offset(of: \.error)!
}

private extension UnsafeMutablePointer where Pointee == LibJPEGCall {
    var callerContext: UnsafeMutablePointer<ucontext_t> { (UnsafeMutableRawPointer(self) + Offset.caller).assumingMemoryBound(to: ucontext_t.self) }
    var sideContext: UnsafeMutablePointer<ucontext_t> { (UnsafeMutableRawPointer(self) + Offset.side).assumingMemoryBound(to: ucontext_t.self) }
    var messageBuffer: UnsafeMutablePointer<CChar> { (UnsafeMutableRawPointer(self) + Offset.message).assumingMemoryBound(to: CChar.self) }
}

extension LibJPEGCall {
    /// Makes `call` libjpeg's error manager; `info.client_data` must point at `call`.
    static func installErrorManager(_ call: UnsafeMutablePointer<LibJPEGCall>) -> UnsafeMutablePointer<jpeg_error_mgr> {
        let manager = (UnsafeMutableRawPointer(call) + Offset.error).assumingMemoryBound(to: jpeg_error_mgr.self)
        _ = jpeg_std_error(manager)
        manager.pointee.error_exit = errorExit
        manager.pointee.emit_message = emitMessage
        manager.pointee.output_message = outputMessage
        return manager
    }

    /// Runs `work(context)` on a side stack; false when libjpeg reported an error or warning (then
    /// `failed`, `message` and `error.msg_code` say what, and the libjpeg object must be destroyed).
    static func run(_ call: UnsafeMutablePointer<LibJPEGCall>, _ work: @convention(c) (UnsafeMutableRawPointer) -> Void,
                    context: UnsafeMutableRawPointer) -> Bool {
        let stack = SideStack.take()
        defer { SideStack.putBack(stack) }

        let c = UContext.functions
        _ = (Offset.caller, Offset.side, Offset.message)  // initialise the offsets here, not on the side stack
        call.pointee.work = work
        call.pointee.context = context
        call.pointee.failed = false
        let side = call.sideContext
        guard c.get(side) == 0 else { fatalError("getcontext failed") }
        side.pointee.uc_stack.ss_sp = stack
        side.pointee.uc_stack.ss_size = SideStack.size
        side.pointee.uc_link = call.callerContext
        c.make(side, sideEntry, 0)

        let previous = pthread_getspecific(UContext.currentCall)
        pthread_setspecific(UContext.currentCall, call)
        defer { pthread_setspecific(UContext.currentCall, previous) }
        guard c.swap(call.callerContext, side) == 0 else { fatalError("swapcontext failed") }
        return !call.pointee.failed
    }

    /// libjpeg's message for the failure, e.g. "Premature end of JPEG file".
    var failureMessage: String {
        var copy = message
        return withUnsafeBytes(of: &copy) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
    }

    /// The unformatted message template of the failure (to recognise one without jerror.h's codes).
    var failureTemplate: String? {
        guard failed, let table = error.jpeg_message_table, error.msg_code >= 0, error.msg_code <= error.last_jpeg_message,
              let text = table[Int(error.msg_code)] else { return nil }
        return String(cString: text)
    }
}
