import { assert, assertEquals, assertNotEquals } from "../../tests/assert.ts";
import { PythonRandom } from "../random/python_random.ts";
import { fnv1a64, sampleEventsFor, sampleWithoutReplacement } from "./sample_events.ts";

const events = Array.from({ length: 40 }, (_, i) => `event ${i}`);

Deno.test("sampleEventsFor: 15 distinct events of the kind, the same for the same seed", () => {
  const drawn = sampleEventsFor(events, 42n, "codingassistant", 7);
  assertEquals(drawn.length, 15);
  assertEquals(new Set(drawn).size, 15);
  for (const event of drawn) assert(events.includes(event));
  assertEquals(sampleEventsFor(events, 42n, "codingassistant", 7), drawn);
});

Deno.test("sampleEventsFor: the seed, the kind and the task index each change the draw", () => {
  const drawn = sampleEventsFor(events, 42n, "codingassistant", 7);
  assertNotEquals(sampleEventsFor(events, 43n, "codingassistant", 7), drawn);
  assertNotEquals(sampleEventsFor(events, 42n, "writingassistant", 7), drawn);
  assertNotEquals(sampleEventsFor(events, 42n, "codingassistant", 8), drawn);
});

Deno.test("sampleEventsFor: a draw never depends on other draws", () => {
  const alone = sampleEventsFor(events, 1n, "k", 3);
  for (let i = 0; i < 3; i++) sampleEventsFor(events, 1n, "k", i);
  assertEquals(sampleEventsFor(events, 1n, "k", 3), alone);
});

Deno.test("sampleEventsFor: all events, in order, when there are no more than 15", () => {
  const few = events.slice(0, 3);
  assertEquals(sampleEventsFor(few, 42n, "k", 0), few);
  assertEquals(sampleEventsFor(events.slice(0, 15), 42n, "k", 0), events.slice(0, 15));
});

Deno.test("sampleWithoutReplacement: the same draw as Python's random.sample", () => {
  // python3 -c "import random; print(random.Random(5).sample(range(10), 4))"
  const range = Array.from({ length: 10 }, (_, i) => i);
  assertEquals(sampleWithoutReplacement(range, 4, new PythonRandom(5)), [9, 4, 5, 6]);
});

Deno.test("fnv1a64: the published test vectors", () => {
  assertEquals(fnv1a64(""), 0xcbf29ce484222325n);
  assertEquals(fnv1a64("a"), 0xaf63dc4c8601ec8cn);
  assertEquals(fnv1a64("foobar"), 0x85944171f73967e8n);
});
