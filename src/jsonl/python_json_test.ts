import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { pythonDumps, pythonFloatRepr, pythonJsonDumps, pythonJsonNumber } from "./python_json.ts";

// Expected texts come from CPython 3.11: json.dumps(value, ensure_ascii=False).

Deno.test("pythonJsonDumps matches json.dumps(ensure_ascii=False) on a mixed value", () => {
  const value = {
    obs: [{
      time: "1717338232.283",
      event: 'Tab\tquote" back\\ nl\n 新建标签页 é \x01 \x7f \u2028 😀',
    }],
    pred_task: null,
    valid: true,
    n: [1, -2, 0.5, 1e-5, 2.5e-7, [], {}],
    nested: { b: [true, false] },
  };
  assertEquals(
    pythonJsonDumps(value),
    '{"obs": [{"time": "1717338232.283", "event": "Tab\\tquote\\" back\\\\ nl\\n 新建标签页 é ' +
      '\\u0001 \x7f \u2028 😀"}], "pred_task": null, "valid": true, ' +
      '"n": [1, -2, 0.5, 1e-05, 2.5e-07, [], {}], "nested": {"b": [true, false]}}',
  );
});

Deno.test("pythonFloatRepr matches Python's repr(float)", () => {
  const cases: [number, string][] = [
    [1e-5, "1e-05"],
    [1e-4, "0.0001"],
    [0.1, "0.1"],
    [1e16, "1e+16"],
    [1.5e16, "1.5e+16"],
    [123456789012345.6, "123456789012345.6"],
    [1234567890123456.7, "1234567890123456.8"],
    [1e22, "1e+22"],
    [-0, "-0.0"],
    [5e-324, "5e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [2.5, "2.5"],
    [-1e-7, "-1e-07"],
    [1e15, "1000000000000000.0"],
  ];
  for (const [value, expected] of cases) assertEquals(pythonFloatRepr(value), expected);
});

Deno.test("integer-valued numbers are written as Python ints", () => {
  assertEquals(pythonJsonNumber(3), "3");
  assertEquals(pythonJsonNumber(-0), "0");
  assertEquals(pythonJsonNumber(1e21), "1000000000000000000000");
  assertEquals(pythonJsonNumber(12345678901234567890n), "12345678901234567890");
  assertEquals(pythonJsonNumber(NaN), "NaN");
  assertEquals(pythonJsonNumber(-Infinity), "-Infinity");
});

Deno.test("keyOrder overrides the object key order (integer-like keys)", () => {
  const parsed = JSON.parse('{"b": 1, "2": 2, "a": 3}');
  assertEquals(pythonJsonDumps(parsed), '{"2": 2, "b": 1, "a": 3}');
  const order = new WeakMap<object, string[]>([[parsed, ["b", "2", "a"]]]);
  assertEquals(
    pythonJsonDumps(parsed, { keyOrder: (o) => order.get(o) }),
    '{"b": 1, "2": 2, "a": 3}',
  );
});

Deno.test("lone surrogates are escaped and undefined is refused", () => {
  assertEquals(pythonJsonDumps(["\ud800x"]), '["\\ud800x"]');
  assertThrows(() => pythonJsonDumps([undefined]), TypeError, "not JSON serializable");
});

Deno.test("pythonDumps: json.dumps with ensure_ascii and indent, checked against python3", async () => {
  const value = {
    "Observations (Time Ascending)": [{ time: "1717000000", event: 'Überweisung 😀 "x"\n' }],
    "Proposed Task": null,
    n: [1, 2.5, true, [], {}],
    Instruction: "Now…",
  };
  const cases = [
    { options: {}, python: "json.dumps(v)" },
    {
      options: { indent: 4, ensureAscii: false },
      python: "json.dumps(v, indent=4, ensure_ascii=False)",
    },
    { options: { indent: 2 }, python: "json.dumps(v, indent=2)" },
  ];
  const ours = cases.map(({ options }) => pythonDumps(value, options));
  assertEquals(
    ours[0],
    '{"Observations (Time Ascending)": [{"time": "1717000000", "event": "\\u00dcberweisung \\ud83d\\ude00 \\"x\\"\\n"}], "Proposed Task": null, "n": [1, 2.5, true, [], {}], "Instruction": "Now\\u2026"}',
  );
  let python: Deno.CommandOutput | undefined;
  try {
    const child = new Deno.Command("python3", {
      args: [
        "-c",
        `import json,sys\nv=json.loads(sys.stdin.read())\nprint(json.dumps([${
          cases.map((c) => c.python).join(", ")
        }]))`,
      ],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify(value)));
    await writer.close();
    python = await child.output();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    // No python3 here: the literal check above still holds.
  }
  if (python?.success) assertEquals(ours, JSON.parse(new TextDecoder().decode(python.stdout)));
});
