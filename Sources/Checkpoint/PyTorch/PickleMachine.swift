import Foundation

/// A restricted pickle interpreter for what `torch.save` writes (protocols 2–5). It builds a value tree
/// and never runs anything: calls of globals become `.object` values unless they are PyTorch's own
/// rebuild functions, which are interpreted here. Globals that could run code are refused by name.
struct PickleMachine {
    /// What the interpreter knows how to build; everything else stays an opaque object.
    struct Hooks {
        /// Turns a persistent id (a storage description) into a value.
        var persistentLoad: (PickleValue) throws -> PickleValue
        /// `torch.storage._load_from_bytes(b)`: a storage serialised inside the pickle.
        var loadFromBytes: (([UInt8]) throws -> PickleValue)?
    }

    let buffer: ByteBuffer
    let file: String
    let hooks: Hooks
    /// Where the next pickle starts (legacy checkpoints hold several in a row).
    private(set) var position: Int

    init(buffer: ByteBuffer, start: Int = 0, file: String, hooks: Hooks) {
        self.buffer = buffer
        self.position = start
        self.file = file
        self.hooks = hooks
    }

    private func fail(_ reason: String) -> CheckpointError { .unsupportedPickle(file: file, reason: reason) }
    private func truncated() -> CheckpointError { .malformed(file: file, reason: "pickle data ends early (truncated?)") }

    // MARK: Reading bytes

    private mutating func byte() throws -> UInt8 {
        guard position < buffer.count else { throw truncated() }
        defer { position += 1 }
        return buffer.base.load(fromByteOffset: position, as: UInt8.self)
    }

    private mutating func bytes(_ n: Int) throws -> [UInt8] {
        guard n >= 0, position + n <= buffer.count else { throw truncated() }
        defer { position += n }
        return Array(buffer[position..<(position + n)].raw)
    }

