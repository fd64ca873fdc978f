import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { bitLength, PythonRandom } from "./python_random.ts";

// Expected values are CPython 3.11 outputs (`random.seed(s)` then the call shown).

Deno.test("getrandbits(32) after seed(42) matches CPython", () => {
  const rng = new PythonRandom(42);
  const values = Array.from({ length: 5 }, () => rng.getrandbits(32));
  assertEquals(values, [2746317213, 478163327, 107420369, 3184935163, 1181241943]);
});

Deno.test("shuffle of [0..9] after seed(42) matches CPython", () => {
  const rng = new PythonRandom(42);
  assertEquals(rng.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), [7, 3, 2, 8, 5, 6, 9, 4, 0, 1]);
});

Deno.test("seed 0, 1 and seeds of several 32-bit words match CPython", () => {
  const cases: [number | bigint, number[]][] = [
    [0, [3626764237, 1654615998, 3255389356]],
    [1, [577090037, 2444712010, 3639700191]],
    [4294967296, [485306839, 1508871100, 1794561286]],
    [4294967301, [675479763, 2085189291, 1213270837]],
    [18446744073709551739n, [3192156344, 1966922801, 3919980202]],
    [12345678901234567890n, [2199100970, 3695432519, 4002396509]],
  ];
  for (const [seed, expected] of cases) {
    const rng = new PythonRandom(seed);
    assertEquals([rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(32)], expected);
  }
});

Deno.test("a negative seed is the same as its absolute value", () => {
  const a = new PythonRandom(-42);
  assertEquals(a.getrandbits(32), 2746317213);
});

Deno.test("re-seeding restarts the sequence", () => {
  const rng = new PythonRandom(7);
  const first = rng.getrandbits(32);
  rng.getrandbits(32);
  rng.seed(7);
  assertEquals(rng.getrandbits(32), first);
});

Deno.test("random() matches CPython's repr exactly", () => {
  const cases: [number | bigint, string[]][] = [
    [0, ["0.8444218515250481", "0.7579544029403025"]],
    [42, ["0.6394267984578837", "0.025010755222666936"]],
    [18446744073709551739n, ["0.7432318140414349", "0.9126915163433719"]],
  ];
  for (const [seed, expected] of cases) {
    const rng = new PythonRandom(seed);
    assertEquals([String(rng.random()), String(rng.random())], expected);
  }
});

Deno.test("shuffle of 20 items matches CPython for several seeds", () => {
  const cases: [number | bigint, number[]][] = [
    [0, [10, 18, 16, 14, 0, 17, 11, 2, 3, 9, 5, 7, 4, 19, 6, 15, 8, 1, 13, 12]],
    [42, [19, 5, 14, 4, 9, 13, 15, 18, 6, 12, 17, 10, 1, 11, 2, 16, 7, 8, 0, 3]],
    [4294967296, [6, 18, 1, 14, 4, 19, 10, 2, 15, 7, 8, 5, 17, 12, 9, 16, 0, 13, 11, 3]],
  ];
  for (const [seed, expected] of cases) {
    const items = Array.from({ length: 20 }, (_, i) => i);
    assertEquals(new PythonRandom(seed).shuffle(items), expected);
  }
});

Deno.test("getrandbits of odd sizes, including more than 32 bits, matches CPython", () => {
  const rng = new PythonRandom(0);
  assertEquals(rng.getrandbits(1), 1);
  assertEquals(rng.getrandbits(7), 49);
  assertEquals(rng.getrandbits(31), 1627694678);
  assertEquals(rng.getrandbitsBig(33), 3823568514n);
  assertEquals(rng.getrandbitsBig(64), 4776171008201404212n);
  assertEquals(rng.getrandbitsBig(100), 513868133461680832233190503674n);
  assertEquals(new PythonRandom(1).getrandbitsBig(0), 0n);
});

Deno.test("randbelow stays in range and shuffle of short lists draws nothing", () => {
  const rng = new PythonRandom(3);
  for (let n = 1; n < 200; n++) {
    const r = rng.randbelow(n);
    assertEquals(r >= 0 && r < n, true);
  }
  const a = new PythonRandom(42);
  assertEquals(a.shuffle([]), []);
  assertEquals(a.shuffle(["x"]), ["x"]);
  assertEquals(a.getrandbits(32), 2746317213);
});

Deno.test("randbelow matches CPython, also above 32 bits", () => {
  const rng = new PythonRandom(5);
  assertEquals(
    [
      rng.randbelow(2 ** 40 + 3),
      rng.randbelow(1000),
      rng.randbelow(2 ** 32),
      rng.randbelow(2 ** 32 + 1),
    ],
    [561021090885, 759, 2276503845, 3609267711],
  );
});

Deno.test("bad arguments are refused", () => {
  assertThrows(() => new PythonRandom(1.5), RangeError);
  assertThrows(() => new PythonRandom(0).getrandbits(33), RangeError);
  assertThrows(() => new PythonRandom(0).randbelow(0), RangeError);
  assertEquals(bitLength(1), 1);
  assertEquals(bitLength(2 ** 40), 41);
});
