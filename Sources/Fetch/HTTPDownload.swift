import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP(S) GET streamed into a file, resuming from the bytes already there.
///
/// The file at `partial` is the download so far. When it holds n > 0 bytes the request asks for
/// `Range: bytes=n-`; a 206 answer whose Content-Range starts at n is appended, any other success (a
/// server that ignores ranges answers 200 with the whole file) starts the file again. Nothing is renamed
/// here: the caller checks the finished file and moves it into place.
struct HTTPDownload {
    /// What came back besides the bytes written to the file.
    struct Outcome {
        /// The body when the server sent HTML instead of a file (Google Drive's confirm page), else nil;
        /// the partial file is left as it was.
        var htmlPage: String?
        var totalBytes: Int64
    }

    var url: URL
    var partial: String
    var progress: DownloadProgress?
    /// Seconds without a byte before the transfer counts as interrupted.
    var idleTimeout: TimeInterval = 60

    func run() throws -> Outcome {
        let fm = FileManager.default
        if !fm.fileExists(atPath: partial) {
            guard fm.createFile(atPath: partial, contents: nil) else {
                throw FetchError.io(path: partial, reason: "cannot create the download file (is the cache folder writable?)")
            }
        }
        guard let handle = FileHandle(forUpdatingAtPath: partial) else {
            throw FetchError.io(path: partial, reason: "cannot open the download file for writing")
        }
        defer { try? handle.close() }
        let offset = Int64(try handle.seekToEnd())

        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: idleTimeout)
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
        request.setValue("zoo", forHTTPHeaderField: "User-Agent")

        let receiver = Receiver(handle: handle, offset: offset, progress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeout
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: receiver, delegateQueue: queue)
        session.dataTask(with: request).resume()
        receiver.finished.wait()
        session.finishTasksAndInvalidate()

        if let failure = receiver.failure { throw failure.asFetchError(url: url.absoluteString) }
        guard receiver.status != nil else {
            throw FetchError.unreachable(url: url.absoluteString, reason: receiver.transportError ?? "no response")
        }
        if let status = receiver.status, !(200...299).contains(status) {
            throw FetchError.httpStatus(url: url.absoluteString, status: status)
        }
        if let page = receiver.htmlPage { return Outcome(htmlPage: page, totalBytes: offset) }
        let written = receiver.start + receiver.received
        if let failure = receiver.transportError {
            throw FetchError.interrupted(url: url.absoluteString, received: written, expected: receiver.expectedTotal,
                                         partial: partial, reason: failure)
        }
        if let expected = receiver.expectedTotal, written != expected {
            throw FetchError.interrupted(url: url.absoluteString, received: written, expected: expected, partial: partial,
                                         reason: "the connection closed early")
        }
        progress?.finish(total: written)
        return Outcome(htmlPage: nil, totalBytes: written)
    }
}

/// URLSession's delegate: checks the response head, then appends the body to the file as it arrives.
private final class Receiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    enum Failure {
        case write(String, String)
        func asFetchError(url: String) -> FetchError {
            switch self {
            case let .write(path, reason): return .io(path: path, reason: reason)
            }
        }
    }

    let handle: FileHandle
    let offset: Int64
    let progress: DownloadProgress?
    let finished = DispatchSemaphore(value: 0)
    /// Where this response's bytes go in the file: `offset` for a matching 206, 0 when starting again.
    var start: Int64 = 0
    var received: Int64 = 0
    var expectedTotal: Int64?
    var status: Int?
    var htmlPage: String?
    private var htmlBody = Data()
    private var collectingHTML = false
    var failure: Failure?
    var transportError: String?

    init(handle: FileHandle, offset: Int64, progress: DownloadProgress?) {
        self.handle = handle
        self.offset = offset
        self.progress = progress
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else { completionHandler(.cancel); return }
        status = http.statusCode
        // 416: the range starts at the end, so the file was already whole; let the caller check it.
        if http.statusCode == 416, offset > 0 {
            status = 206
            start = offset
            expectedTotal = offset
            completionHandler(.cancel)
            return
        }
        guard (200...299).contains(http.statusCode) else { completionHandler(.cancel); return }
        let type = (http.value(forHTTPHeaderField: "Content-Type") ?? "").lowercased()
        if type.hasPrefix("text/html") {
            collectingHTML = true
            completionHandler(.allow)
            return
        }
        let length = http.expectedContentLength >= 0 ? http.expectedContentLength : nil
        if http.statusCode == 206, let range = http.value(forHTTPHeaderField: "Content-Range"), Self.rangeStart(range) == offset {
            start = offset
            expectedTotal = Self.rangeTotal(range) ?? length.map { offset + $0 }
        } else {
            // A whole file (200, or a range we did not ask for): write it from the beginning.
            start = 0
            do {
                try handle.truncate(atOffset: 0)
            } catch {
                failure = .write("download file", error.localizedDescription)
                completionHandler(.cancel)
                return
            }
            expectedTotal = length
        }
        progress?.begin(resumingAt: start, total: expectedTotal)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        if collectingHTML {
            // A confirm page is a few kB; a larger HTML body is not one, and is not kept.
            if htmlBody.count < 1 << 20 { htmlBody.append(data) }
            return
        }
        guard failure == nil else { return }
        do {
            try handle.write(contentsOf: data)
        } catch {
            failure = .write("download file", "write failed: \(error.localizedDescription) (disk full?)")
            dataTask.cancel()
            return
        }
        received += Int64(data.count)
        progress?.update(total: start + received)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if collectingHTML { htmlPage = String(decoding: htmlBody, as: UTF8.self) }
        if let error, failure == nil, status.map({ (200...299).contains($0) }) ?? true {
            // Our own cancel after a 416 is not a failure.
            if !(status == 206 && expectedTotal == offset && received == 0) { transportError = error.localizedDescription }
        }
        if let error, status == nil { transportError = error.localizedDescription }
        finished.signal()
    }

    /// n in "bytes n-m/total".
    static func rangeStart(_ header: String) -> Int64? {
        guard let spec = header.split(separator: " ").last, let dash = spec.firstIndex(of: "-") else { return nil }
        return Int64(spec[..<dash])
    }

    /// total in "bytes n-m/total" ("*" when unknown).
    static func rangeTotal(_ header: String) -> Int64? {
        guard let slash = header.lastIndex(of: "/") else { return nil }
        return Int64(header[header.index(after: slash)...])
    }
}
