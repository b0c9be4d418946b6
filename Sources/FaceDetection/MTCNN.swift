import Foundation
import Images
import Layers
import Tensors

/// One face found in a photo, in the photo's pixel coordinates.
public struct DetectedFace: Sendable, Equatable {
    /// x1, y1, x2, y2.
    public var box: [Float]
    /// O-Net's face probability.
    public var score: Float
    /// Left eye, right eye, nose, left mouth corner, right mouth corner (as seen in the image), each [x, y].
    public var landmarks: [[Float]]
}

/// MTCNN (Zhang et al. 2016) as facenet-pytorch runs it (`MTCNN.detect`, `detect_face`): P-Net over an
/// image pyramid, R-Net on 24 × 24 crops, O-Net on 48 × 48 crops, with the same resampling, thresholds,
/// suppressions and box arithmetic, so that boxes and landmarks agree with it to a fraction of a pixel.
public final class MTCNN {
    public let pnet: Graph, rnet: Graph, onet: Graph
    /// Smallest face searched for, in pixels (facenet-pytorch's min_face_size).
    public var minFaceSize: Double = 20
    /// Score thresholds of the three stages.
    public var thresholds: (Float, Float, Float) = (0.6, 0.7, 0.7)
    /// Scale step of the pyramid.
    public var factor: Double = 0.709

    public init(pnet: Graph, rnet: Graph, onet: Graph) {
        self.pnet = pnet
        self.rnet = rnet
        self.onet = onet
        for net in [pnet, rnet, onet] { net.eval() }
    }

    /// The faces in `image`, largest first (facenet-pytorch's default `select_largest=True`); empty when
    /// there are none.
    public func detect(_ image: RGBImage) -> [DetectedFace] {
        withNoGrad { detectFaces(image) }
    }

    private func detectFaces(_ image: RGBImage) -> [DetectedFace] {
        let h = image.height, w = image.width
        // Planar float copy of the photo [3, h, w], values 0…255.
        var planar = [Float](repeating: 0, count: 3 * h * w)
        for i in 0..<(h * w) {
            for c in 0..<3 { planar[c * h * w + i] = Float(image.pixels[3 * i + c]) }
        }

        // Stage 1: P-Net over the pyramid; NMS 0.5 within each scale, then 0.7 over all.
        var scales: [Double] = []
        let m = 12.0 / minFaceSize
        var minLength = Double(min(h, w)) * m
        var scale = m
        while minLength >= 12 {
            scales.append(scale)
            scale *= factor
            minLength *= factor
        }
        var candidates: [Candidate] = []
        for scale in scales {
            let sh = Int(Double(h) * scale + 1), sw = Int(Double(w) * scale + 1)
            let resized = planar.withUnsafeBufferPointer {
                AreaResample.resample($0, channels: 3, height: h, width: w, outHeight: sh, outWidth: sw)
            }
            let outputs = pnet.run([Self.normalized(resized, shape: [1, 3, sh, sw])])
            let found = Self.pnetCandidates(regression: outputs[0], probability: outputs[1], scale: Float(scale), threshold: thresholds.0)
            candidates += NonMaximumSuppression.torchvision(found, threshold: 0.5).map { found[$0] }
        }
        candidates = NonMaximumSuppression.torchvision(candidates, threshold: 0.7).map { candidates[$0] }
        candidates = candidates.map { c in
            // P-Net's regression is relative to the box's width and height without the +1.
            let rw = c.x2 - c.x1, rh = c.y2 - c.y1
            return Self.square(Candidate(x1: c.x1 + c.regression.0 * rw, y1: c.y1 + c.regression.1 * rh,
                                         x2: c.x2 + c.regression.2 * rw, y2: c.y2 + c.regression.3 * rh, score: c.score))
        }
        guard !candidates.isEmpty else { return [] }

        // Stage 2: R-Net on 24 × 24 crops.
        var outputs = rnet.run([crops(candidates, of: planar, height: h, width: w, size: 24)])
        var regression = outputs[0].scalars, probability = outputs[1].scalars
        var kept: [Candidate] = []
        for (k, c) in candidates.enumerated() where probability[2 * k + 1] > thresholds.1 {
            var next = c
            next.score = probability[2 * k + 1]
            next.regression = (regression[4 * k], regression[4 * k + 1], regression[4 * k + 2], regression[4 * k + 3])
            kept.append(next)
        }
        candidates = NonMaximumSuppression.torchvision(kept, threshold: 0.7).map { Self.square(Self.regressed(kept[$0])) }
        guard !candidates.isEmpty else { return [] }

        // Stage 3: O-Net on 48 × 48 crops: scores, box regression and the 5 landmarks.
        outputs = onet.run([crops(candidates, of: planar, height: h, width: w, size: 48)])
        regression = outputs[0].scalars
        let points = outputs[1].scalars
        probability = outputs[2].scalars
        kept = []
        for (k, c) in candidates.enumerated() where probability[2 * k + 1] > thresholds.2 {
            var next = c
            next.score = probability[2 * k + 1]
            let bw = c.x2 - c.x1 + 1, bh = c.y2 - c.y1 + 1
            next.landmarks = (0..<5).map { p in
                (bw * points[10 * k + p] + c.x1 - 1, bh * points[10 * k + 5 + p] + c.y1 - 1)
            }
            next.regression = (regression[4 * k], regression[4 * k + 1], regression[4 * k + 2], regression[4 * k + 3])
            kept.append(Self.regressed(next))
        }
        let faces = NonMaximumSuppression.minimum(kept, threshold: 0.7).map { kept[$0] }
        // select_largest: by box area, largest first (a stable order for equal areas).
        let ordered = faces.enumerated().sorted { a, b in
            let areaA = (a.element.x2 - a.element.x1) * (a.element.y2 - a.element.y1)
            let areaB = (b.element.x2 - b.element.x1) * (b.element.y2 - b.element.y1)
            return areaA != areaB ? areaA > areaB : a.offset < b.offset
        }.map(\.element)
        return ordered.map { f in
            DetectedFace(box: [f.x1, f.y1, f.x2, f.y2], score: f.score, landmarks: f.landmarks.map { [$0.0, $0.1] })
        }
    }

