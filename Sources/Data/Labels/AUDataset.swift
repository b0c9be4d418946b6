import Foundation
import Zoo

/// Which AUs a dataset labels and how a subject is read from an image path (FMAE-NOTES).
public struct AUDatasetPreset: Sendable {
    public let name: String
    public let actionUnits: [Int]
    public let subject: @Sendable (String) -> String

    public static let bp4dActionUnits = [1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24]
    public static let bp4d = AUDatasetPreset(name: "bp4d", actionUnits: bp4dActionUnits) { String($0.prefix(4)) }
    public static let bp4dPlus = AUDatasetPreset(name: "bp4d+", actionUnits: bp4dActionUnits) { String($0.prefix(4)) }
    /// DISFA: the last five characters of the first path component ("…SN001/…" → "SN001").
    public static let disfa = AUDatasetPreset(name: "disfa", actionUnits: [1, 2, 4, 6, 9, 12, 25, 26]) { path in
        String((path.split(separator: "/").first.map(String.init) ?? path).suffix(5))
    }
    public static let all = [bp4d, bp4dPlus, disfa]

    public static func named(_ name: String) throws -> AUDatasetPreset {
        guard let p = all.first(where: { $0.name == name }) else {
            let hint = closestMatch(to: name, in: all.map(\.name)).map { " (did you mean \($0)?)" } ?? ""
            throw TaskUsageError("unknown AU dataset preset \(name)\(hint); presets: \(all.map(\.name).joined(separator: ", "))")
        }
        return p
    }
}

/// One labelled frame.
public struct AUSample: Sendable {
    /// Image file (root joined with img_path).
    public var path: String
    public var imagePath: String
    /// 1 where the AU is present, 0 where absent, in the preset's AU order.
    public var labels: [Float]
    public var subject: String
    /// Where it came from, for messages: "labels.jsonl:12".
    public var origin: String
    /// Position in a packed shard, when the data comes from one (then `path` is the record's key).
    public var shardIndex: Int? = nil
}

/// A problem with one entry of a dataset; with `--skip-bad` it is counted and reported instead.
public struct DataError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// FMAE's AU label files: JSON lines `{"img_path": "F001_T1/0001.jpg", "AUs": [1, 999, 4, …]}`, one entry
/// per AU of the preset, the AU number when present, 999 when absent; image = root + img_path; an optional
/// "subject" field overrides the preset's rule.
public struct AUDataset {
    public var preset: AUDatasetPreset
    public var samples: [AUSample]
    /// Entries left out with `skipBad`, one message each.
    public var skipped: [String]

    public var subjects: [String] { Array(Set(samples.map(\.subject))).sorted() }

    public static func load(labels file: String, root: String, preset: AUDatasetPreset, skipBad: Bool = false) throws -> AUDataset {
        guard let data = FileManager.default.contents(atPath: file) else { throw DataError("\(file): cannot read the label file") }
        guard let text = String(data: data, encoding: .utf8) else { throw DataError("\(file): not UTF-8 text") }
        var samples: [AUSample] = [], skipped: [String] = []
        let aus = preset.actionUnits
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let origin = "\(file):\(n + 1)"
            do {
                let value: JSONValue
                do { value = try JSONParser.parse(line) } catch { throw DataError("\(origin): not a JSON object (\(error))") }
                guard case let .string(imagePath)? = value["img_path"] else { throw DataError("\(origin): missing \"img_path\"") }
                guard case let .array(entries)? = value["AUs"] else { throw DataError("\(origin): missing \"AUs\" list") }
                guard entries.count == aus.count else {
                    throw DataError("\(origin): expected \(aus.count) AU entries for \(preset.name) (\(aus.map(String.init).joined(separator: ", "))), got \(entries.count)")
                }
                var labels: [Float] = []
                for (i, entry) in entries.enumerated() {
                    guard case let .integer(v) = entry, v == aus[i] || v == 999 else {
                        throw DataError("\(origin): AUs[\(i)] must be \(aus[i]) (present) or 999 (absent), got \(entry.brief)")
                    }
                    labels.append(v == 999 ? 0 : 1)
                }
                let path = (root as NSString).appendingPathComponent(imagePath)
                // The path comes from the file: quoted, and cut when long (a 100 MB img_path is no message).
                guard FileManager.default.fileExists(atPath: path) else { throw DataError("\(origin): image \(JSONValue.quoteForMessage(path)) not found") }
                let subject: String
                if case let .string(s)? = value["subject"] { subject = s } else { subject = preset.subject(imagePath) }
                samples.append(AUSample(path: path, imagePath: imagePath, labels: labels, subject: subject, origin: origin))
            } catch let e as DataError {
                if !skipBad { throw e }
                skipped.append(e.description)
            }
        }
        guard !samples.isEmpty else { throw DataError("\(file): no usable entries") }
        return AUDataset(preset: preset, samples: samples, skipped: skipped)
    }
}
