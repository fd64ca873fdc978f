import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { parseStructured } from "../llm/structured_completion.ts";
import { formatSceneTime, parseSceneTime, sceneTimeSchema, SimClock } from "./clock.ts";
import { z } from "zod";

Deno.test("start times: unpadded, with a year, a T, a slash or no seconds are normalised", () => {
  const cases: [string, string][] = [
    ["3-4 9:5:7", "03-04 09:05:07"],
    ["03-14 09:30:00", "03-14 09:30:00"],
    ["2-29 23:59:59", "02-29 23:59:59"],
    ["2025-12-31T08:00", "12-31 08:00:00"],
    ["7/1 14:20", "07-01 14:20:00"],
  ];
  for (const [text, expected] of cases) assertEquals(SimClock.at(text).format(), expected, text);
});

Deno.test("impossible start times are refused with a reason", () => {
  const cases: [string, string][] = [
    ["02-30 10:00:00", "day 30 does not exist in month 2"],
    ["13-01 10:00:00", "month 13 does not exist"],
    ["01-01 24:00:00", "hour 24 is past 23"],
    ["01-01 10:60:00", "minute 60 is past 59"],
    ["2023-02-29 10:00:00", "day 29 does not exist in month 2"],
    ["tomorrow morning", "not a date-time in the form M-D H:M:S"],
    ["", "not a date-time"],
  ];
  for (const [text, reason] of cases) {
    const parsed = parseSceneTime(text);
    assert(!parsed.ok && parsed.error.includes(reason), `${text}: ${JSON.stringify(parsed)}`);
    assertThrows(() => SimClock.at(text), RangeError);
  }
});

Deno.test("the schema check goes back to the model as a validation error", () => {
  const schema = z.object({ time: sceneTimeSchema });
  const bad = parseStructured(schema, '{"time": "02-30 9:00:00"}');
  assert(!bad.ok && bad.error.includes('$.time: "02-30 9:00:00" is not a real date-time'));
  const good = parseStructured(schema, '{"time": "2-29 9:00:00"}');
  assertEquals(good, { ok: true, value: { time: "2-29 9:00:00" } });
});

Deno.test("the clock moves forward by whole seconds only, across days and years", () => {
  const clock = SimClock.at("12-31 23:59:30");
  clock.advance(45);
  assertEquals(clock.format(), "01-01 00:00:15");
  clock.advance(86_400);
  assertEquals(clock.format(), "01-02 00:00:15");
  for (const bad of [0, -5, 1.5, Number.NaN]) assertThrows(() => clock.advance(bad), RangeError);
  assertEquals(clock.format(), "01-02 00:00:15");
  assertEquals(formatSceneTime(SimClock.at("02-28 23:59:59").epochSeconds + 1), "02-29 00:00:00");
});
