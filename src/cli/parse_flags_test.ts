import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "./errors.ts";
import { durationFlag } from "./duration_flag.ts";
import { integerFlag, numberFlag, parseFlags } from "./parse_flags.ts";

Deno.test("parseFlags reads strings and booleans", () => {
  const parsed = parseFlags(["--port", "8000", "--verbose"], {
    port: { type: "string" },
    verbose: { type: "boolean" },
  });
  assertEquals(parsed.values.port, "8000");
  assertEquals(parsed.values.verbose, true);
});

Deno.test("parseFlags turns unknown flags and stray arguments into usage errors", () => {
  const unknown = assertThrows(() => parseFlags(["--nope"], {}), ProactiveError);
  assertEquals(unknown.kind, "usage");
  const stray = assertThrows(() => parseFlags(["a", "b"], {}, { positionals: 1 }), ProactiveError);
  assertEquals(stray.message, 'Unexpected argument "b"');
});

Deno.test("integerFlag validates whole numbers and bounds", () => {
  assertEquals(integerFlag("port", undefined, 7860), 7860);
  assertEquals(integerFlag("port", "80", 7860, { min: 1 }), 80);
  assertThrows(() => integerFlag("port", "8.5", 1), ProactiveError, "whole number");
  assertThrows(() => integerFlag("port", "0", 1, { min: 1 }), ProactiveError, "between 1");
});

Deno.test("numberFlag and durationFlag parse their units", () => {
  assertEquals(numberFlag("temperature", "0.8", 0), 0.8);
  assertThrows(() => numberFlag("temperature", "hot", 0), ProactiveError, "must be a number");
  assertEquals(durationFlag("reclaim-after", "2h", 0), 7_200_000);
  assertEquals(durationFlag("reclaim-after", "90s", 0), 90_000);
  assertEquals(durationFlag("reclaim-after", "1500", 0), 1500);
  assertThrows(() => durationFlag("reclaim-after", "soon", 0), ProactiveError, "duration");
});

Deno.test("an unknown flag suggests the closest known one", () => {
  const spec = { port: { type: "string" }, password: { type: "string" } } as const;
  const typo = assertThrows(() => parseFlags(["--prot", "80"], spec), ProactiveError);
  assertEquals(typo.kind, "usage");
  assertEquals(typo.message.endsWith("; did you mean --port?"), true, typo.message);
  assertThrows(() => parseFlags(["--pasword=x"], spec), ProactiveError, "did you mean --password?");
  assertThrows(() => parseFlags(["-port", "80"], spec), ProactiveError, "did you mean --port?");
  assertThrows(() => parseFlags(["--hepl"], spec), ProactiveError, "did you mean --help?");
  const far = assertThrows(() => parseFlags(["--frobnicate"], spec), ProactiveError);
  assertEquals(far.message.includes("did you mean"), false, far.message);
});
