import Images
import Tensors

/// One batch: normalised images [B, C, H, W] and named targets (AU labels, identities, classes).
public struct Batch {
    public var images: Tensor
    public var targets: [String: Tensor]
    public init(images: Tensor, targets: [String: Tensor]) {
        self.images = images
        self.targets = targets
    }
}

/// Training data as random-access batches. A batch depends only on (epoch, index) and the source's
/// seed, so a resumed run sees exactly the data an uninterrupted one would.
public protocol BatchSource: AnyObject {
    var batchesPerEpoch: Int { get }
    func batch(epoch: Int, index: Int) throws -> Batch
}
