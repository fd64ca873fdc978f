import { assert, assertEquals } from "../../tests/assert.ts";
import { PythonRandom } from "../random/python_random.ts";
import { jsonSyntaxProblem } from "./json_syntax.ts";

Deno.test("jsonSyntaxProblem: line, column and what is wrong, never the text", () => {
  const cases: [string, number, number, string][] = [
    ["root:x:0:0:root:/root:/bin/bash", 1, 1, "an unexpected character where a value should be"],
    ['[{"a": 1}\n , {"b" 2}]', 2, 9, 'expected ":" after a property name'],
    ["[1, 2", 1, 6, "the text ends inside an array"],
    ['{"a": "b', 1, 9, "the text ends inside a string"],
    ['["a\u0001"]', 1, 4, "a control character inside a string"],
    ['["\\x"]', 1, 3, "an invalid escape in a string"],
    ["[1] x", 1, 5, "unexpected text after the JSON value"],
    ["{a: 1}", 1, 2, "expected a property name in double quotes"],
    ["[1 2]", 1, 4, 'expected "," or "]" in an array'],
    ["[1,]", 1, 4, "an unexpected character where a value should be"],
    ["", 1, 1, "the text ends where a value should be"],
    ["[01]", 1, 3, 'expected "," or "]" in an array'],
  ];
  for (const [text, line, column, problem] of cases) {
    assertEquals(jsonSyntaxProblem(text), {
      offset: text.split("\n").slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) +
        column - 1,
      line,
      column,
      problem,
    }, text);
  }
  for (const text of ["[]", "{}", ' {"a": [1, -2.5e3, true, null, "\\u00e9\\n"]} ', '"x"', "0"]) {
    assertEquals(jsonSyntaxProblem(text), undefined, text);
  }
});

Deno.test("jsonSyntaxProblem agrees with JSON.parse on random texts", () => {
  const pieces = [
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    '"a"',
    '"',
    "1",
    "-",
    "0",
    ".5",
    "e3",
    "true",
    "nul",
    " ",
    "\n",
    "\\",
    "x",
    "[[[[",
    "]]]]",
  ];
  const random = new PythonRandom(7);
  let valid = 0;
  for (let i = 0; i < 20_000; i++) {
    let text = "";
    for (let n = random.randbelow(8); n > 0; n--) text += pieces[random.randbelow(pieces.length)];
    let parses = true;
    try {
      JSON.parse(text);
    } catch {
      parses = false;
    }
    if (parses) valid++;
    assertEquals(jsonSyntaxProblem(text) === undefined, parses, JSON.stringify(text));
  }
  assert(valid > 100, `only ${valid} valid texts`);
  // Deep nesting is scanned without recursion.
  assertEquals(jsonSyntaxProblem("[".repeat(100_000) + "]".repeat(100_000)), undefined);
});
