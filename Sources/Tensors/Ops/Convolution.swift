import Foundation

extension Tensor {
    /// 2D cross-correlation, as torch.nn.functional.conv2d, in NCHW.
    /// x [N, C, H, W], weight [O, C/groups, kh, kw], bias [O] → [N, O, Ho, Wo].
    ///
    /// Each (image, group) is one GEMM: W_g [O/g, C/g·kh·kw] · packed patches [C/g·kh·kw, Ho·Wo]
    /// (`PatchPacking`). A 1×1 convolution with stride 1 and no padding needs no packing: the image's
    /// planes already are that matrix. Many (image, group) pairs (a batch, a depthwise convolution) run
    /// side by side, one per worker; a single large one splits its GEMM and packing over the workers.
    /// Backward packs again rather than keeping the patches, which are kh·kw times the input.
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                              padding: Padding2D = .valid, dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
        precondition(x.rank == 4 && weight.rank == 4 && groups >= 1, "conv2d: input \(x.shape) and weight \(weight.shape) are not NCHW and [O, C/groups, kh, kw]")
        let n = x.shape[0], c = x.shape[1], o = weight.shape[0]
        precondition(c % groups == 0 && o % groups == 0 && weight.shape[1] == c / groups,
                     "conv2d: input \(x.shape) and weight \(weight.shape) do not fit \(groups) groups")
        if let bias { precondition(bias.shape == [o], "conv2d: bias \(bias.shape) for \(o) output channels") }
        guard let geometry = WindowGeometry(inputHeight: x.shape[2], inputWidth: x.shape[3], kernel: (weight.shape[2], weight.shape[3]),
                                            stride: stride, dilation: dilation, padding: padding) else {
            preconditionFailure("conv2d: a \(weight.shape[2])×\(weight.shape[3]) kernel (dilation \(dilation)) with padding \(padding) does not fit input \(x.shape)")
        }
        let plan = ConvolutionPlan(batch: n, inChannels: c, outChannels: o, groups: groups, geometry: geometry)
        let out = Tensor(uninitializedShape: [n, o, geometry.outputHeight, geometry.outputWidth])
        let px = x.data, pw = weight.data, po = out.data, pb = bias?.data
        plan.forEachItem { item, scratch in
            let (image, group) = (item / groups, item % groups)
            let y = po + (image * o + group * plan.groupOut) * plan.length
            if let pb {
                for j in 0..<plan.groupOut { (y + j * plan.length).update(repeating: pb[group * plan.groupOut + j], count: plan.length) }
            }
            let columns = plan.columns(px + (image * c + group * plan.groupIn) * geometry.inputPixels, scratch)
            Kernels.gemm(transA: false, transB: false, m: plan.groupOut, n: plan.length, k: plan.depth,
                         a: pw + group * plan.groupOut * plan.depth, lda: plan.depth, b: columns, ldb: plan.length,
                         beta: pb == nil ? 0 : 1, c: y, ldc: plan.length)
        }
        var inputs = [x, weight]
        if let bias { inputs.append(bias) }
        return out.recording("conv2d", inputs) { g in
            let pg = g.data
            var gx: Tensor?, gw: Tensor?, gb: Tensor?
            if x.requiresGrad {
                // dcolumns [C/g·kh·kw, L] = W_gᵀ · dy_g, scattered back onto the input (col2im).
                let t = Tensor(zeros: x.shape)
                let pgx = t.data
                plan.forEachItem { item, scratch in
                    let (image, group) = (item / groups, item % groups)
                    let dx = pgx + (image * c + group * plan.groupIn) * geometry.inputPixels
                    let target = plan.packs ? scratch : dx
                    Kernels.gemm(transA: true, transB: false, m: plan.depth, n: plan.length, k: plan.groupOut,
                                 a: pw + group * plan.groupOut * plan.depth, lda: plan.depth,
                                 b: pg + (image * o + group * plan.groupOut) * plan.length, ldb: plan.length, c: target, ldc: plan.length)
                    if plan.packs { PatchPacking.unpackAdding(scratch, channels: plan.groupIn, geometry, into: dx) }
                }
                gx = t
            }
            if weight.requiresGrad {
                // dW_g [O/g, C/g·kh·kw] = Σ_images dy_g · columnsᵀ.
                let t = Tensor(uninitializedShape: weight.shape)
                plan.accumulateOverImages(into: t.data, size: weight.count) { image, group, scratch, accumulate in
                    let columns = plan.columns(px + (image * c + group * plan.groupIn) * geometry.inputPixels, scratch)
                    Kernels.gemm(transA: false, transB: true, m: plan.groupOut, n: plan.depth, k: plan.length,
                                 a: pg + (image * o + group * plan.groupOut) * plan.length, lda: plan.length, b: columns, ldb: plan.length,
                                 beta: accumulate.adds ? 1 : 0, c: accumulate.target + group * plan.groupOut * plan.depth, ldc: plan.depth)
                }
                gw = t
            }
            if let bias, bias.requiresGrad {
                let t = Tensor(uninitializedShape: [o])
                let pgb = t.data
                Parallel.forEachChunk(o, grain: max(1, 16384 / max(n * plan.length, 1))) { r in
                    for j in r {
                        var s: Float = 0
                        for image in 0..<n {
                            let row = pg + (image * o + j) * plan.length
                            for l in 0..<plan.length { s += row[l] }
                        }
                        pgb[j] = s
                    }
                }
                gb = t
            }
            return bias == nil ? [gx, gw] : [gx, gw, gb]
        }
    }
}

