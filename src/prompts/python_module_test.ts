import { assert, assertEquals, assertStringIncludes, assertThrows } from "../../tests/assert.ts";
import { withTempDir } from "../../tests/temp_dir.ts";
import { hasPython3, pythonValues } from "../../tests/testing/python_values.ts";
import { type Lookup, PythonModule } from "./python_module.ts";
import { PythonSyntaxError } from "./python_tokens.ts";
import { PyDict, PyTemplate, type PyValue } from "./python_value.ts";

/** Every string form `prompts import` reads, as module constants (Python source). */
const LITERALS: Record<string, string> = {
  TRIPLE_DOUBLE: `"""<Role> A "quoted" word, 'single' ones.
  Indented line,\\ttab escape, trailing space: 
Last line."""`,
  TRIPLE_SINGLE: `'''<Task>\n{"key": "a JSON example"} and {word}\n</Task>'''`,
  ESCAPED_QUOTES: `'it\\'s' + "say \\"hi\\""`,
  ESCAPES:
    `"bell\\a back\\b feed\\f nl\\n cr\\r tab\\t vt\\v bs\\\\ hex\\x41 oct\\101\\0 u\\u00e9 U\\U0001F600 kept\\q"`,
  RAW: `r"C:\\new\\table \\" kept" + R'''raw\\n'''`,
  UNICODE_PREFIX: `u"unicode é — ok"`,
  IMPLICIT: `("first, "
    'second, '  # a comment with a "quote"
    """third""")`,
  PLUS: `"a" + 'b' + """c"""`,
  CONTINUED: `"line one " \\
    "line two"`,
  STRING_CONTINUATION: `"abc\\
def"`,
  FSTRING_PLAIN: `f"braces {{doubled}} and }}"`,
  DUMPS: `json.dumps({
    "Instructions": "Now é.",
    "Observation": "[placeholder]",
    "list": [1, True, None, -2],
    "nested": {"x": "y"},
    })`,
  DUMPS_OPTIONS:
    `json.dumps({"b": "é", "a": ["x", {"k": "v"}]}, indent=4, ensure_ascii=False, sort_keys=True)`,
  BUILT:
    `"""Summarize as:\\n""" + json.dumps([{"environment": {"theme": "t"}}, "and more ..."]) + "\\n\\nEnd."`,
  ANNOTATED: `"annotated"`,
  REASSIGNED: `"first"`,
  DICT: `{
    "Instructions": "Analyze the events.",
    "Other": 'x',
}`,
};

function moduleSource(): string {
  const lines = ["import json", "# a leading comment", ""];
  for (const [name, expression] of Object.entries(LITERALS)) {
    if (name === "ANNOTATED") lines.push(`${name}: str = ${expression}`);
    else lines.push(`${name} = ${expression}`);
  }
  lines.push(`REASSIGNED = "second"`, `USES = TRIPLE_SINGLE + " and more"`);
  lines.push(
    "",
    "class Thing:",
    "    async def step(self, scene):",
    "        SYSTEM = 'not the module one'",
    '        step_obj = {"Instructions": "first"}',
    '        step_obj["Instructions"] = f"Scene {scene}: retry {{now}}"',
    "        inst = {",
    '            "Judgement": "accepted" if scene else "rejected",',
    '            "Instruction": "Judge it." \'\\n\',',
    "        }",
    "        events = '\\n- '.join(scene)",
    "        return events",
    "",
    "def after():",
    "    pass",
  );
  return lines.join("\n") + "\n";
}

function valueOf(found: Lookup): PyValue {
  assert("value" in found, "missing" in found ? found.missing : "");
  return found.value;
}

