import Zoo

extension SpecObject {
    /// A head count that divides `dim` (attention splits the width evenly over its heads).
    func headCount(_ key: String = "num_heads", dividing dim: Int, dimName: String = "dim", default d: Int? = nil) throws -> Int {
        let heads = try positiveInt(key, default: d)
        guard dim % heads == 0 else {
            throw SpecError.invalid(path: childPath(key), message: "\(dimName) \(dim) is not divisible by \(heads) heads")
        }
        return heads
    }
}
