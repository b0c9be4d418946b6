import Foundation
import Tensors

/// Averages the gradients of the ranks (DDP's all-reduce), bucket by bucket: small gradients are packed
/// into a buffer of `bucketFloats` so each reduction moves a few MB (one call per tensor would pay the
/// latency hundreds of times per step); a gradient larger than a bucket is reduced where it lies.
/// Every rank must pass the same parameters in the same order with the same gradients present (they run
/// the same model on the same kind of batch).
///
/// `average(_:during:)` runs around backward: each bucket starts reducing (MPI_Iallreduce) as soon as
/// backward has finished the gradients it holds, so communication overlaps the rest of backward, and only
/// what is still in flight when backward ends is waited for (PyTorch DDP's scheme); training uses it.
/// `average(_:)` reduces the same buckets after backward.
///
/// With `dtype` bf16 (`--allreduce-dtype bf16`) every gradient is rounded to bfloat16 before it is sent
/// and summed in it (PyTorch's `bf16_compress_hook`): half the bytes on the wire, for about 3 significant
/// digits in each gradient's mean. Buckets hold the same gradients as in fp32, in half the bytes.
public final class GradientAverager {
    public let group: ProcessGroup
    /// Gradient values per bucket (whatever the dtype, so buckets hold the same gradients in either).
    public let bucketFloats: Int
    public let dtype: AllReduceDType
    /// Overlapped reductions in flight at once, at most: bounds the bucket buffers to this many.
    public let maxBucketsInFlight: Int
    /// Bucket buffers of the overlapped path, reused from step to step (no page faults in the loop).
    private var freeBuffers: [UnsafeMutableRawPointer] = []
    private var allocatedBuffers: [UnsafeMutableRawPointer] = []
    /// In bf16, the buffer each gradient of a bucket's size or more is rounded into, by its place in
    /// the parameters (in fp32 such a gradient is reduced where it lies).
    private var ownBuffers: [Int: (buffer: UnsafeMutableRawPointer, count: Int)] = [:]
    /// The gradient order of the first overlapped step has been checked to be the same on every rank.
    private var orderChecked = false
    /// Seconds spent in the averager on the calling thread since the last `resetTiming()`: packing and
    /// progress calls during backward plus the wait after it, i.e. the communication time backward did
    /// not hide.
    public private(set) var seconds: Double = 0
    /// Of `seconds`, the time spent after backward waiting for reductions still in flight.
    public private(set) var waitSeconds: Double = 0
    public private(set) var calls = 0

    /// `ZOO_ALLREDUCE_BUCKET_MB` overrides the 4 MB default: each bucket pays the ring's 2(N − 1) message
    /// latencies, so jobs of hundreds of ranks want buckets of tens of MB (BENCHMARKS.md, scaling model).
    public static var defaultBucketBytes: Int {
        if let text = ProcessInfo.processInfo.environment["ZOO_ALLREDUCE_BUCKET_MB"], let mb = Int(text), mb > 0, mb <= 1 << 20 {
            return mb << 20
        }
        return 4 << 20
    }

    public init(group: ProcessGroup, bucketBytes: Int = GradientAverager.defaultBucketBytes, maxBucketsInFlight: Int = 8,
                dtype: AllReduceDType = .fp32) {
        self.group = group
        bucketFloats = max(1, bucketBytes / MemoryLayout<Float>.stride)
        self.maxBucketsInFlight = max(1, maxBucketsInFlight)
        self.dtype = dtype
    }

    deinit {
        for buffer in allocatedBuffers { buffer.deallocate() }
        for own in ownBuffers.values { own.buffer.deallocate() }
    }

    public func resetTiming() {
        seconds = 0
        waitSeconds = 0
        calls = 0
    }

    /// Replaces each parameter's gradient with the mean over the ranks, after backward: the same buckets,
    /// all started at once and waited for.
    public func average(_ parameters: [Tensor]) throws {
        try average(parameters) { _ in }
    }