/** Plain JSON of a value (dicts as objects), to compare with what Python prints. */
function plain(value: PyValue): unknown {
  if (value instanceof PyDict) {
    return Object.fromEntries([...value.entries].map(([k, v]) => [k, plain(v)]));
  }
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

Deno.test("every string form reads as the value Python gives (ast.literal_eval / eval)", async () => {
  const source = moduleSource();
  const module = new PythonModule(source);
  const ours: Record<string, unknown> = {};
  for (const name of [...Object.keys(LITERALS), "USES"]) {
    ours[name] = plain(valueOf(module.constant({ name })));
  }
  assertEquals(ours.REASSIGNED, "second");
  assertEquals(ours.USES, '<Task>\n{"key": "a JSON example"} and {word}\n</Task> and more');
  if (!(await hasPython3())) return;
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/m.py`, source);
    const lookups = [...Object.keys(LITERALS), "USES"].map((name) => ({
      id: name,
      file: "m.py",
      constant: name,
    }));
    const python = await pythonValues(dir, lookups);
    for (const name of Object.keys(ours)) assertEquals(ours[name], python[name], name);
  });
});

Deno.test("a reassigned constant is the last value, as Python leaves it", () => {
  const module = new PythonModule('A = "first"\nif True:\n    A = "nested"\nA = "second"\n');
  assertEquals(valueOf(module.constant({ name: "A" })), "second");
});

Deno.test("values inside functions: assignments, dict keys, f-string fields and joins", () => {
  const module = new PythonModule(moduleSource());
  const retry = valueOf(module.local("step", { name: "step_obj", key: "Instructions" }));
  assert(retry instanceof PyTemplate);
  assertEquals(retry.parts, ["Scene ", { name: "scene" }, ": retry {now}"]);
  assertEquals(valueOf(module.dictValue("step", "Instruction")), "Judge it.\n");
  assertEquals(valueOf(module.local("step", { name: "SYSTEM" })), "not the module one");
  const events = valueOf(module.local("step", { name: "events" }));
  assert(events instanceof PyTemplate);
  assertEquals(events.parts, [{ name: "scene", join: "\n- " }]);
  assertEquals(
    valueOf(module.constant({ name: "DICT", key: "Instructions" })),
    "Analyze the events.",
  );
  // A value that is not a literal is named, not guessed.
  const judgement = module.dictValue("step", "Judgement");
  assert("missing" in judgement);
  assertStringIncludes(judgement.missing, '"if" is not read');
  assert("missing" in module.local("after", { name: "x" }));
  assertStringIncludes(
    (module.local("nowhere", { name: "x" }) as { missing: string }).missing,
    "no function nowhere",
  );
});

Deno.test("what is not text is refused with the line", () => {
  const cases: [string, string][] = [
    ['X = b"bytes"', "line 1: a bytes literal is not text"],
    ['X = "a {}".format(1)', "a call of .format() is not read"],
    ['X = "dash \\N{EN DASH}"', "\\N{…} escapes are not read"],
    ['X = f"{name!r}"', "is not a plain name"],
    ['X = "bad \\x4"', "a malformed \\x escape"],
    ["X = 1.5", "only integers"],
    ['X = json.dumps({"a": 1}, separators=(",", ":"))', "option separators is not read"],
    ['X = json.dumps({"a": name})', "holds a variable"],
    ["X = some_call()", '"(" after a value is not read'],
    ['\n\nX = "a" if y else "b"', 'line 3: "if" is not read'],
  ];
  for (const [source, message] of cases) {
    const found = new PythonModule(source).constant({ name: "X" });
    assert("missing" in found, source);
    assertStringIncludes(found.missing, message, source);
  }
});

Deno.test("an unterminated string is a syntax error naming its line", () => {
  assertThrows(
    () => new PythonModule('A = 1\nB = """never closed\n'),
    PythonSyntaxError,
    "line 2: unterminated string literal",
  );
});

Deno.test("Windows line endings read as Python reads them", () => {
  const module = new PythonModule('A = """one\r\ntwo"""\r\nB = "x"\r\n');
  assertEquals(valueOf(module.constant({ name: "A" })), "one\ntwo");
  assertEquals(valueOf(module.constant({ name: "B" })), "x");
});
