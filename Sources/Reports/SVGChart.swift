import Foundation

/// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies; one per run.
let runColors = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

func escapeXML(_ s: String) -> String {
    var out = ""
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(c)
        }
    }
    return out
}

private func format(_ v: Double) -> String { String(format: "%.1f", v) }

/// Round tick values covering [low, high]: steps of 1, 2 or 5 times a power of ten.
public func niceTicks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
    guard high > low, low.isFinite, high.isFinite else { return [low] }
    let raw = (high - low) / Double(max(count, 1))
    let magnitude = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    var ticks: [Double] = []
    var t = ceil(low / step - 1e-9) * step
    while t <= high + 1e-9 * step {
        ticks.append(abs(t) < 1e-12 ? 0 : t)
        t += step
    }
    return ticks
}

/// The plotting area and axes shared by both chart kinds.
private struct Frame {
    let width = 560.0, height = 300.0
    let left = 56.0, right = 16.0, top = 30.0, bottom = 46.0
    var plotWidth: Double { width - left - right }
    var plotHeight: Double { height - top - bottom }
}

/// A line chart of one metric per epoch, one polyline per run (`class="series"`, `data-run=NAME`).
public struct LineChart {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [(name: String, color: String, points: [(x: Double, y: Double)])]
    /// Fixed y range (for fractions, 0…1); nil fits the data.
    public var yRange: ClosedRange<Double>?

    public init(title: String, xLabel: String, yLabel: String,
                series: [(name: String, color: String, points: [(x: Double, y: Double)])], yRange: ClosedRange<Double>? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.yRange = yRange
    }

    public func svg() -> String {
        let f = Frame()
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xs = all.map(\.x), ys = all.map(\.y)
        let xLow = xs.min() ?? 0, xHigh = max(xs.max() ?? 1, xLow + 1)
        var yLow = yRange?.lowerBound ?? (ys.min() ?? 0), yHigh = yRange?.upperBound ?? (ys.max() ?? 1)
        if yRange == nil {
            let pad = max((yHigh - yLow) * 0.05, 1e-6)
            // Non-negative data (losses, fractions) keeps its axis at or above zero.
            yLow = yLow >= 0 ? max(0, yLow - pad) : yLow - pad
            yHigh += pad
        }
        if yHigh <= yLow { yHigh = yLow + 1 }
        func px(_ x: Double) -> Double { f.left + (x - xLow) / (xHigh - xLow) * f.plotWidth }
        func py(_ y: Double) -> Double { f.top + (1 - (y - yLow) / (yHigh - yLow)) * f.plotHeight }

        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart line-chart\" viewBox=\"0 0 \(Int(f.width)) \(Int(f.height))\" width=\"\(Int(f.width))\" height=\"\(Int(f.height))\" role=\"img\" aria-label=\"\(escapeXML(title))\">\n"
        s += "<text x=\"\(format(f.left))\" y=\"18\" class=\"title\">\(escapeXML(title))</text>\n"
        for t in niceTicks(yLow, yHigh) {
            s += "<line x1=\"\(format(f.left))\" x2=\"\(format(f.width - f.right))\" y1=\"\(format(py(t)))\" y2=\"\(format(py(t)))\" class=\"grid\"/>"
            s += "<text x=\"\(format(f.left - 6))\" y=\"\(format(py(t) + 4))\" class=\"tick\" text-anchor=\"end\">\(tickLabel(t))</text>\n"
        }
        for t in niceTicks(xLow, xHigh, count: 8) where t == t.rounded() {
            s += "<text x=\"\(format(px(t)))\" y=\"\(format(f.height - f.bottom + 16))\" class=\"tick\" text-anchor=\"middle\">\(Int(t))</text>"
        }
        s += "\n<line x1=\"\(format(f.left))\" x2=\"\(format(f.left))\" y1=\"\(format(f.top))\" y2=\"\(format(f.height - f.bottom))\" class=\"axis\"/>"
        s += "<line x1=\"\(format(f.left))\" x2=\"\(format(f.width - f.right))\" y1=\"\(format(f.height - f.bottom))\" y2=\"\(format(f.height - f.bottom))\" class=\"axis\"/>\n"
        s += "<text x=\"\(format(f.left + f.plotWidth / 2))\" y=\"\(format(f.height - 8))\" class=\"label\" text-anchor=\"middle\">\(escapeXML(xLabel))</text>"
        s += "<text transform=\"translate(14 \(format(f.top + f.plotHeight / 2))) rotate(-90)\" class=\"label\" text-anchor=\"middle\">\(escapeXML(yLabel))</text>\n"
        for line in series {
            let points = line.points.filter { $0.x.isFinite && $0.y.isFinite }
            guard !points.isEmpty else { continue }
            let coordinates = points.map { "\(format(px($0.x))),\(format(py($0.y)))" }.joined(separator: " ")
            s += "<polyline class=\"series\" data-run=\"\(escapeXML(line.name))\" points=\"\(coordinates)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"><title>\(escapeXML(line.name))</title></polyline>"
            for p in points {
                s += "<circle cx=\"\(format(px(p.x)))\" cy=\"\(format(py(p.y)))\" r=\"2.5\" fill=\"\(line.color)\"><title>\(escapeXML(line.name)): epoch \(Int(p.x)), \(String(format: "%.4g", p.y))</title></circle>"
            }
            s += "\n"
        }
        s += "</svg>"
        return s
    }
}

