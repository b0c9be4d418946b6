import Foundation

/// `zoo report`: one self-contained HTML page about a set of runs. Charts are inline SVG, the
/// reconstruction grid an inline data URI; no script and no network, so the file can be mailed or
/// archived and still reads the same.
public enum HTMLReport {
    public static func render(_ runs: [RunRecord], title: String = "zoo runs") -> String {
        let colored = runs.enumerated().map { (run: $0.element, color: runColors[$0.offset % runColors.count]) }
        var body = "<h1>\(escapeXML(title))</h1>\n"
        body += legend(colored)
        body += summaryTable(runs)

        // Curves per epoch: training loss and the test metrics of runs that evaluate.
        var curves: [String] = []
        // Pretraining's reconstruction loss and fine-tuning's classification losses are different units:
        // one chart each.
        for (title, isPretraining) in [("Training loss", false), ("Pretraining loss (MAE reconstruction)", true)] {
            let loss = colored.filter { ($0.run.task == "pretrain") == isPretraining }
                .map { ($0.run.name, $0.color, $0.run.series("train_loss").map { (Double($0.epoch), $0.value) }) }
            if loss.contains(where: { !$0.2.isEmpty }) {
                curves.append(LineChart(title: title, xLabel: "epoch", yLabel: "loss", series: loss).svg())
            }
        }
        for (key, label) in [("test_mean_auc", "Test mean AUC"), ("test_mean_f1", "Test mean F1 at 0.5"), ("test_accuracy", "Test accuracy")] {
            let series = colored.map { ($0.run.name, $0.color, $0.run.series(key).map { (Double($0.epoch), $0.value) }) }
            if series.contains(where: { !$0.2.isEmpty }) {
                curves.append(LineChart(title: label, xLabel: "epoch", yLabel: "fraction", series: series, yRange: 0...1).svg())
            }
        }
        if !curves.isEmpty { body += "<h2>Per epoch</h2>\n<div class=\"charts\">\n" + curves.joined(separator: "\n") + "\n</div>\n" }

        // Per-AU bars, on the AU list of the first run that has one.
        let auRuns = colored.filter { !$0.run.perAU.isEmpty }
        if let aus = auRuns.first?.run.perAU.map(\.au) {
            func values(_ run: RunRecord, _ metric: KeyPath<RunRecord.PerAU, Double?>) -> [Double?] {
                aus.map { au in run.perAU.first { $0.au == au }?[keyPath: metric] }
            }
            body += "<h2>Per action unit (test subjects)</h2>\n<div class=\"charts\">\n"
            body += BarChart(title: "F1 at 0.5 per AU", yLabel: "F1 (%)", categories: aus.map { "AU\($0)" },
                             series: auRuns.map { ($0.run.name, $0.color, values($0.run, \.f1)) }).svg() + "\n"
            body += BarChart(title: "AUC per AU", yLabel: "AUC (%)", categories: aus.map { "AU\($0)" },
                             series: auRuns.map { ($0.run.name, $0.color, values($0.run, \.auc)) },
                             references: [("chance 50", 0.5)]).svg() + "\n</div>\n"
        }

        let probed = colored.filter { $0.run.identityProbe != nil }
        if !probed.isEmpty {
            let chance = probed.compactMap { $0.run.identityProbe?.chance }.first
            body += "<h2>Identity left in the features</h2>\n<p>FMAE's identity probe: a linear classifier of subjects trained on frozen features; lower means the encoder keeps less identity (what IAT aims for).</p>\n<div class=\"charts\">\n"
            body += BarChart(title: "Identity-probe accuracy", yLabel: "accuracy (%)", categories: ["identity probe"],
                             series: probed.map { ($0.run.name, $0.color, [$0.run.identityProbe!.accuracy]) },
                             references: chance.map { [(String(format: "chance %.1f", 100 * $0), $0)] } ?? []).svg()
            body += "\n</div>\n"
        }

        for entry in colored {
            guard let image = entry.run.reconstructionImage, let data = FileManager.default.contents(atPath: image) else { continue }
            body += "<h2>Reconstructions of \(escapeXML(entry.run.name))</h2>\n<p>Each row: original | masked input | reconstruction (visible patches pasted back).</p>\n"
            body += "<img class=\"reconstruction\" alt=\"MAE reconstructions of \(escapeXML(entry.run.name))\" src=\"data:image/jpeg;base64,\(data.base64EncodedString())\">\n"
        }

        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(escapeXML(title))</title>
        <style>
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto; max-width: 1200px; color: #222; }
        h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
        table { border-collapse: collapse; font-size: 13px; } th, td { padding: 4px 10px; text-align: right; border-bottom: 1px solid #ddd; }
        th:first-child, td:first-child { text-align: left; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; }
        .chart .title { font-size: 13px; font-weight: 600; } .chart .tick { font-size: 10px; fill: #555; } .chart .label { font-size: 11px; fill: #333; }
        .chart .grid { stroke: #eee; } .chart .axis { stroke: #888; } .chart .reference { stroke: #666; stroke-dasharray: 4 3; }
        .legend span { display: inline-block; margin-right: 16px; font-size: 13px; } .legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }
        .note { color: #a33; font-size: 12px; }
        img.reconstruction { image-rendering: pixelated; max-width: 100%; border: 1px solid #ccc; }
        </style>
        </head>
        <body>
        \(body)
        </body>
        </html>

        """
    }

    private static func legend(_ runs: [(run: RunRecord, color: String)]) -> String {
        "<p class=\"legend\">" + runs.map { "<span><i style=\"background:\($0.color)\"></i>\(escapeXML($0.run.name)) <small>(\(escapeXML($0.run.task)), \(escapeXML($0.run.path)))</small></span>" }.joined() + "</p>\n"
    }

    private static func summaryTable(_ runs: [RunRecord]) -> String {
        let rows = RunComparison.rows
        var s = "<table>\n<tr><th></th>" + runs.map { "<th>\(escapeXML($0.name))</th>" }.joined() + "</tr>\n"
        for row in rows {
            let cells = runs.map { row.value($0) }
            if cells.allSatisfy({ $0 == nil }) { continue }
            s += "<tr><td>\(escapeXML(row.label))</td>" + cells.map { v in
                guard let v else { return "<td>–</td>" }
                return "<td>" + (row.percent ? String(format: "%.1f", 100 * v) : String(format: "%.4f", v)) + "</td>"
            }.joined() + "</tr>\n"
        }
        s += "</table>\n"
        let notes = runs.compactMap { RunComparison.allPositiveWarning($0) }
        if !notes.isEmpty { s += notes.map { "<p class=\"note\">\(escapeXML($0))</p>" }.joined(separator: "\n") + "\n" }
        return s
    }
}
