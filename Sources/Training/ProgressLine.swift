import Foundation

/// Progress of an epoch: one rewritten line on a terminal, cleared when the epoch ends (its one-line
/// summary follows); elsewhere (a log file) a plain line every 30 s, so long epochs still show life.
final class ProgressLine {
    private let total: Int
    private let terminal = isatty(fileno(stderr)) != 0
    private var lastPrinted = Date()

    init(total: Int) { self.total = total }

    func update(epoch: Int, step: Int, loss: Float, imagesPerSecond: Double, elapsed: Double) {
        let remaining = elapsed / Double(step) * Double(total - step)
        let text = String(format: "epoch %d  step %d/%d  loss %.4f  %.1f img/s  ETA %.0fs", epoch, step, total, loss, imagesPerSecond, remaining)
        if terminal {
            FileHandle.standardError.write(Data(("\r" + text + "\u{1B}[K").utf8))
        } else if step < total && Date().timeIntervalSince(lastPrinted) >= 30 {
            FileHandle.standardError.write(Data((text + "\n").utf8))
            lastPrinted = Date()
        }
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