    private mutating func uint(_ n: Int) throws -> Int {
        guard position + n <= buffer.count else { throw truncated() }
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(buffer.base.load(fromByteOffset: position + i, as: UInt8.self)) << (8 * UInt64(i)) }
        position += n
        guard v <= UInt64(Int.max) else { throw fail("length \(v) too large") }
        return Int(v)
    }

    private mutating func line() throws -> String {
        var out: [UInt8] = []
        while true {
            let b = try byte()
            if b == 0x0A { break }
            out.append(b)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func utf8(_ n: Int) throws -> String {
        let b = try bytes(n)
        guard let s = String(validating: b, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
        return s
    }

    // MARK: Running

    /// How deeply values may nest (lists in dicts in tuples …, and open MARKs). Releasing a value tree and
    /// walking it recurse once a level, so a pickle of a few bytes a level could otherwise overflow the
    /// stack; PyTorch checkpoints nest a dozen levels at most. (Python's own limit is 1,000.)
    static let maximumNesting = 1_000

    /// A stack or memo entry: the value and how deeply it nests (0 for scalars). Tuples and sets cannot
    /// change, so their nesting is recorded here; lists, dicts and objects can, so theirs is kept in the
    /// object and read from there.
    private struct Slot {
        var value: PickleValue
        var nesting: Int = 0

        var currentNesting: Int {
            switch value {
            case let .list(l): return l.nesting
            case let .dict(d): return d.nesting
            case let .object(o): return o.nesting
            default: return nesting
            }
        }
    }

    /// Nesting of a container holding `children`; lists, dicts and objects among them are marked as
    /// contained from now on.
    private func contain(_ children: [Slot]) throws -> Int {
        var deepest = 0
        for child in children {
            deepest = max(deepest, child.currentNesting)
            switch child.value {
            case let .list(l): l.isContained = true
            case let .dict(d): d.isContained = true
            case let .object(o): o.isContained = true
            default: break
            }
        }
        guard deepest < Self.maximumNesting else { throw fail("values nest deeper than \(Self.maximumNesting) levels") }
        return deepest + 1
    }

    /// Records that `children` were added to a list, dict or object. One that already sits inside another
    /// value may not grow deeper (its container's recorded nesting would go stale); `torch.save` fills
    /// every container before it places it, so only cycles and crafted files do that. The children's
    /// nesting is read before the target's is written: a list appended to itself is one of them.
    private func grow(_ target: PickleValue, adding children: [Slot]) throws {
        let needed = try contain(children)
        func grown(_ nesting: Int, isContained: Bool) throws -> Int {
            guard needed > nesting else { return nesting }
            guard !isContained else { throw fail("a list, dict or object grows deeper after being placed in another (a cycle?)") }
            return needed
        }
        switch target {
        case let .list(l): l.nesting = try grown(l.nesting, isContained: l.isContained)
        case let .dict(d): d.nesting = try grown(d.nesting, isContained: d.isContained)
        case let .object(o): o.nesting = try grown(o.nesting, isContained: o.isContained)
        default: break
        }
    }

    /// Runs one pickle to its STOP and returns the value.
    mutating func load() throws -> PickleValue {
        var stack: [Slot] = []
        var marks: [Int] = []
        var memo: [Int: Slot] = [:]

        func push(_ value: PickleValue, nesting: Int = 0) { stack.append(Slot(value: value, nesting: nesting)) }
        func pop() throws -> Slot {
            guard let v = stack.popLast() else { throw fail("stack underflow") }
            return v
        }
        func popMark() throws -> [Slot] {
            guard let m = marks.popLast(), m <= stack.count else { throw fail("MARK missing") }
            defer { stack.removeSubrange(m...) }
            return Array(stack[m...])
        }
        func top() throws -> Slot {
            guard let v = stack.last else { throw fail("stack underflow") }
            return v
        }
        /// A tuple of `items`, or a new list, dict or object holding them.
        func pushTuple(_ items: [Slot]) throws { push(.tuple(items.map(\.value)), nesting: try contain(items)) }
        /// REDUCE and friends: what the call builds nests no deeper than its arguments did.
        func pushCall(_ callee: Slot, _ arguments: Slot) throws {
            guard case let .tuple(args) = arguments.value else { throw fail("call arguments are not a tuple") }
            let nesting = try contain([arguments])
            let result = try call(callee.value, args)
            switch result {
            case let .list(l): l.nesting = max(l.nesting, nesting)
            case let .dict(d): d.nesting = max(d.nesting, nesting)
            case let .object(o): o.nesting = max(o.nesting, nesting)
            default: break
            }
            push(result, nesting: nesting)
        }

        while true {
            let opcode = try byte()
            switch opcode {
            case 0x80: _ = try byte()                                   // PROTO
            case 0x95: _ = try uint(8)                                  // FRAME (frames are contiguous)
            case 0x2E: return try pop().value                           // STOP
            case 0x28:                                                  // MARK
                guard marks.count < Self.maximumNesting else { throw fail("MARKs nest deeper than \(Self.maximumNesting) levels") }
                marks.append(stack.count)
            case 0x30: _ = try pop()                                    // POP
            case 0x31: _ = try popMark()                                // POP_MARK
            case 0x32: stack.append(try top())                          // DUP
            case 0x4E: push(.none)                                      // NONE
            case 0x88: push(.bool(true))                                // NEWTRUE
            case 0x89: push(.bool(false))                               // NEWFALSE
            case 0x4B: push(.int(try uint(1)))                          // BININT1
            case 0x4D: push(.int(try uint(2)))                          // BININT2
            case 0x4A: push(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))  // BININT
            case 0x8A: push(Self.long(try bytes(try uint(1))))          // LONG1
            case 0x8B: push(Self.long(try bytes(try uint(4))))          // LONG4
            case 0x49:                                                  // INT (text)
                let text = try line()
                if text == "01" { push(.bool(true)) } else if text == "00" { push(.bool(false)) } else {
                    guard let v = Int(text) else { throw fail("bad INT \(text.prefix(40))") }
                    push(.int(v))
                }
            case 0x4C:                                                  // LONG (text)
                let text = try line()
                guard let v = Int(text.hasSuffix("L") ? String(text.dropLast()) : text) else { throw fail("LONG \(text.prefix(40)) too large") }
                push(.int(v))
            case 0x47:                                                  // BINFLOAT (big-endian)
                var v: UInt64 = 0
                for b in try bytes(8) { v = v << 8 | UInt64(b) }
                push(.float(Double(bitPattern: v)))
            case 0x46:                                                  // FLOAT (text)
                guard let v = Double(try line()) else { throw fail("bad FLOAT") }
                push(.float(v))
            case 0x58: push(.string(try utf8(try uint(4))))            // BINUNICODE
            case 0x8C: push(.string(try utf8(try uint(1))))            // SHORT_BINUNICODE
            case 0x8D: push(.string(try utf8(try uint(8))))            // BINUNICODE8
            case 0x56: push(.string(try line()))                       // UNICODE (raw-unicode-escape; ASCII here)
            case 0x54: push(.string(String(decoding: try bytes(try uint(4)), as: UTF8.self)))  // BINSTRING
            case 0x55: push(.string(String(decoding: try bytes(try uint(1)), as: UTF8.self)))  // SHORT_BINSTRING
            case 0x53:                                                  // STRING (quoted text)
                var text = try line()
                if text.count >= 2, let f = text.first, f == "'" || f == "\"" { text = String(text.dropFirst().dropLast()) }
                push(.string(text))
            case 0x42: push(.bytes(try bytes(try uint(4))))            // BINBYTES
            case 0x43: push(.bytes(try bytes(try uint(1))))            // SHORT_BINBYTES
            case 0x8E: push(.bytes(try bytes(try uint(8))))            // BINBYTES8
            case 0x96: push(.bytes(try bytes(try uint(8))))            // BYTEARRAY8
            case 0x29: push(.tuple([]), nesting: 1)                     // EMPTY_TUPLE
            case 0x74: try pushTuple(try popMark())                     // TUPLE
            case 0x85: try pushTuple([try pop()])                       // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); try pushTuple([a, b])          // TUPLE2
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); try pushTuple([a, b, c])  // TUPLE3
            case 0x5D: push(.list(PickleList()))                        // EMPTY_LIST
            case 0x6C:                                                  // LIST
                let items = try popMark()
                let l = PickleList(items.map(\.value))
                l.nesting = try contain(items)
                push(.list(l))
            case 0x61:                                                  // APPEND
                let v = try pop()
                guard case let .list(l) = try top().value else { throw fail("APPEND to a non-list") }
                try grow(.list(l), adding: [v])
                l.items.append(v.value)
            case 0x65:                                                  // APPENDS
                let items = try popMark()
                guard case let .list(l) = try top().value else { throw fail("APPENDS to a non-list") }
                try grow(.list(l), adding: items)
                l.items += items.map(\.value)
            case 0x7D: push(.dict(PickleDict()))                        // EMPTY_DICT
            case 0x64:                                                  // DICT
                let items = try popMark()
                let d = PickleDict()
                d.nesting = try contain(items)
                for i in stride(from: 0, to: items.count - 1, by: 2) { d.set(items[i].value, items[i + 1].value) }
                push(.dict(d))
            case 0x73:                                                  // SETITEM
                let v = try pop(), k = try pop()
                try setItems([k, v], on: try top().value)
            case 0x75:                                                  // SETITEMS
                let items = try popMark()
                try setItems(items, on: try top().value)
            case 0x8F: push(.set([]), nesting: 1)                       // EMPTY_SET
            case 0x90:                                                  // ADDITEMS
                let items = try popMark()
                let existing = try pop()
                guard case let .set(values) = existing.value else { throw fail("ADDITEMS to a non-set") }
                push(.set(values + items.map(\.value)), nesting: max(existing.nesting, try contain(items)))
            case 0x91:                                                  // FROZENSET
                let items = try popMark()
                push(.set(items.map(\.value)), nesting: try contain(items))
            case 0x63:                                                  // GLOBAL
                let module = try line(), name = try line()
                push(try global(module, name))
            case 0x93:                                                  // STACK_GLOBAL
                guard case let .string(name) = try pop().value, case let .string(module) = try pop().value else {
                    throw fail("STACK_GLOBAL needs strings")
                }
                push(try global(module, name))
            case 0x52, 0x81:                                            // REDUCE, NEWOBJ
                let arguments = try pop()
                try pushCall(try pop(), arguments)
            case 0x92:                                                  // NEWOBJ_EX
                _ = try pop()  // kwargs
                let arguments = try pop()
                try pushCall(try pop(), arguments)
            case 0x62:                                                  // BUILD
                let state = try pop()
                if case let .object(o) = try top().value {
                    try grow(.object(o), adding: [state])
                    o.state = state.value
                }
                // BUILD on tensors (hooks, Parameter state) or dicts changes nothing zoo reads.
            case 0x71: memo[try uint(1)] = try top()                    // BINPUT
            case 0x72: memo[try uint(4)] = try top()                    // LONG_BINPUT
            case 0x70:                                                  // PUT
                guard let i = Int(try line()) else { throw fail("bad PUT") }
                memo[i] = try top()
            case 0x94: memo[memo.count] = try top()                     // MEMOIZE
            case 0x68, 0x6A, 0x67:                                      // BINGET, LONG_BINGET, GET
                let i: Int
                if opcode == 0x67 {
                    guard let v = Int(try line()) else { throw fail("bad GET") }
                    i = v
                } else {
                    i = try uint(opcode == 0x68 ? 1 : 4)
                }
                guard let v = memo[i] else { throw fail("memo entry \(i) is missing") }
                stack.append(v)
            case 0x51: push(try hooks.persistentLoad(try pop().value))  // BINPERSID
            case 0x50: push(try hooks.persistentLoad(.string(try line())))  // PERSID
            default:
                throw fail(String(format: "opcode 0x%02x at byte %d is not supported", opcode, position - 1))
            }
        }
    }

    private func setItems(_ items: [Slot], on target: PickleValue) throws {
        guard case let .dict(d) = target else {
            // SETITEMS on an opaque object (e.g. a dict subclass) adds nothing zoo needs.
            if case .object = target { return }
            throw fail("SETITEM on a non-dict")
        }
        try grow(target, adding: items)
        for i in stride(from: 0, to: items.count - 1, by: 2) { d.set(items[i].value, items[i + 1].value) }
    }

    /// Python's little-endian two's-complement LONG encoding.
    static func long(_ b: [UInt8]) -> PickleValue {
        if b.isEmpty { return .int(0) }
        if b.count > 8 { return .bigInt(b) }
        var v: UInt64 = 0
        for (i, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
        if b.count < 8, b.last! & 0x80 != 0 { v |= ~0 << (8 * UInt64(b.count)) }  // sign-extend
        return .int(Int(Int64(bitPattern: v)))
    }

    // MARK: Globals

    /// Modules whose functions can run code, touch files or processes, or reach other objects' methods.
    static let unsafeModules: Set<String> = [
        "os", "posix", "nt", "subprocess", "sys", "shutil", "socket", "importlib", "runpy", "pty", "ctypes", "code", "codeop",
        "marshal", "pickle", "_pickle", "webbrowser", "commands", "multiprocessing", "signal", "asyncio", "pdb", "bdb", "timeit",
        "tempfile", "io", "pathlib", "glob", "threading", "_thread", "operator", "functools", "types", "inspect", "gc", "platform",
    ]
    /// The builtins that only construct plain values.
    static let safeBuiltins: Set<String> = [
        "set", "frozenset", "list", "dict", "tuple", "int", "float", "complex", "bool", "str", "bytes", "bytearray", "slice", "range", "object",
    ]

    private func global(_ module: String, _ name: String) throws -> PickleValue {
        let root = module.split(separator: ".").first.map(String.init) ?? module
        if Self.unsafeModules.contains(root) || ((root == "builtins" || root == "__builtin__") && !Self.safeBuiltins.contains(name))
            || name.hasPrefix("__") {
            throw CheckpointError.unsafePickle(file: file, global: "\(module).\(name)")
        }
        return .global(module: module, name: name)
    }

    /// What calling `callee(*args)` means for a checkpoint, without calling anything.
    private func call(_ callee: PickleValue, _ args: [PickleValue]) throws -> PickleValue {
        guard case let .global(module, name) = callee else {
            throw fail("call of a non-global (\(callee.summary(limit: 60)))")
        }
        switch (module, name) {
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            guard args.count >= 4, case let .storage(storage) = args[0], let offset = args[1].intValue,
                  case let .tuple(size) = args[2], case let .tuple(stride) = args[3] else {
                throw fail("\(name) with unexpected arguments")
            }
            let shape = size.compactMap(\.intValue), strides = stride.compactMap(\.intValue)
            guard shape.count == size.count, strides.count == stride.count, shape.count == strides.count else {
                throw fail("\(name): size and stride must be integer tuples of one length")
            }
            return .tensor(TorchTensor(storage: storage, storageOffset: offset, shape: shape, strides: strides))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            guard let data = args.first else { throw fail("\(name) without data") }
            return data
        case ("collections", "OrderedDict"):
            let d = PickleDict()
            if case let .list(pairs)? = args.first {
                for case let .tuple(kv) in pairs.items where kv.count == 2 { d.set(kv[0], kv[1]) }
            }
            return .dict(d)
        case ("builtins", "set"), ("builtins", "frozenset"), ("__builtin__", "set"), ("__builtin__", "frozenset"):
            if case let .list(items)? = args.first { return .set(items.items) }
            return .set([])
        case ("_codecs", "encode"):
            // Protocol 2 has no bytes opcode: bytes are pickled as encode(str, 'latin1').
            guard args.count == 2, case let .string(text) = args[0], ["latin1", "latin-1", "iso-8859-1"].contains(args[1].stringValue ?? "") else {
                throw fail("_codecs.encode with unexpected arguments")
            }
            var out: [UInt8] = []
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else { throw fail("_codecs.encode: character outside latin-1") }
                out.append(UInt8(scalar.value))
            }
            return .bytes(out)
        case ("torch.storage", "_load_from_bytes"):
            guard let loader = hooks.loadFromBytes, case let .bytes(b)? = args.first else { throw fail("_load_from_bytes without bytes") }
            return try loader(b)
        default:
            return .object(PickleObject(callee: (module, name), arguments: args))
        }
    }
}
