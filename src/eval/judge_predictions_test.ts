import { assertEquals } from "../../tests/assert.ts";
import { proposalsOf } from "./judge_predictions.ts";
import { attemptTemperature, otherInformationOf, predictionFields } from "./predict_traces.ts";

Deno.test("proposalsOf: empty is one null proposal; the null strings by rule", () => {
  assertEquals(proposalsOf([], "null"), [null]);
  assertEquals(proposalsOf([], "task"), [null]);
  assertEquals(proposalsOf(["null", "None", "", " ", "Do it"], "null"), [
    null,
    null,
    null,
    null,
    "Do it",
  ]);
  assertEquals(proposalsOf(["null", "None", "", "Do it"], "task"), ["null", "None", "", "Do it"]);
  assertEquals(proposalsOf([null], "task"), [null]);
});

Deno.test("predictionFields: [] for no task, [task] otherwise, other_infomation", () => {
  const base = { Purpose: "p", Thoughts: "t", Response: null };
  assertEquals(predictionFields({ ...base, "Proactive Task": null }), {
    agent_response: [],
    other_infomation: { Purpose: "p", Thoughts: "t", Response: null },
  });
  assertEquals(predictionFields({ ...base, "Proactive Task": " Fix it " }).agent_response, [
    "Fix it",
  ]);
});

Deno.test("attemptTemperature: 0 first, 0.5 on retries, or the override", () => {
  assertEquals([0, 1, 2].map((k) => attemptTemperature(k)), [0, 0.5, 0.5]);
  assertEquals([0, 1].map((k) => attemptTemperature(k, 0.7)), [0.7, 0.7]);
});

Deno.test("otherInformationOf: the reference's spelling and the corrected one", () => {
  assertEquals(otherInformationOf({ other_infomation: { Purpose: "a" } }), { Purpose: "a" });
  assertEquals(otherInformationOf({ other_information: { Purpose: "b" } }), { Purpose: "b" });
  assertEquals(otherInformationOf({}), undefined);
});
