/// A 3 × 5 pixel capital-letter font for labels drawn on photos: no font files, no system libraries. Each
/// glyph is five octal digits, one per row from the top, the bits of a digit being the row's three pixels
/// (4 = left, 1 = right). Lower-case text is drawn in capitals; a character without a glyph draws as "?".
public enum BitmapFont {
    static let glyphs: [Character: String] = [
        "0": "75557", "1": "26227", "2": "71747", "3": "71717", "4": "55711",
        "5": "74717", "6": "74757", "7": "71111", "8": "75757", "9": "75717",
        "A": "25755", "B": "65656", "C": "34443", "D": "65556", "E": "74647", "F": "74644", "G": "34553",
        "H": "55755", "I": "72227", "J": "11152", "K": "55655", "L": "44447", "M": "57755", "N": "65555",
        "O": "25552", "P": "65644", "Q": "25563", "R": "65655", "S": "34216", "T": "72222", "U": "55557",
        "V": "55552", "W": "55775", "X": "55255", "Y": "55222", "Z": "71247",
        ".": "00002", "-": "00700", "_": "00007", ":": "02020", "+": "02720", "%": "51245", "/": "11244",
        "(": "24442", ")": "21112", " ": "00000", "?": "71202",
    ]

    /// Width of one character cell at `scale` (3 pixels and a 1 pixel gap, scaled).
    public static func advance(scale: Int) -> Int { 4 * scale }
    /// Height of a line of text at `scale`.
    public static func lineHeight(scale: Int) -> Int { 5 * scale }

    /// The lit pixels of `character`, row by row: 5 rows of 3.
    static func rows(_ character: Character) -> [[Bool]] {
        let upper = Character(character.uppercased())
        let code = glyphs[upper] ?? glyphs["?"]!
        return code.map { digit in
            let bits = Int(String(digit), radix: 8) ?? 0
            return [bits & 4 != 0, bits & 2 != 0, bits & 1 != 0]
        }
    }
}

public extension RGBImage {
    /// Draws `text` with its top-left corner at (x, y), each font pixel a `scale` × `scale` square, on a
    /// `background` band one pixel (scaled) wider all round so it reads on any photo.
    mutating func drawText(_ text: String, x: Int, y: Int, scale: Int, _ colour: Colour, background: Colour) {
        let count = text.count
        fillRectangle(x0: x - scale, y0: y - scale, x1: x + count * BitmapFont.advance(scale: scale),
                      y1: y + BitmapFont.lineHeight(scale: scale) + scale, background)
        for (i, character) in text.enumerated() {
            let left = x + i * BitmapFont.advance(scale: scale)
            for (row, bits) in BitmapFont.rows(character).enumerated() {
                for (column, lit) in bits.enumerated() where lit {
                    fillRectangle(x0: left + column * scale, y0: y + row * scale,
                                  x1: left + (column + 1) * scale, y1: y + (row + 1) * scale, colour)
                }
            }
        }
    }
}
