import Foundation
import Tensors
import TensorTesting
import XCTest

/// The convolutional ops against float64 central differences, and the window sizes against hand-worked
/// PyTorch values. (Values against PyTorch itself: Tests/ZooTests/ConvLayerParityTests.swift.)
final class ConvolutionOpTests: XCTestCase {
    func testConvolutionGradientsInEveryConfiguration() {
        let configurations: [(x: [Int], w: [Int], stride: (Int, Int), padding: Padding2D, dilation: (Int, Int), groups: Int, bias: Bool)] = [
            ([2, 3, 5, 6], [4, 3, 3, 3], (1, 1), .symmetric(1, 1), (1, 1), 1, true),
            ([2, 3, 7, 6], [4, 3, 3, 2], (2, 2), .same, (1, 1), 1, false),
            ([1, 4, 6, 6], [6, 2, 3, 3], (1, 2), .valid, (1, 1), 2, true),
            ([2, 4, 5, 5], [8, 1, 3, 3], (2, 1), .symmetric(1, 1), (1, 1), 4, true),  // depthwise, multiplier 2
            ([2, 2, 7, 7], [3, 2, 3, 3], (1, 1), .symmetric(2, 2), (2, 2), 1, true),
            ([2, 5, 3, 4], [3, 5, 1, 1], (1, 1), .valid, (1, 1), 1, true),  // pointwise: no packing
            ([1, 3, 5, 5], [2, 3, 3, 3], (1, 1), .explicit(top: 0, bottom: 2, left: 1, right: 0), (1, 1), 1, true),
        ]
        for (i, c) in configurations.enumerated() {
            let x = randomTensor(c.x, seed: UInt64(100 + i)), w = randomTensor(c.w, seed: UInt64(200 + i), std: 0.5)
            let b = randomTensor([c.w[0]], seed: UInt64(300 + i))
            GradientCheck.check(c.bias ? [x, w, b] : [x, w]) { t in
                Tensor.conv2d(t[0], weight: t[1], bias: c.bias ? t[2] : nil, stride: c.stride, padding: c.padding,
                              dilation: c.dilation, groups: c.groups)
            }
        }
    }

    /// A batch large enough that images run side by side, each worker summing its own weight gradient.
    func testConvolutionBatchSplitOverWorkersMatchesImageByImage() {
        let x = randomTensor([9, 3, 6, 5], seed: 1), w = randomTensor([4, 3, 3, 3], seed: 2)
        let g = randomTensor([9, 4, 6, 5], seed: 3)
        w.requiresGrad = true
        Tensor.conv2d(x, weight: w, padding: .same).backward(g)
        var expected = [Float](repeating: 0, count: w.count)
        for n in 0..<9 {
            let wi = w.detached().copy()
            wi.requiresGrad = true
            Tensor.conv2d(x.sliced(dim: 0, n..<(n + 1)), weight: wi, padding: .same).backward(g.sliced(dim: 0, n..<(n + 1)))
            for (k, v) in wi.grad!.scalars.enumerated() { expected[k] += v }
        }
        assertClose(w.grad!.scalars, expected, tol: 1e-5)
    }

    func testConvolutionByHand() {
        // 1×1×3×3 ramp, 2×2 kernel of ones, padding 1 on the left only: sums of 2×2 windows.
        let x = Tensor((1...9).map(Float.init), shape: [1, 1, 3, 3])
        let y = Tensor.conv2d(x, weight: Tensor(repeating: 1, shape: [1, 1, 2, 2]), bias: Tensor([10], shape: [1]),
                              padding: .explicit(top: 0, bottom: 0, left: 1, right: 0))
        XCTAssertEqual(y.shape, [1, 1, 2, 3])
        XCTAssertEqual(y.scalars, [15, 22, 26, 21, 34, 38])
    }

    func testWindowSizesFollowPyTorchAndKeras() {
        func size(_ n: Int, _ k: Int, _ s: Int, _ p: Padding2D, ceil: Bool = false) -> Int? {
            WindowGeometry(inputHeight: n, inputWidth: n, kernel: (k, k), stride: (s, s), padding: p, ceilMode: ceil)?.outputHeight
        }
        // PyTorch MaxPool2d(3, 2): floor((10 − 3)/2) + 1 = 4; ceil_mode 5.
        XCTAssertEqual(size(10, 3, 2, .valid), 4)
        XCTAssertEqual(size(10, 3, 2, .valid, ceil: true), 5)
        // ceil_mode's rule that the last window starts inside the input or the left padding: n = 5, k = 2,
        // s = 2, p = 1 gives ceil(5/2) + 1 = 4 windows, but the 4th would start at 6 ≥ 5 + 1: 3.
        XCTAssertEqual(size(5, 2, 2, .symmetric(1, 1), ceil: true), 3)
        XCTAssertEqual(size(4, 2, 2, .symmetric(1, 1), ceil: true), 3)
        // MTCNN's P-Net pool (2, 2, ceil) on odd sizes.
        XCTAssertEqual(size(13, 2, 2, .valid, ceil: true), 7)
        // Keras "same": ceil(n / s), padding total (out − 1)·s + k − n, the odd pixel after.
        let g = WindowGeometry(inputHeight: 8, inputWidth: 9, kernel: (3, 3), stride: (2, 2), padding: .same)!
        XCTAssertEqual([g.outputHeight, g.outputWidth, g.padTop, g.padBottom, g.padLeft, g.padRight], [4, 5, 0, 1, 1, 1])
        XCTAssertNil(size(2, 3, 1, .valid), "a window larger than the input has no output")
    }