    /// Runs `backward` (which must call `Tensor.backward(leafReady:)` with the hook it is given) and
    /// averages the parameters' gradients while it runs: a parameter's gradient joins the open bucket when
    /// backward has finished it, and a full bucket starts reducing at once. Parameters whose gradients
    /// backward did not announce (accumulated by earlier backward calls only) join after it, in
    /// `parameters` order. On return every gradient is the mean over the ranks.
    ///
    /// Throws when the first step finds that the ranks finished their gradients in different orders
    /// (their buckets would pair up different parameters).
    public func average(_ parameters: [Tensor], during backward: (_ leafReady: @escaping (Tensor) -> Void) throws -> Void) throws {
        guard group.isParallel else { return try backward { _ in } }
        let step = OverlappedStep(averager: self, parameters: parameters)
        try backward { [unowned step] leaf in step.ready(leaf) }
        try step.finish()
    }

    /// One step of the overlapped path: the open bucket and the reductions in flight, oldest first.
    private final class OverlappedStep {
        unowned let averager: GradientAverager
        let parameters: [Tensor]
        /// The parameters whose gradients have not joined a bucket yet, with their places in `parameters`.
        var waiting: [ObjectIdentifier: Int]
        var open: (buffer: UnsafeMutableRawPointer, tensors: [Tensor], filled: Int)?
        /// Reductions in flight: `buffer` nil when the gradient itself is being summed, `pooled` when the
        /// buffer goes back to the bucket pool once complete.
        var inFlight: [InFlight] = []
        struct InFlight {
            let reduction: PendingReduction
            let buffer: UnsafeMutableRawPointer?
            let pooled: Bool
            let tensors: [Tensor]
        }
        /// Which parameters joined, in which order, with what sizes: for the first step's check across ranks.
        var signature: UInt64 = 0xcbf2_9ce4_8422_2325

        init(averager: GradientAverager, parameters: [Tensor]) {
            self.averager = averager
            self.parameters = parameters
            waiting = Dictionary(parameters.enumerated().map { (ObjectIdentifier($1), $0) }, uniquingKeysWith: { first, _ in first })
        }

        /// Backward's hook: a leaf's gradient is final.
        func ready(_ leaf: Tensor) {
            let start = averager.group.now()
            defer { averager.seconds += averager.group.now() - start }
            add(leaf)
            // MPI moves non-blocking collectives on only inside its calls: give it one now.
            while let oldest = inFlight.first, oldest.reduction.test() { complete(inFlight.removeFirst()) }
        }

        func add(_ leaf: Tensor) {
            guard let index = waiting.removeValue(forKey: ObjectIdentifier(leaf)), let g = leaf.grad, g.count > 0 else { return }
            for word in [UInt64(index), UInt64(g.count)] { signature = (signature ^ word) &* 0x100_0000_01b3 }  // FNV-1a
            let bucketFloats = averager.bucketFloats
            if g.count >= bucketFloats {
                switch averager.dtype {
                case .fp32:
                    start(UnsafeMutableRawPointer(g.data), count: g.count, buffer: nil, pooled: false, tensors: [g])
                case .bf16:
                    let buffer = averager.ownBuffer(index, count: g.count)
                    write(g, into: buffer)
                    start(buffer, count: g.count, buffer: buffer, pooled: false, tensors: [g])
                }
                return
            }
            if let bucket = open, bucket.filled + g.count > bucketFloats { launchOpen() }
            if open == nil { open = (takeBuffer(), [], 0) }
            write(g, into: open!.buffer + open!.filled * averager.dtype.bytes)
            open!.tensors.append(g)
            open!.filled += g.count
        }

        /// A gradient's values into a buffer, in the dtype they travel in.
        func write(_ g: Tensor, into buffer: UnsafeMutableRawPointer) {
            switch averager.dtype {
            case .fp32: buffer.assumingMemoryBound(to: Float.self).update(from: g.data, count: g.count)
            case .bf16: BFloat16.round(g.data, into: buffer.assumingMemoryBound(to: UInt16.self), count: g.count)
            }
        }