/// The sizes of one convolution call and how its work is spread over the workers.
struct ConvolutionPlan {
    let batch: Int, groups: Int
    let groupIn: Int, groupOut: Int
    let geometry: WindowGeometry
    /// Rows of the packed matrix (C/g·kh·kw) and its columns (output pixels).
    let depth: Int, length: Int
    /// False for a 1×1 convolution with stride 1 and no padding: the input planes are the packed matrix.
    let packs: Bool

    init(batch: Int, inChannels: Int, outChannels: Int, groups: Int, geometry g: WindowGeometry) {
        self.batch = batch
        self.groups = groups
        self.geometry = g
        groupIn = inChannels / groups
        groupOut = outChannels / groups
        depth = groupIn * g.kernelHeight * g.kernelWidth
        length = g.outputPixels
        packs = !(g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1
                  && g.padTop == 0 && g.padBottom == 0 && g.padLeft == 0 && g.padRight == 0)
    }

    /// The packed matrix of one group of one image, written into `scratch` unless no packing is needed.
    func columns(_ planes: UnsafePointer<Float>, _ scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        guard packs else { return planes }
        PatchPacking.pack(planes, channels: groupIn, geometry, into: scratch)
        return UnsafePointer(scratch)
    }

    private func withScratch(_ body: (UnsafeMutablePointer<Float>) -> Void) {
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: packs ? max(depth * length, 1) : 1)
        defer { scratch.deallocate() }
        body(scratch)
    }

    /// `body(part, range, scratch)` for `count` items cut into `parts` contiguous ranges run side by side,
    /// each on a worker marked as such (so the GEMMs inside do not split again) with its own scratch.
    private func splitOverWorkers(_ count: Int, parts: Int, _ body: (Int, Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        Parallel.perform(parts) { part in
            Parallel.markWorker {
                withScratch { scratch in body(part, (count * part / parts)..<(count * (part + 1) / parts), scratch) }
            }
        }
    }

    /// `body(image · groups + group, scratch)` for every pair: one pair per worker when there are at
    /// least as many pairs as workers, else one after the other with each GEMM split over the workers.
    func forEachItem(_ body: (Int, UnsafeMutablePointer<Float>) -> Void) {
        let items = batch * groups
        if items >= Parallel.width && items > 1 && !Parallel.isInsideWorker {
            splitOverWorkers(items, parts: Parallel.width) { _, range, scratch in
                for item in range { body(item, scratch) }
            }
        } else {
            withScratch { scratch in
                for item in 0..<items { body(item, scratch) }
            }
        }
    }

    /// Sums a per-(image, group) contribution into `result` [size]. Images are split over the workers,
    /// each into its own partial sum, when the groups alone cannot keep them busy; otherwise groups are
    /// split and each loops over the images.
    func accumulateOverImages(into result: UnsafeMutablePointer<Float>, size: Int,
                              _ body: (Int, Int, UnsafeMutablePointer<Float>, _ accumulate: AccumulateFlag) -> Void) {
        let workers = Parallel.width
        if batch >= 2 && groups < workers {
            let parts = min(workers, batch)
            let partials = UnsafeMutablePointer<Float>.allocate(capacity: (parts - 1) * size)
            defer { partials.deallocate() }
            splitOverWorkers(batch, parts: parts) { part, images, scratch in
                let target = part == 0 ? result : partials + (part - 1) * size
                for image in images {
                    let first = image == images.lowerBound
                    for group in 0..<groups { body(image, group, scratch, AccumulateFlag(target: target, adds: !first)) }
                }
            }
            for part in 1..<parts { Kernels.addInPlace(result, partials + (part - 1) * size, size) }
        } else {
            func run(_ group: Int, _ scratch: UnsafeMutablePointer<Float>) {
                for image in 0..<batch { body(image, group, scratch, AccumulateFlag(target: result, adds: image > 0)) }
            }
            if groups >= workers && groups > 1 {
                splitOverWorkers(groups, parts: workers) { _, range, scratch in
                    for group in range { run(group, scratch) }
                }
            } else {
                withScratch { scratch in
                    for group in 0..<groups { run(group, scratch) }
                }
            }
        }
    }
}

/// Where a weight-gradient GEMM writes (`target`), and whether it adds (β = 1) to what an earlier image
/// left there.
struct AccumulateFlag {
    let target: UnsafeMutablePointer<Float>
    let adds: Bool
}
