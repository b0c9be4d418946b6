import Foundation
import Tensors
import Zoo

/// A layer that can say, before running, what shape it returns for given input shapes, or why it
/// cannot take them. The ops stop a mismatch with a precondition (a trap); a graph or sequential built
/// from a spec checks its input shapes first with this, so that a spec whose layers do not fit each
/// other, or an input of the wrong size, is an error naming the layer instead of a crash.
public protocol ShapeChecking {
    /// The output shape for inputs of `shapes` (one for a one-input layer).
    func outputShape(for shapes: [[Int]]) throws -> [Int]
}

/// Input shapes that a layer cannot take. `path` names the layer (`nodes`/children joined by dots).
public struct ShapeError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var message: String
    public init(path: String = "", _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }

    /// The same error seen from a container: its child's name in front of the path.
    func inside(_ name: String) -> ShapeError {
        ShapeError(path: path.isEmpty ? name : name + "." + path, message)
    }
}

/// The single input shape of a one-input layer, of `rank` when given.
func singleShape(_ shapes: [[Int]], rank: Int? = nil, layer: String) throws -> [Int] {
    guard shapes.count == 1 else { throw ShapeError("\(layer) takes one input, got \(shapes.count)") }
    if let rank, shapes[0].count != rank {
        throw ShapeError("\(layer) expects a rank-\(rank) input\(rank == 4 ? " [N, C, H, W]" : ""), got \(shapes[0])")
    }
    return shapes[0]
}

/// The output shape of a 2D window over `shape` [N, C, H, W], or an error saying the window does not fit.
func windowOutput(_ shape: [Int], channels: Int, kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int) = (1, 1),
                  padding: Padding2D, ceilMode: Bool = false, layer: String) throws -> [Int] {
    guard let g = WindowGeometry(inputHeight: shape[2], inputWidth: shape[3], kernel: kernel, stride: stride, dilation: dilation,
                                 padding: padding, ceilMode: ceilMode) else {
        throw ShapeError("\(layer): a \(kernel.0)×\(kernel.1) window (dilation \(dilation.0)×\(dilation.1)) with padding \(padding) does not fit input \(shape)")
    }
    return [shape[0], channels, g.outputHeight, g.outputWidth]
}

extension Conv2D: ShapeChecking {
    public func outputShape(for shapes: [[Int]]) throws -> [Int] {
        let s = try singleShape(shapes, rank: 4, layer: "conv2d")
        guard s[1] == inChannels else { throw ShapeError("conv2d expects \(inChannels) input channels, got \(s)") }
        return try windowOutput(s, channels: outChannels, kernel: (weight.shape[2], weight.shape[3]), stride: stride, dilation: dilation,
                                padding: padding, layer: "conv2d")
    }
}

extension SeparableConv2D: ShapeChecking {
    public func outputShape(for shapes: [[Int]]) throws -> [Int] {
        do {
            return try pointwise.outputShape(for: [depthwise.outputShape(for: shapes)])
        } catch let error as ShapeError {
            throw ShapeError("separable_conv2d: " + error.message)
        }
    }
}

extension BatchNorm: ShapeChecking {
    public func outputShape(for shapes: [[Int]]) throws -> [Int] {
        let s = try singleShape(shapes, layer: "batch_norm")
        guard s.count >= 2, s[1] == runningMean.count else {
            throw ShapeError("batch_norm expects [N, \(runningMean.count), …], got \(s)")
        }
        return s
    }
}

extension PReLU: ShapeChecking {
    public func outputShape(for shapes: [[Int]]) throws -> [Int] {
        let s = try singleShape(shapes, layer: "prelu")
        guard weight.count == 1 || (s.count >= 2 && s[1] == weight.count) else {
            throw ShapeError("prelu expects [N, \(weight.count), …], got \(s)")
        }
        return s
    }
}

extension ReLU: ShapeChecking {
    public func outputShape(for shapes: [[Int]]) throws -> [Int] { try singleShape(shapes, layer: "relu") }
}

extension MaxPool2D: ShapeChecking {
    public func outputShape(for shapes: [[Int]]) throws -> [Int] {
        let s = try singleShape(shapes, rank: 4, layer: "max_pool2d")
        return try windowOutput(s, channels: s[1], kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode, layer: "max_pool2d")
    }
}

