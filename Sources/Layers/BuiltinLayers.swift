import Zoo

/// The layer plugins zoo ships. A new layer: one file with its module and plugin, one line here.
public let builtinLayerPlugins: [LayerPlugin.Type] = [
    LinearPlugin.self,
    LayerNormPlugin.self,
    MLPPlugin.self,
    AttentionPlugin.self,
    BlockPlugin.self,
    PatchEmbedPlugin.self,
    VisionTransformerPlugin.self,
    PixelEncoderPlugin.self,
    MAEDecoderPlugin.self,
    GradientReversalPlugin.self,
    Conv2DPlugin.self,
    BatchNormPlugin.self,
    PReLUPlugin.self,
    ReLUPlugin.self,
    MaxPool2DPlugin.self,
    GlobalAvgPoolPlugin.self,
    SeparableConv2DPlugin.self,
    AddPlugin.self,
    SoftmaxPlugin.self,
    FlattenPlugin.self,
    PermutePlugin.self,
    SequentialPlugin.self,
    GraphPlugin.self,
]