    /// (x − 127.5) / 128, the scaling all three networks were trained with.
    private static func normalized(_ values: [Float], shape: [Int]) -> Tensor {
        Tensor(values.map { ($0 - 127.5) * 0.0078125 }, shape: shape)
    }

    /// P-Net's map: every cell whose face probability reaches `threshold` is a 12 × 12 box at stride 2
    /// in the scaled image, mapped back to the photo (facenet-pytorch's generateBoundingBox).
    private static func pnetCandidates(regression: Tensor, probability: Tensor, scale: Float, threshold: Float) -> [Candidate] {
        let mapHeight = probability.shape[2], mapWidth = probability.shape[3]
        let cells = mapHeight * mapWidth
        let prob = probability.scalars, reg = regression.scalars
        var found: [Candidate] = []
        for y in 0..<mapHeight {
            for x in 0..<mapWidth {
                let i = y * mapWidth + x
                let score = prob[cells + i]
                guard score >= threshold else { continue }
                let bx = Float(x), by = Float(y)
                found.append(Candidate(
                    x1: ((2 * bx + 1) / scale).rounded(.down), y1: ((2 * by + 1) / scale).rounded(.down),
                    x2: ((2 * bx + 12) / scale).rounded(.down), y2: ((2 * by + 12) / scale).rounded(.down),
                    score: score, regression: (reg[i], reg[cells + i], reg[2 * cells + i], reg[3 * cells + i])))
            }
        }
        return found
    }

    /// The box grown to a square about its centre (rerec).
    private static func square(_ c: Candidate) -> Candidate {
        let h = c.y2 - c.y1, w = c.x2 - c.x1
        let l = max(w, h)
        var s = c
        s.x1 = c.x1 + w * 0.5 - l * 0.5
        s.y1 = c.y1 + h * 0.5 - l * 0.5
        s.x2 = s.x1 + l
        s.y2 = s.y1 + l
        return s
    }

    /// R-/O-Net's regression, relative to the box's width and height with the +1 (bbreg).
    private static func regressed(_ c: Candidate) -> Candidate {
        let w = c.x2 - c.x1 + 1, h = c.y2 - c.y1 + 1
        var r = c
        r.x1 = c.x1 + c.regression.0 * w
        r.y1 = c.y1 + c.regression.1 * h
        r.x2 = c.x2 + c.regression.2 * w
        r.y2 = c.y2 + c.regression.3 * h
        return r
    }

    /// Each box cut from the photo (corners truncated to whole pixels and clamped to the photo, so a box
    /// at the edge gives a smaller, non-square crop, as facenet-pytorch's `pad` does) and area-resampled to
    /// `size` × `size`: [boxes, 3, size, size], normalised.
    private func crops(_ boxes: [Candidate], of planar: [Float], height h: Int, width w: Int, size: Int) -> Tensor {
        var batch: [Float] = []
        batch.reserveCapacity(boxes.count * 3 * size * size)
        planar.withUnsafeBufferPointer { source in
            for b in boxes {
                let x = max(Int(b.x1), 1), y = max(Int(b.y1), 1)
                let ex = min(Int(b.x2), w), ey = min(Int(b.y2), h)
                // A box wholly outside the photo would crop nothing; facenet-pytorch skips it (and
                // misaligns its batch); one pixel of the nearest edge keeps every box in step here.
                let rows = min(y - 1, h - 1)..<max(ey, min(y - 1, h - 1) + 1)
                let columns = min(x - 1, w - 1)..<max(ex, min(x - 1, w - 1) + 1)
                batch += AreaResample.resample(source, channels: 3, height: h, width: w, rows: rows, columns: columns,
                                               outHeight: size, outWidth: size)
            }
        }
        return Self.normalized(batch, shape: [boxes.count, 3, size, size])
    }
}
