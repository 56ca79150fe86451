// A QR code (ISO/IEC 18004, model 2) for the entrance screen's link to /program: byte mode,
// error correction level M, the smallest version of 1–10 the text fits, the mask of lowest
// penalty. Pure: the matrix, and an SVG path of its dark modules for the page.

/// A QR code's modules: `dark[y][x]`, quiet zone not included.
struct QRCode: Equatable, Sendable {
    let size: Int
    let dark: [[Bool]]
    let version: Int
    let mask: Int

    /// The longest text encoded (version 10-M holds 213 bytes).
    static let maxBytes = 213

    /// ECC codewords per block and number of blocks at level M, versions 1–10.
    private static let eccPerBlock = [10, 16, 26, 18, 24, 16, 18, 22, 22, 26]
    private static let blocks = [1, 1, 1, 2, 2, 4, 4, 4, 5, 5]

    /// The code for `text`; nil when it is longer than `maxBytes` bytes.
    init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard
            let version = (1...10).first(where: { v in
                Self.dataCapacity(v) * 8 >= 4 + (v < 10 ? 8 : 16) + bytes.count * 8
            })
        else { return nil }
        var q = Builder(version: version)
        q.drawFunctionPatterns()
        q.drawCodewords(Self.interleaved(Self.dataCodewords(bytes, version: version), version: version))
        var best: (penalty: Int, mask: Int, modules: [[Bool]])?
        for mask in 0..<8 {
            var trial = q
            trial.apply(mask: mask)
            trial.drawFormat(mask: mask)
            let penalty = trial.penalty()
            if best == nil || penalty < best!.penalty { best = (penalty, mask, trial.modules) }
        }
        self.size = q.size
        self.version = version
        self.mask = best!.mask
        self.dark = best!.modules
    }

    /// The dark modules as one SVG path in module units, offset by a 4-module quiet zone
    /// (the viewBox is `0 0 size+8 size+8`).
    var svgPath: String {
        var path = ""
        for y in 0..<size {
            var x = 0
            while x < size {
                guard dark[y][x] else {
                    x += 1
                    continue
                }
                var run = 1
                while x + run < size && dark[y][x + run] { run += 1 }
                path += "M\(x + 4) \(y + 4)h\(run)v1h-\(run)z"
                x += run
            }
        }
        return path
    }

    // MARK: Codewords

    /// Raw data modules of a version (all but function patterns and format/version bits).
    static func rawModules(_ v: Int) -> Int {
        var result = (16 * v + 128) * v + 64
        if v >= 2 {
            let align = v / 7 + 2
            result -= (25 * align - 10) * align - 55
            if v >= 7 { result -= 36 }
        }
        return result
    }

    static func dataCapacity(_ v: Int) -> Int {
        rawModules(v) / 8 - eccPerBlock[v - 1] * blocks[v - 1]
    }

    /// Mode, count, the bytes, terminator and padding: the data codewords.
    static func dataCodewords(_ bytes: [UInt8], version: Int) -> [UInt8] {
        var bits: [Bool] = []
        func append(_ value: Int, _ count: Int) {
            for i in (0..<count).reversed() { bits.append((value >> i) & 1 == 1) }
        }
        append(0b0100, 4)
        append(bytes.count, version < 10 ? 8 : 16)
        for b in bytes { append(Int(b), 8) }
        let capacity = dataCapacity(version) * 8
        append(0, min(4, capacity - bits.count))
        append(0, (8 - bits.count % 8) % 8)
        var out: [UInt8] = stride(from: 0, to: bits.count, by: 8).map { i in
            bits[i..<i + 8].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) }
        }
        var pad: UInt8 = 0xEC
        while out.count < capacity / 8 {
            out.append(pad)
            pad ^= 0xEC ^ 0x11
        }
        return out
    }

    /// Splits the data into blocks, adds each block's Reed–Solomon codewords, interleaves.
    static func interleaved(_ data: [UInt8], version: Int) -> [UInt8] {
        let count = blocks[version - 1]
        let ecc = eccPerBlock[version - 1]
        let raw = rawModules(version) / 8
        let short = count - raw % count
        let shortLength = raw / count
        let divisor = reedSolomonDivisor(ecc)
        var all: [[UInt8]] = []
        var k = 0
        for i in 0..<count {
            let length = shortLength - ecc + (i < short ? 0 : 1)
            var block = Array(data[k..<k + length])
            k += length
            let remainder = reedSolomonRemainder(block, divisor)
            if i < short { block.append(0) }
            all.append(block + remainder)
        }
        var out: [UInt8] = []
        for i in 0..<all[0].count {
            for (j, block) in all.enumerated() where i != shortLength - ecc || j >= short {
                out.append(block[i])
            }
        }
        return out
    }

    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var z = 0
        for i in (0..<8).reversed() {
            z = (z << 1) ^ ((z >> 7) * 0x11D)
            z ^= Int((y >> UInt8(i)) & 1) * Int(x)
        }
        return UInt8(z & 0xFF)
    }

    static func reedSolomonDivisor(_ degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for j in 0..<degree {
                result[j] = multiply(result[j], root)
                if j + 1 < degree { result[j] ^= result[j + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    static func reedSolomonRemainder(_ data: [UInt8], _ divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for b in data {
            let factor = b ^ result.removeFirst()
            result.append(0)
            for i in 0..<result.count { result[i] ^= multiply(divisor[i], factor) }
        }
        return result
    }

    // MARK: The matrix

    struct Builder {
        let version: Int
        let size: Int
        var modules: [[Bool]]
        var function: [[Bool]]

        init(version: Int) {
            self.version = version
            size = version * 4 + 17
            modules = Array(repeating: Array(repeating: false, count: size), count: size)
            function = modules
        }

        mutating func set(_ x: Int, _ y: Int, _ dark: Bool) {
            modules[y][x] = dark
            function[y][x] = true
        }

        mutating func drawFunctionPatterns() {
            for i in 0..<size {
                set(6, i, i % 2 == 0)
                set(i, 6, i % 2 == 0)
            }
            for (cx, cy) in [(3, 3), (size - 4, 3), (3, size - 4)] {
                for dy in -4...4 {
                    for dx in -4...4 where (0..<size).contains(cx + dx) && (0..<size).contains(cy + dy) {
                        let d = max(abs(dx), abs(dy))
                        set(cx + dx, cy + dy, d != 2 && d != 4)
                    }
                }
            }
            let positions = alignmentPositions()
            for (i, y) in positions.enumerated() {
                for (j, x) in positions.enumerated() {
                    let corner =
                        (i == 0 && j == 0) || (i == 0 && j == positions.count - 1)
                        || (i == positions.count - 1 && j == 0)
                    guard !corner else { continue }
                    for dy in -2...2 {
                        for dx in -2...2 { set(x + dx, y + dy, max(abs(dx), abs(dy)) != 1) }
                    }
                }
            }
            drawFormat(mask: 0)  // reserves the format modules; drawn again once the mask is chosen
            if version >= 7 {
                var rem = version
                for _ in 0..<12 { rem = (rem << 1) ^ ((rem >> 11) * 0x1F25) }
                let bits = version << 12 | rem
                for i in 0..<18 {
                    let bit = (bits >> i) & 1 == 1
                    let a = size - 11 + i % 3
                    let b = i / 3
                    set(a, b, bit)
                    set(b, a, bit)
                }
            }
        }

        func alignmentPositions() -> [Int] {
            guard version >= 2 else { return [] }
            let count = version / 7 + 2
            let step = (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
            var result = [6]
            var pos = size - 7
            for _ in 0..<(count - 1) {
                result.insert(pos, at: 1)
                pos -= step
            }
            return result
        }

        /// Level M (bits 00) and the mask, BCH-coded, in both copies, and the dark module.
        mutating func drawFormat(mask: Int) {
            let data = 0 << 3 | mask
            var rem = data
            for _ in 0..<10 { rem = (rem << 1) ^ ((rem >> 9) * 0x537) }
            let bits = (data << 10 | rem) ^ 0x5412
            func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }
            for i in 0...5 { set(8, i, bit(i)) }
            set(8, 7, bit(6))
            set(8, 8, bit(7))
            set(7, 8, bit(8))
            for i in 9..<15 { set(14 - i, 8, bit(i)) }
            for i in 0..<8 { set(size - 1 - i, 8, bit(i)) }
            for i in 8..<15 { set(8, size - 15 + i, bit(i)) }
            set(8, size - 8, true)
        }

        mutating func drawCodewords(_ data: [UInt8]) {
            var i = 0
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                for vert in 0..<size {
                    for j in 0..<2 {
                        let x = right - j
                        let upward = (right + 1) & 2 == 0
                        let y = upward ? size - 1 - vert : vert
                        if !function[y][x] && i < data.count * 8 {
                            modules[y][x] = (data[i >> 3] >> (7 - UInt8(i & 7))) & 1 == 1
                            i += 1
                        }
                    }
                }
                right -= 2
            }
        }

        mutating func apply(mask: Int) {
            for y in 0..<size {
                for x in 0..<size where !function[y][x] {
                    let flip: Bool
                    switch mask {
                    case 0: flip = (x + y) % 2 == 0
                    case 1: flip = y % 2 == 0
                    case 2: flip = x % 3 == 0
                    case 3: flip = (x + y) % 3 == 0
                    case 4: flip = (x / 3 + y / 2) % 2 == 0
                    case 5: flip = x * y % 2 + x * y % 3 == 0
                    case 6: flip = (x * y % 2 + x * y % 3) % 2 == 0
                    default: flip = ((x + y) % 2 + x * y % 3) % 2 == 0
                    }
                    if flip { modules[y][x].toggle() }
                }
            }
        }

        /// The standard's penalty: runs of five or more, 2×2 blocks, finder-like patterns,
        /// and the balance of dark and light.
        func penalty() -> Int {
            var score = 0
            func lines() -> [[Bool]] {
                modules + (0..<size).map { x in (0..<size).map { y in modules[y][x] } }
            }
            let finder: [Bool] = [true, false, true, true, true, false, true]
            for line in lines() {
                var run = 1
                for i in 1...line.count {
                    if i < line.count && line[i] == line[i - 1] {
                        run += 1
                    } else {
                        if run >= 5 { score += 3 + run - 5 }
                        run = 1
                    }
                }
                for i in 0...(line.count - 7) where Array(line[i..<i + 7]) == finder {
                    let before = (max(0, i - 4)..<i).allSatisfy { !line[$0] } && i >= 4
                    let after = (i + 7..<min(line.count, i + 11)).allSatisfy { !line[$0] } && i + 11 <= line.count
                    if before || after { score += 40 }
                }
            }
            for y in 0..<(size - 1) {
                for x in 0..<(size - 1) {
                    let c = modules[y][x]
                    if c == modules[y][x + 1] && c == modules[y + 1][x] && c == modules[y + 1][x + 1] { score += 3 }
                }
            }
            let darkCount = modules.reduce(0) { $0 + $1.count { $0 } }
            let total = size * size
            let k = (abs(darkCount * 20 - total * 10) + total - 1) / total - 1
            score += max(0, k) * 10
            return score
        }
    }
}
