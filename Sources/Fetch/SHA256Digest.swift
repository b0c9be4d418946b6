import COpenSSL
import Foundation

/// SHA-256 of a file, through OpenSSL's libcrypto (a system library zoo already finds with pkg-config),
/// read in 4 MB pieces so that a multi-gigabyte checkpoint never sits in memory.
public enum SHA256Digest {
    /// Lower-case hex digest of the file at `path`.
    public static func hex(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FetchError.io(path: path, reason: "cannot open for reading")
        }
        defer { try? handle.close() }
        guard let context = EVP_MD_CTX_new() else { throw FetchError.io(path: path, reason: "libcrypto could not allocate a digest") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            throw FetchError.io(path: path, reason: "libcrypto could not start a SHA-256 digest")
        }
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 4 << 20) ?? Data() } catch {
                throw FetchError.io(path: path, reason: "read failed: \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            let ok = chunk.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
            guard ok == 1 else { throw FetchError.io(path: path, reason: "libcrypto failed while hashing") }
        }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &digest, &length) == 1, length == 32 else {
            throw FetchError.io(path: path, reason: "libcrypto failed to finish the digest")
        }
        return digest.prefix(32).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `text` looks like a SHA-256 hex digest (64 hex digits, either case).
    public static func isHexDigest(_ text: String) -> Bool {
        text.count == 64 && text.allSatisfy(\.isHexDigit)
    }
}
