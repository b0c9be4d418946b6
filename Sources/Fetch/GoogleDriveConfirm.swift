import Foundation

/// Google Drive's large-file step. A file too big for Drive's virus scan is not sent at once: the
/// download URL answers with a web page ("Google Drive can't scan this file for viruses") whose form
/// leads to the file. The form's action and hidden fields (id, export, confirm, uuid, …) make the URL
/// that does send it. Older pages carried a `confirm=TOKEN` link instead; both are understood.
public enum GoogleDriveConfirm {
    /// Where Drive serves files; `ZOO_GDRIVE_URL` replaces it (a mirror, or a local server in tests).
    static var base: String {
        let env = ProcessInfo.processInfo.environment["ZOO_GDRIVE_URL"] ?? ""
        return env.isEmpty ? "https://drive.usercontent.google.com" : env
    }

    static func firstURL(id: String) -> URL? {
        var parts = URLComponents(string: base + "/download")
        parts?.queryItems = [URLQueryItem(name: "id", value: id), URLQueryItem(name: "export", value: "download")]
        return parts?.url
    }

    /// The URL the confirm page leads to, or nil when the page has no download form or link (a quota
    /// or permission page).
    public static func confirmURL(page: String, pageURL: URL) -> URL? {
        if let form = formTarget(page, pageURL: pageURL) { return form }
        // <a href="/uc?export=download&amp;confirm=AbCd&amp;id=…">
        guard let range = page.range(of: #"href="([^"]*confirm=[^"]*)""#, options: .regularExpression) else { return nil }
        let href = page[range].dropFirst(6).dropLast().replacingOccurrences(of: "&amp;", with: "&")
        return URL(string: href, relativeTo: pageURL)?.absoluteURL
    }

    private static func formTarget(_ page: String, pageURL: URL) -> URL? {
        guard let formStart = page.range(of: #"<form[^>]*id="download-form"[^>]*>"#, options: .regularExpression)
            ?? page.range(of: #"<form[^>]*>"#, options: .regularExpression) else { return nil }
        let tag = String(page[formStart])
        guard let action = attribute("action", in: tag) else { return nil }
        let rest = page[formStart.upperBound...]
        let body = rest.range(of: "</form>").map { rest[..<$0.lowerBound] } ?? rest
        var items: [URLQueryItem] = []
        var cursor = body.startIndex
        while let input = body.range(of: #"<input[^>]*>"#, options: .regularExpression, range: cursor..<body.endIndex) {
            let tag = String(body[input])
            if attribute("type", in: tag)?.lowercased() == "hidden", let name = attribute("name", in: tag) {
                items.append(URLQueryItem(name: name, value: attribute("value", in: tag) ?? ""))
            }
            cursor = input.upperBound
        }
        guard !items.isEmpty, let target = URL(string: action.replacingOccurrences(of: "&amp;", with: "&"), relativeTo: pageURL),
              var parts = URLComponents(url: target.absoluteURL, resolvingAgainstBaseURL: true) else { return nil }
        parts.queryItems = (parts.queryItems ?? []) + items
        return parts.url
    }

    private static func attribute(_ name: String, in tag: String) -> String? {
        guard let range = tag.range(of: "\(name)=\"[^\"]*\"", options: .regularExpression) else { return nil }
        return String(tag[range].dropFirst(name.count + 2).dropLast())
    }
}
