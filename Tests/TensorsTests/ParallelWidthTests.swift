import XCTest
import Tensors

/// How many threads an op may split over, on each kind of thread: all the workers at the top, a copy's
/// share inside `Parallel.independently`, one inside a parallel loop's worker (nested loops are serial).
final class ParallelWidthTests: XCTestCase {
    private final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private var widths: [Int: Int] = [:]
        func record(_ i: Int, _ width: Int) { lock.lock(); widths[i] = width; lock.unlock() }
        var all: [Int: Int] { lock.lock(); defer { lock.unlock() }; return widths }
    }

    func testEachCopyGetsItsShareOfTheWorkers() {
        let workers = Parallel.workers
        XCTAssertEqual(Parallel.width, workers)
        for count in [1, 2, 3, 2 * workers] {
            let seen = Seen()
            Parallel.independently(count) { r in seen.record(r, Parallel.width) }
            XCTAssertEqual(seen.all.count, count)
            XCTAssertEqual(Set(seen.all.values), [max(1, workers / count)], "\(count) copies on \(workers) workers")
        }
        XCTAssertEqual(Parallel.width, workers, "the caller's width is back after the copies finish")
    }

    func testLoopWorkersRunNestedLoopsSerially() {
        let seen = Seen()
        Parallel.forEachItem(8) { i in seen.record(i, Parallel.width) }
        XCTAssertEqual(Set(seen.all.values), [Parallel.workers > 1 ? 1 : Parallel.workers])
        // A copy with every core keeps them for its ops; its loops' workers are serial again.
        let inner = Seen()
        Parallel.independently(1) { _ in
            XCTAssertEqual(Parallel.width, Parallel.workers)
            Parallel.forEachItem(4) { i in inner.record(i, Parallel.width) }
        }
        XCTAssertEqual(inner.all.count, 4)
        if Parallel.workers > 1 { XCTAssertEqual(Set(inner.all.values), [1]) }
    }

    /// A product split into bands inside a copy (one copy: all the workers) or run whole (as many copies
    /// as workers) equals the product at the top.
    func testGEMMInsideCopiesMatchesTheProductOutside() {
        let a = Tensor.randn([192, 160], generator: Generator(seed: 1))
        let b = Tensor.randn([160, 144], generator: Generator(seed: 2))
        let whole = Tensor.matmul(a, b).scalars
        for count in [1, 2] {
            var fromCopies = [[Float]](repeating: [], count: count)
            let lock = NSLock()
            Parallel.independently(count) { r in
                let product = Tensor.matmul(a, b).scalars
                lock.lock(); fromCopies[r] = product; lock.unlock()
            }
            for product in fromCopies {
                XCTAssertEqual(product.count, whole.count)
                let worst = zip(product, whole).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThan(worst, 1e-4, "\(count) copies")
            }
        }
    }
}
