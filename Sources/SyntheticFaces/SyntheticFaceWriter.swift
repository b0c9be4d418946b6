import Foundation
import Images

extension SyntheticFaceDataset {
    /// Counts for one split, as `write` reports them and synth.json stores them.
    public struct SplitSummary: Codable, Equatable, Sendable {
        public var images: Int
        public var subjects: [String]
        /// Frames with each AU present (BP4D order).
        public var auPositives: [Int]
        /// Frames of each expression class (AffectNet order).
        public var expressions: [Int]

        enum CodingKeys: String, CodingKey {
            case images, subjects, expressions
            case auPositives = "au_positives"
        }
    }

    /// What `write` produced.
    public struct Summary: Equatable, Sendable {
        public var directory: URL
        public var train: SplitSummary
        public var test: SplitSummary
    }

    /// Writes the dataset to `directory` (which must not exist unless `replacing`):
    ///
    ///     images/<SUBJECT>_T1/<frame, 4 digits>.<ext>     every frame, encoded by `encode`
    ///     train.jsonl, test.jsonl                          FMAE AU labels, one line per image:
    ///         {"img_path": "F001_T1/0001.jpg", "AUs": [1, 999, 4, 999, 7, 999, 12, 999, 999, 999, 999, 999]}
    ///         12 entries in BP4D order, the AU number when present, 999 when absent; img_path relative to images/
    ///     expressions/{train,test}/<k>_<Class>/<SUBJECT>_T1_<frame>.<ext>
    ///                                                      the same files (hard links, copies where links fail)
    ///                                                      in ImageFolder layout; all 8 class folders exist, and
    ///                                                      "0_Neutral" … "7_Contempt" sort into class order
    ///     synth.json                                       config, subjects and their splits and biases, AU list,
    ///                                                      class names, counts
    ///
    /// Splits are subject-exclusive. Everything is written into a hidden sibling folder that is renamed to
    /// `directory` only when complete (and removed on failure), so a dataset is either all there or absent.
    /// `encode` is called once per image, in order, from the calling thread; the bytes it returns are
    /// written as they are. Frames are rendered on all cores in batches, so memory stays bounded.
    @discardableResult
    public func write(to directory: URL, encode: (RGBImage) throws -> [UInt8], fileExtension: String,
                      replacing: Bool = false) throws -> Summary {
        var ext = fileExtension
        if ext.hasPrefix(".") { ext.removeFirst() }
        guard !ext.isEmpty, ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw SyntheticFaceError.invalidFileExtension(fileExtension)
        }
        let fm = FileManager.default
        let target = directory.standardizedFileURL
        if fm.fileExists(atPath: target.path) && !replacing {
            throw SyntheticFaceError.destinationExists(target.path)
        }
        let parent = target.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent(".\(target.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
        if fm.fileExists(atPath: staging.path) { try fm.removeItem(at: staging) }
        do {
            let summary = try writeContents(to: staging, encode: encode, ext: ext)
            if fm.fileExists(atPath: target.path) {
                let old = parent.appendingPathComponent(".\(target.lastPathComponent).old-\(ProcessInfo.processInfo.processIdentifier)")
                if fm.fileExists(atPath: old.path) { try fm.removeItem(at: old) }
                try fm.moveItem(at: target, to: old)
                try fm.moveItem(at: staging, to: target)
                try? fm.removeItem(at: old)
            } else {
                try fm.moveItem(at: staging, to: target)
            }
            return Summary(directory: target, train: summary.train, test: summary.test)
        } catch {
            try? fm.removeItem(at: staging)
            throw error
        }
    }