        func finish() throws {
            let start = averager.group.now()
            defer { averager.seconds += averager.group.now() - start }
            for p in parameters where waiting[ObjectIdentifier(p)] != nil { add(p) }
            launchOpen()
            let waitStart = averager.group.now()
            while !inFlight.isEmpty { complete(inFlight.removeFirst()) }
            averager.waitSeconds += averager.group.now() - waitStart
            if !averager.orderChecked {
                // The same parameters in the same order on every rank, or the buckets summed unrelated gradients.
                let parts = (0..<4).map { Float((signature >> (16 * UInt64($0))) & 0xffff) }
                let all = averager.group.allGather(parts)
                let ranks = stride(from: 0, to: all.count, by: 4).map { Array(all[$0..<($0 + 4)]) }
                guard ranks.allSatisfy({ $0 == parts }) else {
                    throw DataParallelError.gradientOrderDiffers(
                        "the ranks finished their gradients in different orders (rank \(averager.group.rank)'s order "
                        + "differs from another's): every rank must run the same model on the same kind of batch")
                }
                averager.orderChecked = true
            }
        }

        func launchOpen() {
            guard let bucket = open else { return }
            open = nil
            start(bucket.buffer, count: bucket.filled, buffer: bucket.buffer, pooled: true, tensors: bucket.tensors)
        }

        func start(_ values: UnsafeMutableRawPointer, count: Int, buffer: UnsafeMutableRawPointer?, pooled: Bool, tensors: [Tensor]) {
            let group = averager.group
            let reduction: PendingReduction
            switch averager.dtype {
            case .fp32: reduction = group.startAllReduceSum(values.assumingMemoryBound(to: Float.self), count: count)
            case .bf16: reduction = group.startAllReduceSum(bfloat16: values.assumingMemoryBound(to: UInt16.self), count: count)
            }
            inFlight.append(InFlight(reduction: reduction, buffer: buffer, pooled: pooled, tensors: tensors))
            averager.calls += 1
        }

        /// A free bucket buffer; when all are in flight, waits for the oldest reduction to free one.
        func takeBuffer() -> UnsafeMutableRawPointer {
            while averager.freeBuffers.isEmpty {
                if averager.allocatedBuffers.count < averager.maxBucketsInFlight || inFlight.isEmpty {
                    let buffer = UnsafeMutableRawPointer.allocate(byteCount: averager.bucketFloats * averager.dtype.bytes, alignment: 64)
                    averager.allocatedBuffers.append(buffer)
                    return buffer
                }
                complete(inFlight.removeFirst())
            }
            return averager.freeBuffers.removeLast()
        }

        /// Waits for a reduction and writes the means back into its gradients.
        func complete(_ entry: InFlight) {
            entry.reduction.wait()
            let scale = 1 / Float(averager.group.size)
            if let buffer = entry.buffer {
                var at = 0
                for g in entry.tensors {
                    switch averager.dtype {
                    case .fp32:
                        Kernels.scale(g.data, buffer.assumingMemoryBound(to: Float.self) + at, scale, g.count)
                    case .bf16:
                        BFloat16.widen(buffer.assumingMemoryBound(to: UInt16.self) + at, into: g.data, count: g.count, scale: scale)
                    }
                    at += g.count
                }
                if entry.pooled { averager.freeBuffers.append(buffer) }
            } else {
                for g in entry.tensors { Kernels.scale(g.data, g.data, scale, g.count) }
            }
        }
    }

    /// The bf16 buffer of the parameter at `index` (a gradient of a bucket's size or more), kept from step to step.
    fileprivate func ownBuffer(_ index: Int, count: Int) -> UnsafeMutableRawPointer {
        if let (buffer, size) = ownBuffers[index] {
            if size == count { return buffer }
            buffer.deallocate()
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: count * dtype.bytes, alignment: 64)
        ownBuffers[index] = (buffer, count)
        return buffer
    }
}

/// The number type gradients travel in through the all-reduce (`--allreduce-dtype`).
public enum AllReduceDType: String, Codable, CaseIterable, Sendable {
    case fp32, bf16

    public var bytes: Int { self == .fp32 ? 4 : 2 }
}
