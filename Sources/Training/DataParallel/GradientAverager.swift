import Foundation
import Tensors

/// Averages the gradients of the ranks (DDP's all-reduce), bucket by bucket: small gradients are packed
/// into a buffer of `bucketBytes` so each MPI_Allreduce moves a few MB (one call per tensor would pay the
/// latency hundreds of times per step); a gradient larger than a bucket is reduced where it lies.
/// Every rank must pass the same parameters in the same order with the same gradients present (they run
/// the same model on the same kind of batch).
public final class GradientAverager {
    public let group: ProcessGroup
    public let bucketFloats: Int
    private var bucket: [Float]
    /// Seconds spent in the all-reduce calls (and packing) since the last `resetTiming()`.
    public private(set) var seconds: Double = 0
    public private(set) var calls = 0

    /// `ZOO_ALLREDUCE_BUCKET_MB` overrides the 4 MB default: each bucket pays the ring's 2(N − 1) message
    /// latencies, so jobs of hundreds of ranks want buckets of tens of MB (BENCHMARKS.md, scaling model).
    public static var defaultBucketBytes: Int {
        if let text = ProcessInfo.processInfo.environment["ZOO_ALLREDUCE_BUCKET_MB"], let mb = Int(text), mb > 0, mb <= 1 << 20 {
            return mb << 20
        }
        return 4 << 20
    }

    public init(group: ProcessGroup, bucketBytes: Int = GradientAverager.defaultBucketBytes) {
        self.group = group
        bucketFloats = max(1, bucketBytes / MemoryLayout<Float>.stride)
        bucket = [Float](repeating: 0, count: bucketFloats)
    }

    public func resetTiming() {
        seconds = 0
        calls = 0
    }

    /// Replaces each parameter's gradient with the mean over the ranks.
    public func average(_ parameters: [Tensor]) {
        guard group.isParallel else { return }
        let start = group.now()
        defer { seconds += group.now() - start }
        let scale = 1 / Float(group.size)
        var pending: [Tensor] = [], filled = 0
        func flush() {
            guard !pending.isEmpty else { return }
            bucket.withUnsafeMutableBufferPointer { buffer in
                group.allReduceSum(buffer.baseAddress!, count: filled)
                var at = 0
                for g in pending {
                    Kernels.scale(g.data, buffer.baseAddress! + at, scale, g.count)
                    at += g.count
                }
            }
            calls += 1
            pending.removeAll(keepingCapacity: true)
            filled = 0
        }
        for p in parameters {
            guard let g = p.grad, g.count > 0 else { continue }
            if g.count >= bucketFloats {
                group.allReduceSum(g.data, count: g.count)
                Kernels.scale(g.data, g.data, scale, g.count)
                calls += 1
                continue
            }
            if filled + g.count > bucketFloats { flush() }
            bucket.withUnsafeMutableBufferPointer { (buffer: inout UnsafeMutableBufferPointer<Float>) in
                (buffer.baseAddress! + filled).update(from: g.data, count: g.count)
            }
            pending.append(g)
            filled += g.count
        }
        flush()
    }
}
