import Foundation
import Tensors

/// A model built from a spec, with the family that built it: the family adapts checkpoints to it and
/// describes it; tasks ask it for the role they need.
public struct ZooModel {
    public let family: ModelFamily.Type
    public let network: any ImageModel

    public init(family: ModelFamily.Type, network: any ImageModel) {
        self.family = family
        self.network = network
    }

    public var module: Module { network }
    public var generator: Generator { network.generator }
    /// [C, H, W] the model takes.
    public var inputShape: [Int] { network.inputShape }

    /// The model as an encoder with heads, when it is one.
    public var classifier: ClassifierModel? { network as? ClassifierModel }
    /// The model as an MAE, when it is one.
    public var maskedAutoencoder: MaskedAutoencoderModel? { network as? MaskedAutoencoderModel }

    /// The model in the role `user` needs (`ClassifierModel.self`, a role protocol), or an error that
    /// names the family and what it serves.
    public func role<Role>(_ type: Role.Type, _ needed: String, for user: String) throws -> Role {
        guard let typed = network as? Role else {
            throw ModelRoleError(family: family.name, needed: needed, user: user, served: family.roles)
        }
        return typed
    }
}
