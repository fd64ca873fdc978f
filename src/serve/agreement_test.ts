import { assertEquals } from "../../tests/assert.ts";
import { agreementUnits, krippendorffAlphaNominal } from "./agreement.ts";
import type { Label } from "../formats/result_file.ts";
import type { LabelRecord, Member } from "./kv_schema.ts";
import type { TraceLabels } from "./result_writer.ts";
import { fixtureCatalog } from "./testing/test_context.ts";

function close(actual: number | null, expected: number) {
  if (actual === null || Math.abs(actual - expected) > 1e-12) {
    throw new Error(`expected ${expected}, got ${actual}`);
  }
}

Deno.test("alpha, two coders: hand-computed 4/9", () => {
  // o(T,T)=2, o(F,F)=2, o(T,F)=o(F,T)=1; n_T=n_F=3, n=6:
  // alpha = 1 − 5·2 / (2·3·3) = 4/9.
  const result = krippendorffAlphaNominal([[true, true], [false, false], [true, false]]);
  close(result.value, 4 / 9);
  assertEquals([result.units, result.pairable], [3, 6]);
});

Deno.test("alpha, three coders and a missing value: hand-computed 8/15", () => {
  // Unit [T,T,F]: o(T,T)+=2/2, o(T,F)+=2/2, o(F,T)+=2/2. Unit [T,T,T]: o(T,T)+=6/2.
  // Unit [F,F]: o(F,F)+=2. Unit [T] is not pairable.
  // o(T,T)=4, o(T,F)=o(F,T)=1, o(F,F)=2; n_T=5, n_F=3, n=8:
  // alpha = 1 − 7·2 / (2·5·3) = 16/30.
  const result = krippendorffAlphaNominal([
    [true, true, false],
    [true, true, true],
    [false, false],
    [
      true,
    ],
  ]);
  close(result.value, 16 / 30);
  assertEquals([result.units, result.pairable], [3, 8]);
});

Deno.test("alpha: perfect agreement is 1; no variation or no pairs is undefined (null)", () => {
  close(krippendorffAlphaNominal([[true, true], [false, false, false]]).value, 1);
  assertEquals(krippendorffAlphaNominal([[true, true], [true, true]]).value, null);
  assertEquals(krippendorffAlphaNominal([[true], []]), {
    measure: "Krippendorff's alpha (nominal)",
    value: null,
    units: 0,
    pairable: 0,
  });
  // Systematic disagreement is below 0: [T,F],[F,T] → 1 − 3·4/(2·2·2) = −0.5.
  close(krippendorffAlphaNominal([[true, false], [false, true]]).value, -0.5);
});

Deno.test("units are (question, task) pairs of current annotators' task labels", async () => {
  const catalog = await fixtureCatalog();
  const alpha = catalog.get("alpha")!; // turn 1: 3 tasks, turn 3: 2, turn 4: 3
  const member = (id: string, reservation = "r"): Member => ({
    id,
    reservation,
    reservedAt: 0,
    lastActivity: 0,
    answered: 3,
  });
  const record = (label: Label, reservation = "r"): LabelRecord => ({ label, at: 0, reservation });
  const labels: TraceLabels = new Map([
    ["a", new Map([[1, record([0, 2])]])],
    ["b", new Map([[1, record("Reject all")]])],
    ["c", new Map([[1, record([2], "old")]])],
  ]);
  const units = agreementUnits(alpha, [member("a"), member("b"), member("c")], labels);
  assertEquals(units, [
    [true, false],
    [false, false],
    [true, false],
    [],
    [],
    [],
    [],
    [],
  ]);
  assertEquals(agreementUnits(catalog.get("empty_gamma")!, [member("a")], labels), []);
});
