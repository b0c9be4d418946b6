import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 server on 127.0.0.1 for download tests (no outside network here): one thread,
/// one request per connection, answers chosen by a handler. A reply can stop after `cutAfter` body bytes
/// and close the socket, which is what a dropped connection looks like to the client.
final class LocalHTTPServer: @unchecked Sendable {
    struct Request {
        var path: String
        var query: [String: String]
        var rangeStart: Int?
    }

    struct Reply {
        var status: Int
        var headers: [(String, String)]
        var body: Data
        var cutAfter: Int?

        /// The file, or from the requested range onwards (206) when the request had one.
        static func file(_ data: Data, request: Request, honourRange: Bool = true, cutAfter: Int? = nil) -> Reply {
            if honourRange, let start = request.rangeStart {
                guard start < data.count else {
                    return Reply(status: 416, headers: [("Content-Range", "bytes */\(data.count)")], body: Data())
                }
                return Reply(status: 206, headers: [("Content-Type", "application/octet-stream"),
                                                    ("Content-Range", "bytes \(start)-\(data.count - 1)/\(data.count)")],
                             body: data.subdata(in: start..<data.count), cutAfter: cutAfter)
            }
            return Reply(status: 200, headers: [("Content-Type", "application/octet-stream")], body: data, cutAfter: cutAfter)
        }

        static func html(_ text: String) -> Reply {
            Reply(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], body: Data(text.utf8))
        }
    }

    let port: UInt16
    private let listener: Int32
    private let handler: (Request) -> Reply
    private let lock = NSLock()
    private var log: [Request] = []
    private var thread: Thread?

    var requests: [Request] { lock.lock(); defer { lock.unlock() }; return log }
    var base: String { "http://127.0.0.1:\(port)" }

    init(handler: @escaping (Request) -> Reply) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        listener = fd
        // The thread holds the server until accept fails, which stop() causes (shutdown wakes accept).
        let thread = Thread { [self] in self.serve() }
        self.thread = thread
        thread.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var head = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !head.contains(Data("\r\n\r\n".utf8)) {
            let n = recv(client, &buffer, buffer.count, 0)
            if n <= 0 { return }
            head.append(contentsOf: buffer[0..<n])
        }
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let target = lines.first?.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        let parts = URLComponents(string: target)
        var query: [String: String] = [:]
        for item in parts?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        var rangeStart: Int?
        for line in lines where line.lowercased().hasPrefix("range:") {
            let spec = line.split(separator: "=").last.map(String.init) ?? ""
            rangeStart = Int(spec.split(separator: "-").first ?? "")
        }
        let request = Request(path: parts?.path ?? target, query: query, rangeStart: rangeStart)
        lock.lock(); log.append(request); lock.unlock()

        let reply = handler(request)
        var text = "HTTP/1.1 \(reply.status) X\r\nContent-Length: \(reply.body.count)\r\nConnection: close\r\n"
        for (k, v) in reply.headers { text += "\(k): \(v)\r\n" }
        text += "\r\n"
        var out = Data(text.utf8)
        out.append(reply.cutAfter.map { reply.body.prefix($0) } ?? reply.body)
        out.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = send(client, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                sent += n
            }
        }
    }
}
