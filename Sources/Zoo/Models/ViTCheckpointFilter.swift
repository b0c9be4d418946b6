import Checkpoint
import Foundation
import Tensors

/// What the ViT families (classifier, MAE) do to a checkpoint before loading it, as FMAE's fine-tuning
/// and timm's `checkpoint_filter_fn` do: heads the model cannot take are left out, and a position table
/// for another patch grid is resampled.
enum ViTCheckpointFilter {
    /// Leaves out heads the options allow to leave out:
    /// - `dropMismatchedHeads` (fine-tuning on new labels): every tensor of a model head (`NAME.*`) of
    ///   which any tensor's shape differs from the model's;
    /// - `dropHead` (a timm/ImageNet classifier checkpoint into an encoder): the checkpoint's `head.*`
    ///   tensors that the model has no tensor of that name and shape for.
    static func leaveOutHeads(_ state: inout StateDict, modelHeads: [String], model: any ImageModel, options: WeightLoader.Options) {
        let expected = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.key, $0.tensor.shape) })
        if options.dropMismatchedHeads {
            for head in modelHeads {
                let prefix = head + "."
                let mismatched = state.tensors.contains { $0.name.hasPrefix(prefix) && expected[$0.name] != $0.tensor.shape }
                guard mismatched else { continue }
                state.leaveOut { name, _ in name.hasPrefix(prefix) }
                state.notes.append("dropped \(head) from the checkpoint: its shape differs from the model's")
            }
        }
        if options.dropHead {
            let removed = state.leaveOut { name, t in name.hasPrefix("head.") && expected[name] != t.shape }
            if !removed.isEmpty { state.notes.append("left out: " + state.describeLeftOut(removed)) }
        }
    }

    /// Resamples each of `keys` ([1, 1 + g², D] with one cls row) that the model has for another square
    /// grid, as MAE's interpolate_pos_embed (bicubic over the grid, the cls row kept).
    static func resamplePositions(_ state: inout StateDict, keys: [String], model: any ImageModel) {
        let expected = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.key, $0.tensor.shape) })
        for key in keys {
            guard let stored = state[key], stored.dtype.isFloatingPoint, let shape = expected[key], stored.shape != shape,
                  stored.shape.count == 3, shape.count == 3, stored.shape[0] == 1, stored.shape[2] == shape[2] else { continue }
            let oldCount = stored.shape[1] - 1, newCount = shape[1] - 1
            guard oldCount > 0, newCount > 0 else { continue }
            let oldGrid = Int(Double(oldCount).squareRoot().rounded()), newGrid = Int(Double(newCount).squareRoot().rounded())
            guard oldGrid * oldGrid == oldCount, newGrid * newGrid == newCount else { continue }
            state[key] = StoredTensor(resamplePositionTable(stored.floatTensor(), extraTokens: 1, to: newGrid))
            state.notes.append("resampled \(key) from a \(oldGrid)×\(oldGrid) to a \(newGrid)×\(newGrid) grid")
        }
    }

    /// For a load that failed on a checkpoint's `head.*` the model has no place for (a timm classifier
    /// into a headless encoder): the option that leaves them out.
    static func dropHeadHint(for problems: LoadError) -> String? {
        let heads = problems.unexpected.filter { $0.hasPrefix("head.") }
        guard !heads.isEmpty else { return nil }
        return "the checkpoint has a classifier head (\(heads.joined(separator: ", "))) that the model has no place for: pass --drop-head to leave it out"
    }
}
