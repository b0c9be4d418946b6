#if canImport(Glibc)
import Glibc
#endif

/// Flush-to-zero for subnormal results on the threads that run kernels, as TensorFlow does by default
/// and `torch.set_flush_denormal(True)` does on request. Subnormals (|x| < 1.2e-38) take a slow
/// microcode path on x86: with timm's initialisation a ViT-B training step produced enough of them to
/// run about 35 % slower. Results change only where they would fall below float's normal range.
public enum Denormals {
    /// Sets the flags on the calling thread when they are not set yet (a read of the control register).
    @inline(__always)
    public static func flushOnThisThread() {
        #if arch(x86_64) && canImport(Glibc)
        var environment = fenv_t()
        fegetenv(&environment)
        // MXCSR bit 15: flush subnormal results to zero (FTZ). Not DAZ (bit 6, subnormal inputs read as
        // zero): it also zeroes float16 subnormals in hardware conversions, which checkpoints contain.
        let flags: UInt32 = 0x8000
        if environment.__mxcsr & flags != flags {
            environment.__mxcsr |= flags
            fesetenv(&environment)
        }
        #elseif arch(arm64) && canImport(Glibc)
        var environment = fenv_t()
        fegetenv(&environment)
        // FPCR bit 24: flush-to-zero mode.
        let flag: UInt32 = 1 << 24
        if environment.__fpcr & flag == 0 {
            environment.__fpcr |= flag
            fesetenv(&environment)
        }
        #endif
    }
}
