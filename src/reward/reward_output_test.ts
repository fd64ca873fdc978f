import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import {
  type Conversation,
  conversationKey,
  encodeConversation,
  keyOfConversation,
  matchDone,
  outputChunks,
  readExistingOutput,
  replyJudgement,
} from "./reward_output.ts";

function conversation(user: string, judgement: string, thought = "t"): Conversation {
  return {
    conversations: [
      { role: "system", content: "S" },
      { role: "user", content: user },
      { role: "assistant", content: JSON.stringify({ thought, judgement }) },
    ],
  };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "reward-output-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("outputChunks: the bytes of a pretty JSON array, whatever the chunk size", () => {
  const conversations = [
    conversation('ü1 "quoted"\nnew line', "accepted"),
    conversation("u2", "rejected"),
    conversation("u3", "accepted"),
  ];
  const elements = conversations.map(encodeConversation);
  for (const chunkSize of [1, 50, 1 << 20]) {
    const chunks = [...outputChunks(elements, chunkSize)];
    const text = new TextDecoder().decode(
      new Uint8Array(chunks.flatMap((c) => [...c])),
    );
    assertEquals(JSON.parse(text), conversations);
    assertEquals(text, JSON.stringify(conversations, null, 2) + "\n");
    if (chunkSize === 1 << 20) assertEquals(chunks.length, 1);
  }
  assertEquals(new TextDecoder().decode([...outputChunks([])][0]), "[]\n");
});

Deno.test("matchDone: a multiset — each done conversation serves one wanted key, in order", () => {
  const a1 = conversation("a", "accepted", "first");
  const a2 = conversation("a", "accepted", "second");
  const b = conversation("b", "rejected");
  const stale = conversation("c", "accepted");
  const wrongLabel = conversation("b", "accepted");
  const keyA = conversationKey("S", "a", "accepted");
  const keyB = conversationKey("S", "b", "rejected");
  assertEquals(keyOfConversation(a1), keyA);
  const result = matchDone([keyA, keyB, keyA, keyA, keyB], [a1, stale, b, a2, wrongLabel]);
  assertEquals(result.assigned, [a1, b, a2, undefined, undefined]);
  assertEquals(result.unmatched, [stale, wrongLabel]);
});

Deno.test("replyJudgement: the judgement of our JSON reply, else empty", () => {
  assertEquals(replyJudgement('{"thought":"x","judgement":"rejected"}'), "rejected");
  assertEquals(replyJudgement("not json"), "");
  assertEquals(replyJudgement("[1]"), "");
});

Deno.test("readExistingOutput: missing is empty, ours is read, anything else is an error", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/out.json`;
    assertEquals(await readExistingOutput(path), []);

    const good = [conversation("u", "accepted")];
    await Deno.writeTextFile(path, JSON.stringify(good));
    assertEquals(await readExistingOutput(path), good);

    await Deno.writeTextFile(path, '[{"conversations": [');
    let error = await assertRejects(() => readExistingOutput(path), ProactiveError);
    assert(error.message.startsWith(`Cannot parse the existing output "${path}"`), error.message);
    assert(error.message.includes("kept as it is"));

    const twoMessages = [{ conversations: good[0].conversations.slice(0, 2) }];
    await Deno.writeTextFile(path, JSON.stringify([good[0], twoMessages[0]]));
    error = await assertRejects(() => readExistingOutput(path), ProactiveError);
    assert(
      error.message.startsWith(`Invalid existing output "${path}" at $[1].conversations:`),
      error.message,
    );

    const swapped = [{ conversations: [...good[0].conversations].reverse() }];
    await Deno.writeTextFile(path, JSON.stringify(swapped));
    error = await assertRejects(() => readExistingOutput(path), ProactiveError);
    assert(error.message.includes("system, user, assistant"), error.message);

    await Deno.writeTextFile(path, '{"not": "an array"}');
    error = await assertRejects(() => readExistingOutput(path), ProactiveError);
    assert(error.message.includes(`"${path}" at $:`), error.message);
  });
});
