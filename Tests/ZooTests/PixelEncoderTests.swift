import Foundation
import Layers
import Tensors
import TensorTesting
import XCTest
import Zoo

/// The raw-pixel baseline encoder: features are the image flattened in (c, h, w) order, and a linear head
/// on them is a linear classifier of pixels, checked against finite differences.
final class PixelEncoderTests: XCTestCase {
    let spec = #"{"encoder": {"type": "pixels", "img_size": 4, "in_chans": 2}, "heads": [{"name": "head", "type": "linear", "out_features": 3}]}"#

    func testFeaturesAreTheImageFlattenedInChannelRowColumnOrder() throws {
        guard let model = (try buildModel(spec)).classifier else { return XCTFail("not a classifier") }
        XCTAssertEqual(model.encoder.embedDim, 32)
        let images = randomTensor([2, 2, 4, 4], seed: 5)
        let features = model.encoder.features(images)
        XCTAssertEqual(features.shape, [2, 32])
        // Row-major [B, C, H, W] memory read as [B, C·H·W]: element (b, c, h, w) is feature c·H·W + h·W + w.
        XCTAssertEqual(features.scalars, images.scalars)
        XCTAssertEqual(model.namedParameters().map(\.key), ["head.weight", "head.bias"], "the encoder has no parameters")
    }

    func testLinearClassifierOnPixelsGradients() throws {
        guard let model = (try buildModel(spec)).classifier else { return XCTFail("not a classifier") }
        randomizeParameters(model, seed: 3, std: 0.3)
        let images = randomTensor([2, 2, 4, 4], seed: 6)
        GradientCheck.check([images] + model.parameters()) { inputs in model(inputs[0]).logits[0].tensor.squared() }
    }

    func testAnMAECannotMaskPixels() {
        XCTAssertEqual(specError(#"{"encoder": {"type": "pixels", "img_size": 8}, "decoder": {"type": "mae_decoder"}}"#),
                       "encoder: an MAE masks patches: its encoder must be a patch encoder such as vit")
    }

    func testRefusesImagesTooLargeForABaseline() {
        XCTAssertEqual(specError(#"{"encoder": {"type": "pixels", "img_size": 1000}}"#),
                       "encoder.img_size: 3 × 1000 × 1000 pixel features is more than the 196608 a pixels encoder allows")
    }
}
