/**
 * A random generator that reproduces CPython's `random` module bit for bit: the Mersenne
 * Twister MT19937 seeded the way `random.seed(<int>)` seeds it, `getrandbits`,
 * `_randbelow`, `shuffle` and `random()`. Datasets split by the reference Python scripts
 * can then be split identically here.
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class PythonRandom {
  readonly #mt = new Uint32Array(N);
  #index = N + 1;

  /** Same as `r = random.Random(seed)` in Python. */
  constructor(seed: number | bigint = 0) {
    this.seed(seed);
  }

  /**
   * Same as `random.seed(n)` for an integer `n`: the 32-bit words of |n| (least
   * significant first; `[0]` for 0) are the key of MT19937's `init_by_array`.
   */
  seed(n: number | bigint): void {
    if (typeof n === "number" && !Number.isSafeInteger(n)) {
      throw new RangeError(`PythonRandom seed must be a safe integer or a bigint, got ${n}`);
    }
    let value = BigInt(n);
    if (value < 0n) value = -value;
    const key: number[] = [];
    do {
      key.push(Number(value & 0xffffffffn));
      value >>= 32n;
    } while (value > 0n);
    this.#initByArray(key);
  }

  /** The next raw 32-bit output (CPython's `genrand_uint32`). */
  nextUint32(): number {
    const mt = this.#mt;
    if (this.#index >= N) this.#twist();
    let y = mt[this.#index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random.getrandbits(k)` for 0 ≤ k ≤ 32, as a number. */
  getrandbits(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k > 32) {
      throw new RangeError(`getrandbits(k) needs 0 <= k <= 32 here, got ${k}; use getrandbitsBig`);
    }
    if (k === 0) return 0;
    return this.nextUint32() >>> (32 - k);
  }

  /** `random.getrandbits(k)` for any k ≥ 0, as a bigint (words filled low to high). */
  getrandbitsBig(k: number): bigint {
    if (!Number.isInteger(k) || k < 0) {
      throw new RangeError(`getrandbits(k) needs a whole k >= 0, got ${k}`);
    }
    let result = 0n;
    let shift = 0n;
    for (let left = k; left > 0; left -= 32) {
      let word = this.nextUint32();
      if (left < 32) word >>>= 32 - left;
      result |= BigInt(word) << shift;
      shift += 32n;
    }
    return result;
  }

  /** `random._randbelow(n)`: uniform in [0, n) by rejection on `getrandbits(n.bit_length())`. */
  randbelow(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new RangeError(`randbelow(n) needs a whole n > 0, got ${n}`);
    }
    const k = bitLength(n);
    if (k > 32) {
      const limit = BigInt(n);
      let big = this.getrandbitsBig(k);
      while (big >= limit) big = this.getrandbitsBig(k);
      return Number(big);
    }
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** `random.shuffle(items)` in place: swaps i (from the end down to 1) with `randbelow(i + 1)`. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      const swap = items[i];
      items[i] = items[j];
      items[j] = swap;
    }
    return items;
  }

  /** `random.random()`: a float in [0, 1) built from 53 random bits. */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  #initGenrand(s: number): void {
    const mt = this.#mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.#index = N;
  }

  #initByArray(key: readonly number[]): void {
    const mt = this.#mt;
    this.#initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.#index = N;
  }

  #twist(): void {
    const mt = this.#mt;
    let kk = 0;
    for (; kk < N - M; kk++) {
      const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < N - 1; kk++) {
      const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    const y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.#index = 0;
  }
}

/** Python's `int.bit_length()` for a positive safe integer. */
export function bitLength(n: number): number {
  return n < 0x100000000 ? 32 - Math.clz32(n) : n.toString(2).length;
}
