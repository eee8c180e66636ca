/// Python's `random` module generator (MT19937) with its integer seeding and `shuffle`, so a seed given to
/// NeatMSKit shuffles exactly as `random.seed(seed)` followed by NeatMS's `random.shuffle` calls does.
///
/// Implemented from the published Mersenne Twister algorithm (Matsumoto & Nishimura, `init_genrand`,
/// `init_by_array`, `genrand_int32`) and CPython's documented behaviour: `seed(n)` feeds |n| as 32-bit words,
/// least significant first, to `init_by_array`; `getrandbits(k)` for k <= 32 is the top k bits of one output;
/// `_randbelow(n)` draws `getrandbits(n.bit_length())` until the value is below n; `shuffle` swaps each
/// position i from the end down to 1 with `_randbelow(i + 1)`.
public struct PythonRandom: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 625

    /// A generator seeded like `random.seed(seed)` for an integer seed.
    public init(seed: UInt64) {
        var key: [UInt32] = []
        var value = seed
        repeat {
            key.append(UInt32(truncatingIfNeeded: value))
            value >>= 32
        } while value != 0
        initByArray(key)
    }

    private mutating func initGenrand(_ s: UInt32) {
        state[0] = s
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
        index = 624
    }

    private mutating func initByArray(_ key: [UInt32]) {
        initGenrand(19_650_218)
        var i = 1
        var j = 0
        for _ in 0..<max(624, key.count) {
            state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(j)
            i += 1
            j += 1
            if i >= 624 {
                state[0] = state[623]
                i = 1
            }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<623 {
            state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) &* 1_566_083_941)) &- UInt32(i)
            i += 1
            if i >= 624 {
                state[0] = state[623]
                i = 1
            }
        }
        state[0] = 0x8000_0000
        index = 624
    }

    /// The next 32-bit output (`genrand_uint32`).
    public mutating func nextUInt32() -> UInt32 {
        if index >= 624 {
            for k in 0..<624 {
                let y = (state[k] & 0x8000_0000) | (state[(k + 1) % 624] & 0x7FFF_FFFF)
                state[k] = state[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : 0x9908_B0DF)
            }
            index = 0
        }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// `random.getrandbits(k)` for 1 <= k <= 32.
    mutating func bits(_ k: Int) -> UInt32 {
        nextUInt32() >> UInt32(32 - k)
    }

    /// `random._randbelow(n)` for 1 <= n < 2^32.
    public mutating func below(_ n: Int) -> Int {
        precondition(n >= 1 && n <= Int(UInt32.max), "below(\(n)) is out of range")
        let k = Int.bitWidth - n.leadingZeroBitCount
        var r = Int(bits(k))
        while r >= n { r = Int(bits(k)) }
        return r
    }

    /// `random.shuffle(list)`.
    public mutating func shuffle<T>(_ list: inout [T]) {
        guard list.count > 1 else { return }
        for i in stride(from: list.count - 1, through: 1, by: -1) {
            let j = below(i + 1)
            list.swapAt(i, j)
        }
    }

    /// `random.random()`: 53 random bits as a double in [0, 1).
    public mutating func nextDouble() -> Double {
        let a = Double(nextUInt32() >> 5)
        let b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) * (1.0 / 9_007_199_254_740_992.0)
    }
}