extension GlobalAvgPool: ShapeChecking {
    public func outputShape(for shapes: [[Int]]) throws -> [Int] {
        let s = try singleShape(shapes, layer: "global_avg_pool")
        guard s.count >= 3 else { throw ShapeError("global_avg_pool expects [N, C, H, W], got \(s)") }
        return keepDims ? Array(s.prefix(2)) + Array(repeating: 1, count: s.count - 2) : Array(s.prefix(2))
    }
}

extension Add: ShapeChecking {
    public func outputShape(for shapes: [[Int]]) throws -> [Int] {
        guard inputCount.contains(shapes.count), shapes.allSatisfy({ $0 == shapes[0] }) else {
            throw ShapeError("add expects two or more inputs of one shape, got \(shapes.map(\.description).joined(separator: ", "))")
        }
        return shapes[0]
    }
}

/// A dimension index of a rank-`rank` shape, or nil when out of range.
private func resolve(_ d: Int, rank: Int) -> Int? {
    let a = d < 0 ? d + rank : d
    return (0..<rank).contains(a) ? a : nil
}

extension Softmax: ShapeChecking {
    public func outputShape(for shapes: [[Int]]) throws -> [Int] {
        let s = try singleShape(shapes, layer: "softmax")
        guard resolve(dim, rank: s.count) != nil else { throw ShapeError("softmax along dimension \(dim) of an input \(s)") }
        return s
    }
}

extension Flatten: ShapeChecking {
    public func outputShape(for shapes: [[Int]]) throws -> [Int] {
        let s = try singleShape(shapes, layer: "flatten")
        guard let start = resolve(startDim, rank: s.count), let end = resolve(endDim, rank: s.count), start <= end,
              let merged = ParameterBudget.elementCount(Array(s[start...end])) else {
            throw ShapeError("flatten of dimensions \(startDim)…\(endDim) of an input \(s)")
        }
        return Array(s[..<start]) + [merged] + Array(s[(end + 1)...])
    }
}

extension Permute: ShapeChecking {
    public func outputShape(for shapes: [[Int]]) throws -> [Int] {
        let s = try singleShape(shapes, rank: order.count, layer: "permute")
        return order.map { s[$0] }
    }
}

extension Linear: ShapeChecking {
    public func outputShape(for shapes: [[Int]]) throws -> [Int] {
        let s = try singleShape(shapes, layer: "linear")
        guard s.last == inFeatures else { throw ShapeError("linear expects [..., \(inFeatures)], got \(s)") }
        return Array(s.dropLast()) + [outFeatures]
    }
}

extension Sequential: ShapeChecking {
    public func outputShape(for shapes: [[Int]]) throws -> [Int] {
        var shape = try singleShape(shapes, layer: "sequential")
        for (name, layer) in steps {
            guard let checking = layer as? ShapeChecking else {
                throw ShapeError(path: name, "\(type(of: layer)) does not declare its output shape")
            }
            do { shape = try checking.outputShape(for: [shape]) } catch let error as ShapeError { throw error.inside(name) }
        }
        return shape
    }
}

extension Graph: ShapeChecking {
    /// Every output's shape, in `outputNames` order, for inputs of `shapes` (in `inputNames` order).
    public func outputShapes(for shapes: [[Int]]) throws -> [[Int]] {
        guard shapes.count == inputNames.count else {
            throw ShapeError("the graph takes \(inputNames.count) inputs (\(inputNames.joined(separator: ", "))), got \(shapes.count)")
        }
        var values: [[Int]] = shapes
        for node in nodes {
            let layer: AnyObject
            switch node.operation {
            case let .unary(l): layer = l
            case let .merge(l): layer = l
            }
            guard let checking = layer as? ShapeChecking else {
                throw ShapeError(path: node.name, "\(type(of: layer)) does not declare its output shape")
            }
            do {
                values.append(try checking.outputShape(for: node.inputs.map { values[$0] }))
            } catch let error as ShapeError {
                throw error.inside(node.name)
            }
        }
        let slotOf = Dictionary(uniqueKeysWithValues: (inputNames + nodes.map(\.name)).enumerated().map { ($1, $0) })
        return outputNames.map { values[slotOf[$0]!] }
    }

    public func outputShape(for shapes: [[Int]]) throws -> [Int] { try outputShapes(for: shapes)[0] }
}
