import Foundation

/// Progress on stderr: on a terminal one line redrawn at most 4 times a second; in a log (not a
/// terminal) a line per 10 % (or per 100 MB when the size is unknown), so CI logs stay short.
public final class DownloadProgress: @unchecked Sendable {
    let label: String
    let interactive: Bool
    private var total: Int64?
    private var startedAt = Date()
    private var firstByte: Int64 = 0
    private var lastDraw = Date.distantPast
    private var lastLogged: Int64 = -1

    public init(label: String, interactive: Bool = isatty(2) == 1) {
        self.label = label
        self.interactive = interactive
    }

    func begin(resumingAt offset: Int64, total: Int64?) {
        self.total = total
        startedAt = Date()
        firstByte = offset
        if offset > 0 { emit("resuming at \(ByteCountText.format(offset))", final: !interactive) }
    }

    func update(total received: Int64) {
        let now = Date()
        if interactive {
            guard now.timeIntervalSince(lastDraw) >= 0.25 else { return }
            lastDraw = now
            emit(status(received, now), final: false)
        } else {
            let step: Int64 = total.map { max($0 / 10, 1) } ?? 100_000_000
            let bucket = received / step
            guard bucket != lastLogged else { return }
            lastLogged = bucket
            emit(status(received, now), final: true)
        }
    }

    func finish(total received: Int64) {
        emit(status(received, Date()) + ", done", final: true)
    }

    private func status(_ received: Int64, _ now: Date) -> String {
        var text = ByteCountText.format(received)
        if let total, total > 0 {
            text += " / \(ByteCountText.format(total)) (\(Int(Double(received) * 100 / Double(total)))%)"
        }
        let seconds = now.timeIntervalSince(startedAt)
        if seconds > 0.5 { text += ", \(ByteCountText.format(Int64(Double(received - firstByte) / seconds)))/s" }
        return text
    }

    private func emit(_ text: String, final: Bool) {
        let line = "\(label): \(text)"
        let out = interactive ? "\r\u{1B}[K" + line + (final ? "\n" : "") : line + "\n"
        FileHandle.standardError.write(Data(out.utf8))
    }
}
