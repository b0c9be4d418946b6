import Data
import Foundation
import Images
import Tensors
import Training
import Zoo

/// `zoo run pretrain`: MAE pretraining as FMAE does it: mask 75 % of the patches, reconstruct their
/// normalised pixels; AdamW β (0.9, 0.95), weight decay 0.05 (not on biases, norms, tokens), lr = blr ·
/// batch / 256 with warm-up and cosine; augmentation resize + flip.
public enum PretrainTask: TaskPlugin {
    public static let name = "pretrain"
    public static let summary = "masked-autoencoder pretraining on a folder or list of face images (FMAE recipe)"
    public static let options: [TaskOption] = [
        TaskOption("model", .string, default: "fmae-vit-base-pretrain", help: "MAE model: catalog name or JSON spec with a decoder"),
        TaskOption("weights", .path, default: nil, help: "start from this checkpoint instead of random weights"),
        TaskOption("key", .string, default: nil, help: "checkpoint entry holding the state dict"),
        TaskOption("data", .path, help: "folder of images (searched recursively) or a list file, one path per line"),
        TaskOption("out", .path, help: "run folder"),
        TaskOption("resume", .flag, help: "continue the run in --out from its last checkpoint"),
        TaskOption("epochs", .integer, default: "50", help: "training epochs"),
        TaskOption("warmup-epochs", .number, default: "2", help: "linear warm-up epochs"),
        TaskOption("batch-size", .integer, default: "64", help: "images per step"),
        TaskOption("accum", .integer, default: "1", help: "gradient accumulation steps"),
        TaskOption("blr", .number, default: "1.5e-4", help: "base learning rate; lr = blr · batch · accum / 256"),
        TaskOption("min-lr", .number, default: "0", help: "cosine floor"),
        TaskOption("weight-decay", .number, default: "0.05", help: "AdamW decoupled weight decay"),
        TaskOption("save-every", .integer, default: "5", help: "checkpoint every N epochs (and at the end)"),
        TaskOption("seed", .integer, default: "0", help: "seed of weights, data order, masking and flips"),
        TaskOption("skip-bad", .flag, help: "skip unreadable images (counted and reported) instead of stopping"),
    ]

    public static func run(_ a: TaskArguments) throws {
        let run = try RunFolder(path: try a.string("out"))
        var o = try TrainingOptions(a)
        o.layerDecay = 1   // pretraining: no layer-wise decay
        o.beta2 = 0.95     // MAE's AdamW betas (0.9, 0.95)
        let (_, spec) = try Catalog.locate().spec(for: try a.string("model"))
        let model = try ModelBuilder(seed: o.seed).build(spec)
        guard case let .maskedAutoencoder(mae) = model else { throw TaskUsageError("--model must be an MAE spec (with a decoder)") }
        if let weights = a.optionalString("weights") {
            for note in try WeightLoader.load(weights, into: model, options: .init(strict: false, key: a.optionalString("key"))) { log("weights: \(note)") }
        }
        let files = try ImageList.load(try a.string("data"))
        let groups = ParameterGroups.make(model.module.namedParameters(), depth: 0, weightDecay: o.weightDecay, layerDecay: 1)
        let trainer = Trainer(model: model, groups: groups, options: o, run: run)
        if a.flag("resume") { try trainer.resume(from: run) } else { try run.startFresh() }
        try run.writeJSON("options.json", .object(a.values.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
        try run.writeJSON("model.json", spec)

        let size = mae.encoder.imageSize
        let augmentation = PretrainAugmentation(size: size)
        let source = ImageBatchSource(count: files.count, batchSize: o.batchSize, imageSize: size, shuffle: true, seed: o.seed,
                                      skipBad: a.flag("skip-bad"), load: { try ImageFile.read(files[$0]) },
                                      transform: { augmentation.apply($0, generator: $1) }, targets: { _ in [:] })
        log("pretrain: \(files.count) images, \(source.batchesPerEpoch) steps per epoch, mask ratio \(mae.maskRatio)")
        try trainer.train(data: source, objective: { batch in (mae(batch.images).loss, [:]) })
        if !source.skipped.isEmpty { log("skipped \(source.skipped.count) unreadable images") }
        try run.writeJSON("summary.json", .object([("task", .string(name)), ("epochs", .integer(trainer.epoch)),
                                                   ("final_train_loss", trainer.losses.last.map { .number(Double($0)) } ?? .null),
                                                   ("images", .integer(files.count)), ("skipped", .integer(source.skipped.count))]))
    }
}
