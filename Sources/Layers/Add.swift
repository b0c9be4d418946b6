import Foundation
import Tensors
import Zoo

/// The sum of two or more inputs of one shape (Keras Add, a residual connection): a `graph` node.
public final class Add: Module, MultiInputLayer {
    public override init() { super.init() }

    public var inputCount: ClosedRange<Int> { 2...1024 }

    public func callAsFunction(_ inputs: [Tensor]) -> Tensor {
        precondition(inputs.count >= 2, "add: \(inputs.count) inputs, expected at least 2")
        for t in inputs.dropFirst() {
            precondition(t.shape == inputs[0].shape, "add: input shapes \(inputs.map(\.shape)) differ")
        }
        return inputs.dropFirst().reduce(inputs[0], +)
    }
}

public enum AddPlugin: LayerPlugin {
    public static let name = "add"
    public static let summary = "element-wise sum of two or more inputs of one shape (a graph node)"

    public static let fields: [String]? = []

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module { Add() }
}
