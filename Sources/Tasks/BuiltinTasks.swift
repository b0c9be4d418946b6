import Zoo

/// The task plugins zoo ships. A new task: one file with its plugin, one line here.
public let builtinTaskPlugins: [TaskPlugin.Type] = [
    PredictTask.self,
    DetectTask.self,
    AUTask.self,
    IATTask.self,
    IdentityProbeTask.self,
    ExpressionTask.self,
    EvalTask.self,
    PretrainTask.self,
    ReconstructTask.self,
]
