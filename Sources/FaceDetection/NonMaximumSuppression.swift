/// The two non-maximum suppressions facenet-pytorch's MTCNN uses, reproduced with their exact overlap
/// formulas (in float, as they compute), because a box kept or dropped here changes every later stage.
enum NonMaximumSuppression {
    /// torchvision.ops.nms: boxes by score, highest first; a box is dropped when its IoU with a kept one is
    /// above `threshold`; areas are (x2 − x1)·(y2 − y1). Returns the kept indices, highest score first.
    static func torchvision(_ boxes: [Candidate], threshold: Float) -> [Int] {
        let order = boxes.indices.sorted { boxes[$0].score > boxes[$1].score }
        var suppressed = [Bool](repeating: false, count: boxes.count)
        var keep: [Int] = []
        for (rank, i) in order.enumerated() where !suppressed[i] {
            keep.append(i)
            let a = boxes[i]
            let areaA = (a.x2 - a.x1) * (a.y2 - a.y1)
            for j in order[(rank + 1)...] where !suppressed[j] {
                let b = boxes[j]
                let w = max(0, min(a.x2, b.x2) - max(a.x1, b.x1))
                let h = max(0, min(a.y2, b.y2) - max(a.y1, b.y1))
                let inter = w * h
                let areaB = (b.x2 - b.x1) * (b.y2 - b.y1)
                if inter / (areaA + areaB - inter) > threshold { suppressed[j] = true }
            }
        }
        return keep
    }

    /// facenet-pytorch's `nms_numpy(..., 'Min')` (the MATLAB original's last step): overlap is the
    /// intersection over the smaller box, with the +1 pixel convention; a box is dropped when the overlap
    /// is above `threshold`. Returns kept indices, highest score first.
    static func minimum(_ boxes: [Candidate], threshold: Float) -> [Int] {
        var remaining = boxes.indices.sorted { boxes[$0].score < boxes[$1].score }
        var keep: [Int] = []
        while let i = remaining.last {
            keep.append(i)
            remaining.removeLast()
            let a = boxes[i]
            let areaA = (a.x2 - a.x1 + 1) * (a.y2 - a.y1 + 1)
            remaining = remaining.filter { j in
                let b = boxes[j]
                let w = max(0, min(a.x2, b.x2) - max(a.x1, b.x1) + 1)
                let h = max(0, min(a.y2, b.y2) - max(a.y1, b.y1) + 1)
                let areaB = (b.x2 - b.x1 + 1) * (b.y2 - b.y1 + 1)
                return w * h / min(areaA, areaB) <= threshold
            }
        }
        return keep
    }
}

/// A box on its way through the cascade: corners, score, and the regression the last network gave it.
struct Candidate {
    var x1: Float, y1: Float, x2: Float, y2: Float
    var score: Float
    var regression: (Float, Float, Float, Float) = (0, 0, 0, 0)
    var landmarks: [(Float, Float)] = []
}
