import Foundation
import Zoo

/// Expression datasets in ImageFolder layout: one folder per class, class index = position of the folder
/// name in sorted order (torchvision's ImageFolder).
public struct ImageFolderDataset {
    public struct Preset: Sendable {
        public let name: String
        public let classNames: [String]
        public static let rafdb = Preset(name: "rafdb", classNames: ["Surprise", "Fear", "Disgust", "Happiness", "Sadness", "Anger", "Neutral"])
        public static let affectnet8 = Preset(name: "affectnet8", classNames: ["Neutral", "Happy", "Sad", "Surprise", "Fear", "Disgust", "Anger", "Contempt"])
        public static let all = [rafdb, affectnet8]
        public static func named(_ name: String) throws -> Preset {
            guard let p = all.first(where: { $0.name == name }) else {
                throw TaskUsageError("unknown expression preset \(name); presets: \(all.map(\.name).joined(separator: ", "))")
            }
            return p
        }
    }

    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "ppm"]

    public var root: String
    /// Folder names in class-index order.
    public var classes: [String]
    public var samples: [(path: String, classIndex: Int)]

    public static func load(root: String, preset: Preset? = nil) throws -> ImageFolderDataset {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError("\(root): not a folder")
        }
        let classes = try fm.contentsOfDirectory(atPath: root).filter { name in
            var dir: ObjCBool = false
            return !name.hasPrefix(".") && fm.fileExists(atPath: root + "/" + name, isDirectory: &dir) && dir.boolValue
        }.sorted()
        guard !classes.isEmpty else { throw DataError("\(root): no class folders") }
        if let preset, classes.count != preset.classNames.count {
            throw DataError("\(root): \(classes.count) class folders, but \(preset.name) has \(preset.classNames.count) classes (\(preset.classNames.joined(separator: ", ")))")
        }
        var samples: [(String, Int)] = []
        for (index, name) in classes.enumerated() {
            let folder = root + "/" + name
            var files: [String] = []
            if let walker = fm.enumerator(atPath: folder) {
                for case let file as String in walker where imageExtensions.contains((file as NSString).pathExtension.lowercased()) {
                    files.append(folder + "/" + file)
                }
            }
            guard !files.isEmpty else { throw DataError("\(folder): class folder has no images") }
            samples += files.sorted().map { ($0, index) }
        }
        return ImageFolderDataset(root: root, classes: classes, samples: samples)
    }
}
