import Foundation
import Training
import XCTest

/// How evaluation is split over a data-parallel group (the gathering itself runs under mpirun in
/// DataParallelCLITests).
final class ShardedEvaluationTests: XCTestCase {
    func testRanksCoverEveryBatchOnceInOrder() {
        for size in 1...5 {
            for count in [0, 1, 2, 3, 7, 19, 64] {
                let ranges = (0..<size).map { ShardedEvaluation.batches(count, rank: $0, size: size) }
                XCTAssertEqual(ranges.flatMap { Array($0) }, Array(0..<count), "\(count) batches over \(size) ranks: \(ranges)")
                let sizes = ranges.map(\.count)
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "shares differ by at most one batch: \(sizes)")
            }
        }
    }

    func testOneProcessScoresEverythingInBatchOrder() {
        var seen: [Int] = []
        let (outputs, labels) = ShardedEvaluation.gather(batches: 3, group: SingleProcess()) { i in
            seen.append(i)
            return ([Float(i), Float(i) + 0.5], [Float(10 * i)])
        }
        XCTAssertEqual(seen, [0, 1, 2])
        XCTAssertEqual(outputs, [0, 0.5, 1, 1.5, 2, 2.5])
        XCTAssertEqual(labels, [0, 10, 20])
    }
}
