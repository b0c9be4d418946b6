import Foundation
import Zoo

/// Unlabelled images for pretraining: every image file under a folder (recursively, sorted), or the
/// lines of a list file (paths relative to the list's folder unless absolute).
public enum ImageList {
    public static func load(_ path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw DataError("\(path): no such file or folder") }
        var files: [String] = []
        if isDirectory.boolValue {
            guard let walker = FileManager.default.enumerator(atPath: path) else { throw DataError("\(path): cannot list the folder") }
            for case let file as String in walker where ImageFolderDataset.imageExtensions.contains((file as NSString).pathExtension.lowercased()) {
                files.append((path as NSString).appendingPathComponent(file))
            }
            files.sort()
        } else {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw DataError("\(path): cannot read the list file") }
            let base = (path as NSString).deletingLastPathComponent
            for (n, line) in text.split(separator: "\n").enumerated() {
                let entry = line.trimmingCharacters(in: .whitespaces)
                if entry.isEmpty || entry.hasPrefix("#") { continue }
                let file = entry.hasPrefix("/") ? entry : (base as NSString).appendingPathComponent(entry)
                guard FileManager.default.fileExists(atPath: file) else { throw DataError("\(path):\(n + 1): image \(JSONValue.quoteForMessage(file)) not found") }
                files.append(file)
            }
        }
        guard !files.isEmpty else { throw DataError("\(path): no images") }
        return files
    }
}
