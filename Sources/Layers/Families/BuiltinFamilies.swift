import Zoo

/// Model families built from these layers, registered beside the standard ones (classifier, MAE). A new
/// family: one file, one line here (or in the target that defines it, registered by `zoo` at start-up).
public let builtinModelFamilies: [ModelFamily.Type] = [
    NetworkFamily.self,
]
