import CKernels
import Foundation

/// Whether the element-wise kernels run their AVX2 + FMA versions (Sources/CKernels), checked once.
///
/// Swift compiles for the x86-64 baseline, so its 8-lane SIMD code runs as two SSE halves without fused
/// multiply-add; on a CPU with AVX2 and FMA the C versions of the same formulas run about twice as fast.
/// Every other CPU keeps the portable Swift kernels (`VectorMath`, `VectorRows`). Setting
/// ZOO_PORTABLE_KERNELS=1 forces the Swift kernels (to compare both on one machine).
public enum NativeKernels {
    public static let avx2: Bool = {
        if let text = ProcessInfo.processInfo.environment["ZOO_PORTABLE_KERNELS"], text == "1" { return false }
        return zoo_kernels_have_avx2_fma() != 0
    }()
}
