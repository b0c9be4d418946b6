import Foundation
import JSON

/// What a finished run folder says about itself, read from the files every task writes:
/// `summary.json`, `metrics.jsonl`, `id-probe/summary.json` and, for pretraining, a reconstruction grid.
/// `zoo compare` and `zoo report` both read runs through this one type.
public struct RunRecord {
    public struct PerAU: Equatable {
        public var au: Int
        public var f1: Double?
        public var auc: Double?
        public init(au: Int, f1: Double?, auc: Double?) {
            self.au = au
            self.f1 = f1
            self.auc = auc
        }
    }

    /// The folder as given on the command line.
    public var path: String
    /// A short name that tells runs apart: the last path component, or the whole path when two runs
    /// share their last component.
    public var name: String
    public var task: String
    /// `summary.json`, whole.
    public var summary: JSONValue
    /// One entry per `metrics.jsonl` line: its epoch, kind and numbers.
    public var metrics: [(epoch: Int, kind: String, values: [String: Double])]
    public var perAU: [PerAU]
    public var identityProbe: (accuracy: Double, chance: Double?)?
    /// A JPEG reconstruction grid inside the folder (`zoo run reconstruct --output RUN/reconstruction.jpg`, as the demo writes it), if any.
    public var reconstructionImage: String?

    public func number(_ key: String) -> Double? { Self.number(summary[key]) }

    /// The per-epoch series of one metric (lines of kind "epoch" that have it), in epoch order.
    public func series(_ key: String) -> [(epoch: Int, value: Double)] {
        metrics.filter { $0.kind == "epoch" }.compactMap { m in m.values[key].map { (m.epoch, $0) } }
    }

    static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case let .number(d)?: return d
        case let .integer(i)?: return Double(i)
        default: return nil
        }
    }
}

public struct RunRecordError: Error, CustomStringConvertible {
    public let description: String
}

extension RunRecord {
    /// Reads each folder; names are last path components, made unique by falling back to the path.
    public static func load(_ folders: [String]) throws -> [RunRecord] {
        var records = try folders.map { try load($0) }
        let lastComponents = records.map { ($0.path as NSString).lastPathComponent }
        for i in records.indices where lastComponents.filter({ $0 == lastComponents[i] }).count > 1 {
            records[i].name = records[i].path
        }
        return records
    }

    public static func load(_ folder: String) throws -> RunRecord {
        let summaryFile = folder + "/summary.json"
        guard FileManager.default.fileExists(atPath: summaryFile) else {
            throw RunRecordError(description: "\(folder): no summary.json (not a finished run folder)")
        }
        let summary = try parse(summaryFile)
        var record = RunRecord(path: folder, name: (folder as NSString).lastPathComponent,
                               task: summary["task"].flatMap { if case let .string(s) = $0 { return s } else { return nil } } ?? "?",
                               summary: summary, metrics: [], perAU: [], identityProbe: nil, reconstructionImage: nil)
        if case let .array(list)? = summary["per_au"] {
            record.perAU = list.compactMap { entry in
                guard case let .integer(au)? = entry["au"] else { return nil }
                return PerAU(au: au, f1: number(entry["f1"]), auc: number(entry["auc"]))
            }
        }
        let metricsFile = folder + "/metrics.jsonl"
        if let text = try? String(contentsOfFile: metricsFile, encoding: .utf8) {
            for (i, line) in text.split(separator: "\n").enumerated() where !line.isEmpty {
                let value: JSONValue
                do { value = try JSONParser.parse(String(line)) } catch {
                    throw RunRecordError(description: "\(metricsFile):\(i + 1): \(error)")
                }
                guard case let .object(pairs) = value, case let .integer(epoch)? = value["epoch"] else {
                    throw RunRecordError(description: "\(metricsFile):\(i + 1): expected an object with an integer epoch")
                }
                var numbers: [String: Double] = [:]
                for (k, v) in pairs where k != "epoch" { if let d = number(v) { numbers[k] = d } }
                let kind = value["kind"].flatMap { if case let .string(s) = $0 { return s } else { return nil } } ?? "epoch"
                record.metrics.append((epoch, kind, numbers))
            }
        }
        let probeFile = folder + "/id-probe/summary.json"
        if FileManager.default.fileExists(atPath: probeFile) {
            let probe = try parse(probeFile)
            if let accuracy = number(probe["identity_accuracy"]) { record.identityProbe = (accuracy, number(probe["chance"])) }
        }
        if FileManager.default.fileExists(atPath: folder + "/reconstruction.jpg") { record.reconstructionImage = folder + "/reconstruction.jpg" }
        return record
    }

    private static func parse(_ file: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: file) else { throw RunRecordError(description: "\(file): cannot read") }
        do { return try JSONParser.parse(data) } catch { throw RunRecordError(description: "\(file): invalid JSON: \(error)") }
    }
}
