import { assertEquals } from "../../tests/assert.ts";
import type { Member } from "./kv_schema.ts";
import { ProgressIndex } from "./progress_index.ts";

const TRACES = [
  { name: "a", questions: [1, 3, 5] },
  { name: "b", questions: [0, 2] },
  { name: "c", questions: [4] },
];

const member = (id: string, answered: number): Member => ({
  id,
  reservation: `${id}-r`,
  reservedAt: 0,
  lastActivity: 0,
  answered,
});

/** The counts computed from scratch, to check the index against. */
function recount(records: Map<string, Member[]>, cap: number) {
  const own = new Map<string, { done: number; inProgress: number }>();
  let done = 0;
  for (const trace of TRACES) {
    for (const m of records.get(trace.name) ?? []) {
      done += Math.min(m.answered, trace.questions.length);
      const counts = own.get(m.id) ?? { done: 0, inProgress: 0 };
      if (m.answered >= trace.questions.length) counts.done++;
      else counts.inProgress++;
      own.set(m.id, counts);
    }
  }
  return { own, done, needed: 6 * cap };
}

Deno.test("ProgressIndex: own traces and project labels follow every stored record", () => {
  const index = new ProgressIndex(TRACES, 2);
  assertEquals(index.project(), { done: 0, needed: 12 });
  assertEquals(index.own("x"), { done: 0, inProgress: 0 });
  const records = new Map<string, Member[]>();
  let seed = 7;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let step = 0; step < 500; step++) {
    const trace = TRACES[random(TRACES.length)];
    const before = records.get(trace.name) ?? [];
    // Reserve, answer one more, or release a member, at random; at most 2 members.
    const after = before.map((m) => ({ ...m }));
    const move = random(3);
    if (move === 0 && after.length < 2) {
      const id = ["x", "y", "z"][random(3)];
      if (!after.some((m) => m.id === id)) after.push(member(id, 0));
    } else if (move === 1 && after.length > 0) {
      after[random(after.length)].answered++;
    } else if (after.length > 0) {
      after.splice(random(after.length), 1);
    }
    index.update(trace.name, before, after);
    records.set(trace.name, after);
    const expected = recount(records, 2);
    assertEquals(index.project(), { done: expected.done, needed: 12 }, `step ${step}`);
    for (const id of ["x", "y", "z"]) {
      assertEquals(index.own(id), expected.own.get(id) ?? { done: 0, inProgress: 0 });
    }
  }
  // A record of a trace the catalogue no longer has changes nothing.
  const project = index.project();
  index.update("gone", [], [member("x", 9)]);
  assertEquals(index.project(), project);
});