    func testBatchNormGradientsInBothModes() {
        let x = randomTensor([3, 4, 2, 3], seed: 10), w = randomTensor([4], seed: 11), b = randomTensor([4], seed: 12)
        let mean = randomTensor([4], seed: 13), variance = Tensor(randomTensor([4], seed: 14).scalars.map { 0.5 + abs($0) }, shape: [4])
        for training in [false, true] {
            GradientCheck.check([x, w, b]) { t in
                Tensor.batchNorm(t[0], weight: t[1], bias: t[2], runningMean: mean.copy(), runningVariance: variance.copy(),
                                 training: training, eps: 1e-3)
            }
        }
        // Without affine parameters, on [N, C] (BatchNorm1d's shape).
        GradientCheck.check([randomTensor([5, 3], seed: 15)]) { t in
            Tensor.batchNorm(t[0], weight: nil, bias: nil, runningMean: nil, runningVariance: nil, training: true)
        }
    }

    func testBatchNormRunningUpdateByHand() {
        // One channel, values 1…4: mean 2.5, biased variance 1.25, unbiased 5/3.
        let x = Tensor([1, 2, 3, 4], shape: [2, 1, 2])
        let mean = Tensor([1], shape: [1]), variance = Tensor([2], shape: [1])
        let y = Tensor.batchNorm(x, weight: nil, bias: nil, runningMean: mean, runningVariance: variance, training: true, momentum: 0.1, eps: 0)
        assertClose(y.scalars, [-1.5, -0.5, 0.5, 1.5].map { Float($0 / 1.25.squareRoot()) }, tol: 1e-6)
        assertClose(mean.scalars, [0.9 * 1 + 0.1 * 2.5], tol: 1e-7)
        assertClose(variance.scalars, [0.9 * 2 + 0.1 * 5 / 3], tol: 1e-7)
        let keras = Tensor([2], shape: [1])
        _ = Tensor.batchNorm(x, weight: nil, bias: nil, runningMean: Tensor([1], shape: [1]), runningVariance: keras,
                             training: true, momentum: 0.01, eps: 0, unbiasedRunningVariance: false)
        assertClose(keras.scalars, [0.99 * 2 + 0.01 * 1.25], tol: 1e-7)
    }

    func testRectifierGradients() {
        // Values kept away from the kink at 0, where a finite difference straddles two slopes.
        let x = Tensor(randomTensor([2, 3, 4], seed: 20).scalars.map { $0 + ($0 >= 0 ? 0.1 : -0.1) }, shape: [2, 3, 4])
        GradientCheck.check([x]) { $0[0].relu() }
        GradientCheck.check([x, randomTensor([3], seed: 21)]) { Tensor.prelu($0[0], weight: $0[1]) }
        GradientCheck.check([x, Tensor([0.3], shape: [1])]) { Tensor.prelu($0[0], weight: $0[1]) }
        XCTAssertEqual(Tensor([-2, 0, 3], shape: [1, 3]).relu().scalars, [0, 0, 3])
        XCTAssertEqual(Tensor.prelu(Tensor([-2, 0, 3, -1], shape: [1, 2, 2]), weight: Tensor([0.5, 2], shape: [2])).scalars, [-1, 0, 3, -2])
    }

    func testMaxPoolGradientsAndTies() {
        // Distinct values 0.1 apart (a finite-difference step cannot reorder them), shuffled.
        let n = 2 * 2 * 7 * 9
        let order = (0..<n).map { ($0 * 37) % n }
        let x = Tensor(order.map { Float($0) * 0.1 }, shape: [2, 2, 7, 9])
        for (k, s, p, ceil) in [(3, 2, Padding2D.valid, true), (2, 2, .valid, true), (3, 2, .symmetric(1, 1), false), (3, 2, .same, false)] {
            GradientCheck.check([x]) { Tensor.maxPool2d($0[0], kernel: (k, k), stride: (s, s), padding: p, ceilMode: ceil) }
        }
        // A tie keeps the first maximum in scan order, as PyTorch: its gradient goes there only.
        let tie = Tensor([5, 5, 1, 5], shape: [1, 1, 2, 2], requiresGrad: true)
        Tensor.maxPool2d(tie, kernel: (2, 2)).sum().backward()
        XCTAssertEqual(tie.grad!.scalars, [1, 0, 0, 0])
    }

    func testGlobalAveragePoolSoftmaxAndFlatten() {
        let x = randomTensor([2, 3, 4, 5], seed: 30)
        GradientCheck.check([x]) { $0[0].globalAveragePooled() }
        XCTAssertEqual(x.globalAveragePooled(keepDims: true).shape, [2, 3, 1, 1])
        for dim in [0, 1, 2, -1] {
            GradientCheck.check([x]) { $0[0].softmax(dim: dim) }
        }
        // Along the channels every pixel's column sums to 1 and matches the last-dim softmax of the permuted tensor.
        let s = x.softmax(dim: 1)
        assertClose(s.permuted([0, 2, 3, 1]).scalars, x.permuted([0, 2, 3, 1]).softmax().scalars, tol: 1e-6)
        GradientCheck.check([x]) { $0[0].flattened() }
        XCTAssertEqual(x.flattened().shape, [2, 60])
        XCTAssertEqual(x.flattened(startDim: 1, endDim: 2).shape, [2, 12, 5])
    }
}
