import Checkpoint
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
    public static let options: [TaskOption] = StartingWeightsOptions.options(
        model: "mae-vit-base-patch16", modelHelp: "MAE model: catalog name or JSON spec with a decoder",
        weightsHelp: "continue from this MAE checkpoint (with its decoder) instead of random weights") + [
        TaskOption("data", .path, required: true, help: "folder of images (searched recursively) or a list file, one path per line"),
        TaskOption("skip-bad", .flag, help: "skip unreadable images (counted and reported) instead of stopping"),
    ] + RunOutputOptions.options + TrainingOptions.options(.pretraining)

    public static func run(_ a: TaskArguments) throws {
        let o = try TrainingOptions(a, recipe: .pretraining)
        let output = try RunOutputOptions(a)
        let start = try StartingWeightsOptions(a)
        let weights = start.weights, key = start.key
        let (_, spec, model) = try start.checkedCatalog().buildModel(start.model, seed: o.seed)
        let mae = try model.role(MaskedAutoencoderModel.self, "an MAE (a spec with a decoder)", for: "zoo run pretrain --model")
        let files = try ImageList.load(try a.string("data"))
        if let weights {
            try requireDecoder(in: Set(try CheckpointReader.read(path: weights, key: key).tensors.map(\.name)), for: model, file: weights)
        }
        let run = try RunFolder.open(output, task: name, options: a.values)
        if let weights {
            for note in try WeightLoader.load(weights, into: model, options: .init(strict: false, dropHead: start.dropHead, key: key)) { log("weights: \(note)") }
        }
        // MAE's add_weight_decay: every parameter but biases and 1-D tensors decays, cls_token and
        // mask_token included (its skip list is empty when pretraining).
        let groups = ParameterGroups.make(model.module.namedParameters(), depth: 0, weightDecay: o.weightDecay, layerDecay: 1, noDecayNames: [])
        let trainer = Trainer(model: model, groups: groups, options: o, run: run)
        if case let .finished(epochs) = try trainer.start(resume: output.resume) {
            log("\(run.path): the run is finished (\(epochs) of \(o.epochs) epochs); its results are in \(run.path)/summary.json. Nothing to do.")
            return
        }
        try run.writeJSON("model.json", spec)

        let size = mae.encoder.imageSize
        let augmentation = PretrainAugmentation(size: size)
        // The global batch of all ranks; each takes its share (one process: the whole batch).
        let source = ImageBatchSource(count: files.count, batchSize: o.globalBatchSize, imageSize: size, shuffle: true, seed: o.seed,
                                      skipBad: a.flag("skip-bad"), load: { try ImageFile.read(files[$0]) },
                                      transform: { augmentation.apply($0, generator: $1) }, targets: { _ in [:] })
        source.part = trainer.group.rank
        source.parts = trainer.group.size
        log("pretrain: \(files.count) images, \(source.batchesPerEpoch) steps per epoch, mask ratio \(mae.maskRatio)")
        trainer.replicaBuilder = { try ModelBuilder(seed: o.seed).build(spec) }
        // Made for each copy of the model that trains (`--replicas`); the masking noise follows the global
        // batch through the copy's generator (its batchShare).
        try trainer.train(data: source, objectiveFor: { model in
            let mae = try model.role(MaskedAutoencoderModel.self, "an MAE (a spec with a decoder)", for: "zoo run pretrain --model")
            let masking = GlobalBatchNoise(generator: mae.generator)
            return { batch in
                (mae(batch.images, noise: masking.noise(rows: batch.images.shape[0], columns: mae.encoder.patchCount)).loss, [:])
            }
        })
        if !source.skipped.isEmpty { log("skipped \(source.skipped.count) unreadable images") }
        try run.writeSummary(task: name, fields: [("epochs", .integer(trainer.epoch)),
                                                  ("final_train_loss", trainer.losses.last.map { .number(Double($0)) } ?? .null),
                                                  ("images", .integer(files.count)), ("skipped", .integer(source.skipped.count))])
    }
}
