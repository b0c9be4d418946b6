import Foundation

/// Progress of an epoch: one rewritten line on a terminal, a plain log line every few steps otherwise.
final class ProgressLine {
    private let total: Int
    private let terminal = isatty(fileno(stderr)) != 0
    private var lastPrinted = Date.distantPast

    init(total: Int) { self.total = total }

    func update(epoch: Int, step: Int, loss: Float, imagesPerSecond: Double, elapsed: Double) {
        let remaining = elapsed / Double(step) * Double(total - step)
        let text = String(format: "epoch %d  step %d/%d  loss %.4f  %.1f img/s  ETA %.0fs", epoch, step, total, loss, imagesPerSecond, remaining)
        if terminal {
            FileHandle.standardError.write(Data(("\r" + text + "\u{1B}[K").utf8))
        } else if step == total || Date().timeIntervalSince(lastPrinted) >= 10 {
            FileHandle.standardError.write(Data((text + "\n").utf8))
            lastPrinted = Date()
        }
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
