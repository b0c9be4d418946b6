import Tensors

/// A layer that combines several tensors into one (the residual `add`): the nodes of a `graph` that
/// take more than one input.
///
/// Why a second protocol instead of changing `UnaryLayer`: every layer, model and task so far calls its
/// layers with one tensor, and only a graph node can have several inputs. A separate protocol adopted by
/// the merge layers leaves all of them untouched; the graph dispatches on which of the two a node's
/// module conforms to and checks the input count when it is built, before anything runs.
public protocol MultiInputLayer: AnyObject {
    /// How many inputs the layer accepts.
    var inputCount: ClosedRange<Int> { get }
    func callAsFunction(_ inputs: [Tensor]) -> Tensor
}
