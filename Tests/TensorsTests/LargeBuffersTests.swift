import XCTest
import Tensors

final class LargeBuffersTests: XCTestCase {
    private func fake(_ i: Int) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: 0x10000 * i)! }

    func testKeptBuffersComeBackBySizeAndNeverPastTheLimit() {
        var cache = FreedBuffers(limit: 10)
        XCTAssertTrue(cache.keep(fake(1), length: 4))
        XCTAssertTrue(cache.keep(fake(2), length: 4))
        XCTAssertFalse(cache.keep(fake(3), length: 4), "12 bytes would pass the limit of 10")
        XCTAssertEqual(cache.cachedBytes, 8)
        XCTAssertNil(cache.take(2), "only exact sizes are reused")
        XCTAssertEqual(cache.take(4), fake(2))
        XCTAssertEqual(cache.take(4), fake(1))
        XCTAssertNil(cache.take(4))
        XCTAssertEqual(cache.cachedBytes, 0)
    }

    func testEvictionDropsTheLargestFirstAndOnlyWhatIsNeeded() {
        var cache = FreedBuffers(limit: 16)
        XCTAssertTrue(cache.keep(fake(1), length: 2))
        XCTAssertTrue(cache.keep(fake(2), length: 8))
        XCTAssertTrue(cache.keep(fake(3), length: 4))
        XCTAssertTrue(cache.evict(toFit: 2).isEmpty, "14 + 2 fits")
        let evicted = cache.evict(toFit: 6)
        XCTAssertEqual(evicted.map(\.1), [8])
        XCTAssertEqual(evicted.first?.0, fake(2))
        XCTAssertEqual(cache.cachedBytes, 6)
        XCTAssertEqual(cache.evict(toFit: 16).map(\.1), [4, 2])
        XCTAssertEqual(cache.cachedBytes, 0)
        XCTAssertTrue(cache.drain().isEmpty)
    }

    func testLargeStoragesAreHugePageAlignedAndReusedAfterFree() throws {
        try XCTSkipIf(LargeBuffers.cacheLimit == 0, "ZOO_BUFFER_CACHE_MB=0 sends every storage to malloc")
        let count = 3 << 20 / MemoryLayout<Float>.size  // 3 MiB: mapped as two 2 MiB pages
        var first: Storage? = Storage(count: count)
        let address = UInt(bitPattern: first!.pointer)
        XCTAssertEqual(address % UInt(2 << 20), 0)
        // Every byte of the request is writable, up to the last.
        first!.pointer.update(repeating: 1, count: count)
        first = nil
        let again = Storage(zeros: count)
        XCTAssertEqual(UInt(bitPattern: again.pointer), address, "a freed buffer serves the next request of its size")
        XCTAssertEqual(again.pointer[count - 1], 0)
        // Small storages stay with malloc: no alignment beyond the 64 bytes asked for is promised.
        let small = Storage(count: 16)
        XCTAssertEqual(UInt(bitPattern: small.pointer) % 64, 0)
    }

    func testReleasingTheCacheEmptiesIt() throws {
        try XCTSkipIf(LargeBuffers.cacheLimit == 0, "ZOO_BUFFER_CACHE_MB=0 sends every storage to malloc")
        var storage: Storage? = Storage(count: 5 << 20 / MemoryLayout<Float>.size)
        storage = nil
        XCTAssertNil(storage)
        XCTAssertGreaterThanOrEqual(LargeBuffers.cachedBytes, 6 << 20)
        LargeBuffers.releaseCached()
        XCTAssertEqual(LargeBuffers.cachedBytes, 0)
    }
}
