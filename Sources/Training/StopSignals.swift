import Dispatch
import Foundation

/// SIGINT and SIGTERM, turned from "die now" into "stop after this step": the trainer polls `received`
/// between optimisation steps and writes a checkpoint before it stops. A second signal of the same kind
/// kills the process as usual (the handler restores the default action after the first), so a stuck
/// run can still be stopped.
final class StopSignals {
    private let lock = NSLock()
    private var signal: Int32?
    private var sources: [DispatchSourceSignal] = []
    private static let handled: [Int32] = [SIGINT, SIGTERM]

    init() {
        for number in Self.handled {
            // A dispatch source sees the signal only while its default action (termination) is off.
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                self?.record(number)
                Foundation.signal(number, SIG_DFL)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The first signal received, if any.
    var received: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return signal
    }

    private func record(_ number: Int32) {
        lock.lock()
        if signal == nil {
            signal = number
            FileHandle.standardError.write(Data("\nzoo: \(number == SIGINT ? "SIGINT" : "SIGTERM") received: stopping after this step with a checkpoint (send it again to stop at once)\n".utf8))
        }
        lock.unlock()
    }

    /// Gives the signals their default action back.
    func uninstall() {
        for source in sources { source.cancel() }
        sources = []
        for number in Self.handled { Foundation.signal(number, SIG_DFL) }
    }
}
