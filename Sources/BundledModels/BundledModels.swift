import Foundation

/// Released model files that zoo ships (MTCNN's three networks from facenet-pytorch, fer's emotion
/// model), so that `zoo run detect` and the `mtcnn` / `fer-emotion` catalog entries need no download.
/// SwiftPM copies `Files/` next to the binary as a resource bundle; each folder there has the upstream
/// licence and the files' sha256.
public enum BundledModels {
    /// The path of `relative` (e.g. "mtcnn/pnet.pt", "fer/emotion_model.hdf5", or a folder "mtcnn"),
    /// or nil when it is not bundled.
    public static func path(_ relative: String) -> String? {
        guard !relative.isEmpty, !relative.split(separator: "/").contains(".."),
              let root = Bundle.module.resourceURL?.appendingPathComponent("Files") else { return nil }
        let path = root.appendingPathComponent(relative).path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// A catalog `source` of the form "bundled:RELATIVE" as a path; nil for any other source.
    public static func path(forSource source: String) -> String? {
        guard source.hasPrefix("bundled:") else { return nil }
        return path(String(source.dropFirst("bundled:".count)))
    }
}