    private func writeContents(to root: URL, encode: (RGBImage) throws -> [UInt8], ext: String) throws -> (train: SplitSummary, test: SplitSummary) {
        let fm = FileManager.default
        let images = root.appendingPathComponent("images")
        try fm.createDirectory(at: images, withIntermediateDirectories: true)
        for split in Split.allCases {
            for c in FacialExpression.allCases {
                try fm.createDirectory(at: root.appendingPathComponent("expressions/\(split.rawValue)/\(c.folderName)"),
                                       withIntermediateDirectories: true)
            }
        }
        for s in subjects {
            try fm.createDirectory(at: images.appendingPathComponent("\(s.id)_T1"), withIntermediateDirectories: true)
        }

        var summaries: [Split: SplitSummary] = [:]
        for split in Split.allCases {
            var summary = SplitSummary(images: 0, subjects: subjects(in: split).map(\.id).sorted(),
                                       auPositives: [Int](repeating: 0, count: 12), expressions: [Int](repeating: 0, count: 8))
            var lines = ""
            let all = frames(in: split)
            let batch = 64
            for start in stride(from: 0, to: all.count, by: batch) {
                for sample in render(Array(all[start..<min(start + batch, all.count)])) {
                    let relative = sample.imagePath(fileExtension: ext)
                    let file = images.appendingPathComponent(relative)
                    let bytes = Data(try encode(sample.image))
                    try bytes.write(to: file)
                    let folder = FacialExpression(rawValue: sample.expression)!.folderName
                    let copy = root.appendingPathComponent("expressions/\(split.rawValue)/\(folder)/\(sample.subject)_T1_\(Self.fourDigits(sample.frame)).\(ext)")
                    do { try fm.linkItem(at: file, to: copy) } catch { try bytes.write(to: copy) }

                    let codes = zip(FacialActionUnit.bp4dNumbers, sample.auOccurrence).map { $1 ? String($0) : "999" }
                    lines += "{\"img_path\": \"\(relative)\", \"AUs\": [\(codes.joined(separator: ", "))]}\n"
                    summary.images += 1
                    summary.expressions[sample.expression] += 1
                    for k in 0..<12 where sample.auOccurrence[k] { summary.auPositives[k] += 1 }
                }
            }
            try Data(lines.utf8).write(to: root.appendingPathComponent("\(split.rawValue).jsonl"))
            summaries[split] = summary
        }

        let manifest = Manifest(
            config: config, imageSize: config.size, fileExtension: ext,
            auList: FacialActionUnit.bp4dNumbers, auNames: FacialActionUnit.bp4d.map(\.name),
            expressionClasses: FacialExpression.allCases.map(\.name),
            expressionFolders: FacialExpression.allCases.map(\.folderName),
            subjects: subjects.map {
                Manifest.Subject(id: $0.id, index: $0.index, split: $0.split.rawValue, sex: $0.identity.sex.rawValue,
                                 identitySeed: $0.identity.seed, auLogitOffsets: $0.auLogitOffsets,
                                 expressionLogitOffsets: $0.expressionLogitOffsets)
            },
            splits: ["train": summaries[.train]!, "test": summaries[.test]!],
            files: ["images": "images", "train_labels": "train.jsonl", "test_labels": "test.jsonl",
                    "expressions_train": "expressions/train", "expressions_test": "expressions/test"],
            labelModel: "per frame: class ~ softmax(log prior + expression_logit_offsets); the class's defining AUs present; "
                + "every other AU present with probability sigmoid(logit(background_rate) + au_logit_offsets); "
                + "test subjects have zero offsets (no identity shortcut)",
            expressionPrior: Self.expressionPrior, backgroundRates: Self.backgroundRates)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(manifest).write(to: root.appendingPathComponent("synth.json"))
        return (summaries[.train]!, summaries[.test]!)
    }

    /// synth.json.
    private struct Manifest: Encodable {
        struct Subject: Encodable {
            var id: String
            var index: Int
            var split: String
            var sex: String
            var identitySeed: UInt64
            var auLogitOffsets: [Double]
            var expressionLogitOffsets: [Double]

            enum CodingKeys: String, CodingKey {
                case id, index, split, sex
                case identitySeed = "identity_seed"
                case auLogitOffsets = "au_logit_offsets"
                case expressionLogitOffsets = "expression_logit_offsets"
            }
        }

        var format = "zoo synthetic faces"
        var version = 1
        var config: SyntheticFaceConfig
        var imageSize: Int
        var fileExtension: String
        var auList: [Int]
        var auNames: [String]
        var expressionClasses: [String]
        var expressionFolders: [String]
        var subjects: [Subject]
        var splits: [String: SplitSummary]
        var files: [String: String]
        var labelModel: String
        var expressionPrior: [Double]
        var backgroundRates: [Double]

        enum CodingKeys: String, CodingKey {
            case format, version, config, subjects, splits, files
            case imageSize = "image_size"
            case fileExtension = "file_extension"
            case auList = "au_list"
            case auNames = "au_names"
            case expressionClasses = "expression_classes"
            case expressionFolders = "expression_folders"
            case labelModel = "label_model"
            case expressionPrior = "expression_prior"
            case backgroundRates = "au_background_rates"
        }
    }
}