private func tickLabel(_ t: Double) -> String {
    if t == t.rounded() && abs(t) < 1e6 { return String(Int(t)) }
    return String(format: "%.3g", t)
}

/// Grouped bars: one group per category (an AU), one bar per run, values as fractions shown in percent;
/// an optional dashed reference line per run (chance).
public struct BarChart {
    public var title: String
    public var yLabel: String
    public var categories: [String]
    public var series: [(name: String, color: String, values: [Double?])]
    /// A dashed horizontal line per series at this value, labelled (e.g. chance for an identity probe).
    public var references: [(label: String, value: Double)]

    public init(title: String, yLabel: String, categories: [String], series: [(name: String, color: String, values: [Double?])],
                references: [(label: String, value: Double)] = []) {
        self.title = title
        self.yLabel = yLabel
        self.categories = categories
        self.series = series
        self.references = references
    }

    public func svg() -> String {
        let f = Frame()
        let width = max(f.width, f.left + f.right + Double(categories.count) * (Double(series.count) * 12 + 14))
        let plotWidth = width - f.left - f.right
        func py(_ y: Double) -> Double { f.top + (1 - min(max(y, 0), 1)) * f.plotHeight }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart bar-chart\" viewBox=\"0 0 \(Int(width)) \(Int(f.height))\" width=\"\(Int(width))\" height=\"\(Int(f.height))\" role=\"img\" aria-label=\"\(escapeXML(title))\">\n"
        s += "<text x=\"\(format(f.left))\" y=\"18\" class=\"title\">\(escapeXML(title))</text>\n"
        for t in stride(from: 0.0, through: 1.0, by: 0.2) {
            s += "<line x1=\"\(format(f.left))\" x2=\"\(format(width - f.right))\" y1=\"\(format(py(t)))\" y2=\"\(format(py(t)))\" class=\"grid\"/>"
            s += "<text x=\"\(format(f.left - 6))\" y=\"\(format(py(t) + 4))\" class=\"tick\" text-anchor=\"end\">\(Int((t * 100).rounded()))</text>\n"
        }
        let groupWidth = plotWidth / Double(max(categories.count, 1))
        let barWidth = min(18, (groupWidth - 8) / Double(max(series.count, 1)))
        for (c, category) in categories.enumerated() {
            let groupLeft = f.left + Double(c) * groupWidth + (groupWidth - barWidth * Double(series.count)) / 2
            for (k, run) in series.enumerated() {
                guard c < run.values.count, let v = run.values[c], v.isFinite else { continue }
                let x = groupLeft + Double(k) * barWidth
                s += "<rect class=\"bar\" data-run=\"\(escapeXML(run.name))\" x=\"\(format(x))\" y=\"\(format(py(v)))\" width=\"\(format(barWidth - 1))\" height=\"\(format(py(0) - py(v)))\" fill=\"\(run.color)\"><title>\(escapeXML(run.name)) \(escapeXML(category)): \(String(format: "%.1f", 100 * v))</title></rect>"
            }
            s += "<text x=\"\(format(f.left + (Double(c) + 0.5) * groupWidth))\" y=\"\(format(f.height - f.bottom + 16))\" class=\"tick\" text-anchor=\"middle\">\(escapeXML(category))</text>\n"
        }
        for ref in references {
            s += "<line x1=\"\(format(f.left))\" x2=\"\(format(width - f.right))\" y1=\"\(format(py(ref.value)))\" y2=\"\(format(py(ref.value)))\" class=\"reference\"/>"
            s += "<text x=\"\(format(width - f.right - 4))\" y=\"\(format(py(ref.value) - 4))\" class=\"tick\" text-anchor=\"end\">\(escapeXML(ref.label))</text>\n"
        }
        s += "<line x1=\"\(format(f.left))\" x2=\"\(format(f.left))\" y1=\"\(format(f.top))\" y2=\"\(format(f.height - f.bottom))\" class=\"axis\"/>"
        s += "<line x1=\"\(format(f.left))\" x2=\"\(format(width - f.right))\" y1=\"\(format(py(0)))\" y2=\"\(format(py(0)))\" class=\"axis\"/>\n"
        s += "<text transform=\"translate(14 \(format(f.top + f.plotHeight / 2))) rotate(-90)\" class=\"label\" text-anchor=\"middle\">\(escapeXML(yLabel))</text>\n"
        s += "</svg>"
        return s
    }
}

