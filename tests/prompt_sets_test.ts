/**
 * Prompt sets end to end: `prompts export` / `show`, `--prompts FILE` and the config's
 * `prompts:` changing what the stages send, the set in summaries and cards, a changed set
 * never answered from an old cache entry, a bad set refused before any request, and the
 * reward template the same in `reward`'s training set and in what `eval reward` asks.
 */
import { join } from "node:path";
import { assert, assertEquals, assertNotEquals, assertStringIncludes } from "./assert.ts";
import { ROOT, runProactive } from "./run_deno.ts";
import { withTempDir } from "./temp_dir.ts";
import {
  type FakeRequestBody,
  startFakeOpenAiServer,
} from "../src/llm/testing/fake_openai_server.ts";
import { BUILTIN_PROMPT_SET } from "../src/prompts/prompt_set.ts";
import { parsePromptSet } from "../src/prompts/prompt_set.ts";

const SMALL = `${ROOT}/tests/testdata/reward/fifteen_items.jsonl`;

const SET = `name: terse
roles:
  reward:
    system: "Judge as the user. Answer {\\"thought\\": …, \\"judgement\\": \\"accepted\\"|\\"rejected\\"}."
    instruction: Your call.
`;

/** Answers every request as the reward model, accepting. */
function judgeAll() {
  return () => ({ texts: JSON.stringify({ thought: "I think so.", judgement: "accepted" }) });
}

function llmArgs(baseUrl: string, dir: string): string[] {
  return [
    "--base-url",
    baseUrl,
    "--api-key",
    "k",
    "--model",
    "m",
    "--cache-dir",
    join(dir, "cache"),
  ];
}

Deno.test("prompts export writes the built-in set, documented; show prints a set's texts", () =>
  withTempDir(async (dir) => {
    const out = join(dir, "p.yaml");
    const exported = await runProactive(["prompts", "export", "--out", out]);
    assertEquals(exported.code, 0, exported.stderr);
    assertStringIncludes(exported.stdout, BUILTIN_PROMPT_SET.hash);
    const text = await Deno.readTextFile(out);
    assertEquals(parsePromptSet(text, out).values(), BUILTIN_PROMPT_SET.values());
    assertStringIncludes(text, "# {task}: the seed task");

    await Deno.writeTextFile(join(dir, "set.yaml"), SET);
    const shown = await runProactive([
      "prompts",
      "show",
      "--prompts",
      join(dir, "set.yaml"),
      "reward",
    ]);
    assertEquals(shown.code, 0, shown.stderr);
    assertStringIncludes(shown.stdout, '# prompt set "terse" (protocol proactive, sha256 ');
    assertStringIncludes(shown.stdout, "## reward.instruction\nYour call.");
    assert(!shown.stdout.includes("## agent."), "only the role asked for");
    const all = await runProactive(["prompts", "show"]);
    assertStringIncludes(all.stdout, "## agent.system (built-in)\n");
    const bad = await runProactive(["prompts", "show", "rewrd"]);
    assertEquals(bad.code, 2);
    assertStringIncludes(bad.stderr, 'Unknown role "rewrd"; did you mean reward?');
  }));

Deno.test("--prompts changes what eval reward sends, names the set, and never reuses the built-in set's answers", async () => {
  const bodies: FakeRequestBody[] = [];
  await using server = await startFakeOpenAiServer({
    handler: (body) => {
      bodies.push(body);
      return judgeAll()();
    },
  });
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "set.yaml"), SET);
    const base = ["eval", "reward", "--limit", "3", ...llmArgs(server.baseUrl, dir)];
    const builtin = await runProactive([...base, "--out", join(dir, "a.jsonl")], dir);
    assertEquals(builtin.code, 0, builtin.stderr);
    assertEquals(bodies.length, 3);
    assertEquals(bodies[0].messages[0].content, BUILTIN_PROMPT_SET.text("reward", "system"));

    const custom = await runProactive(
      [...base, "--out", join(dir, "b.jsonl"), "--prompts", join(dir, "set.yaml")],
      dir,
    );
    assertEquals(custom.code, 0, custom.stderr);
    assertEquals(bodies.length, 6, "new texts: new requests");
    const system = String(bodies[3].messages[0].content);
    assert(system.startsWith("Judge as the user."), system);
    assertEquals(JSON.parse(String(bodies[3].messages[1].content)).instruction, "Your call.");
    const summary = JSON.parse(await Deno.readTextFile(join(dir, "b.summary.json")));
    const set = parsePromptSet(SET, join(dir, "set.yaml"));
    assertEquals(summary.promptSet, set.label);

    // The same set again: from the cache. The set back to the built-in texts: from the cache.
    await runProactive(
      [...base, "--out", join(dir, "c.jsonl"), "--prompts", join(dir, "set.yaml")],
      dir,
    );
    await runProactive([...base, "--out", join(dir, "d.jsonl")], dir);
    assertEquals(bodies.length, 6);
    // A set that changes another role only: the same messages, but a new set — keyed apart.
    await Deno.writeTextFile(join(dir, "more.yaml"), SET + "  agent:\n    system: Agent.\n");
    await runProactive(
      [...base, "--out", join(dir, "e.jsonl"), "--prompts", join(dir, "more.yaml")],
      dir,
    );
    assertEquals(bodies.length, 9);
    // The same three requests, in whatever order they arrived.
    const sorted = (from: number) =>
      bodies.slice(from, from + 3).map((b) => JSON.stringify(b.messages)).sort();
    assertEquals(sorted(6), sorted(3));
    // A set that only renames itself sends the same texts, and has the same hash.
    await Deno.writeTextFile(join(dir, "renamed.yaml"), SET.replace("terse", "other"));
    const renamed = parsePromptSet(await Deno.readTextFile(join(dir, "renamed.yaml")), "r");
    assertEquals(renamed.hash, set.hash, "the hash names the texts, not the name");
  });
});

Deno.test("a bad prompt set is refused naming file, role and field, before any request", async () => {
  let requests = 0;
  await using server = await startFakeOpenAiServer({
    handler: () => {
      requests++;
      return judgeAll()();
    },
  });
  await withTempDir(async (dir) => {
    const file = join(dir, "bad.yaml");
    await Deno.writeTextFile(file, "roles:\n  scenes:\n    step2: 'Task: {taks}'\n");
    for (
      const args of [
        ["eval", "reward", "--out", join(dir, "r.jsonl")],
        ["reward", "--in", SMALL, "--out", join(dir, "set.json")],
        ["scenes", "--out", join(dir, "s.yaml"), "--scenes-dir", join(dir, "s")],
      ]
    ) {
      const run = await runProactive(
        [...args, ...llmArgs(server.baseUrl, dir), "--prompts", file],
        dir,
      );
      assertEquals(run.code, 1, run.stderr);
      assertStringIncludes(
        run.stderr,
        `The prompt set "${file}", scenes.step2: unknown placeholder {taks}`,
      );
    }
    assertEquals(requests, 0);
  });
});

Deno.test("the config's prompts: (relative to it) is used; --prompts wins over it", async () => {
  const bodies: FakeRequestBody[] = [];
  await using server = await startFakeOpenAiServer({
    handler: (body) => {
      bodies.push(body);
      return judgeAll()();
    },
  });
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "conf"));
    await Deno.writeTextFile(join(dir, "conf", "set.yaml"), SET);
    await Deno.writeTextFile(
      join(dir, "conf", "llm.yaml"),
      `models:\n  m:\n    base_url: ${server.baseUrl}\n    model: m\nprompts: set.yaml\n`,
    );
    const config = ["--config", join(dir, "conf", "llm.yaml"), "--cache-dir", join(dir, "cache")];
    const run = await runProactive(
      ["eval", "reward", "--limit", "1", "--out", join(dir, "r.jsonl"), ...config],
      dir,
    );
    assertEquals(run.code, 0, run.stderr);
    assert(String(bodies[0].messages[0].content).startsWith("Judge as the user."));
    await Deno.writeTextFile(
      join(dir, "other.yaml"),
      "roles:\n  reward:\n    instruction: Other.\n",
    );
    await runProactive(
      [
        "eval",
        "reward",
        "--limit",
        "1",
        "--out",
        join(dir, "s.jsonl"),
        ...config,
        "--prompts",
        join(dir, "other.yaml"),
      ],
      dir,
    );
    assertEquals(JSON.parse(String(bodies[1].messages[1].content)).instruction, "Other.");
  });
});

Deno.test("reward's training set holds exactly what eval reward asks the reward model, under any set", async () => {
  const bodies: FakeRequestBody[] = [];
  await using server = await startFakeOpenAiServer({
    handler: (body) => {
      bodies.push(body);
      const user = JSON.parse(String(body.messages.at(-1)!.content));
      // The explain request shows the label; the consistency request a reasoning.
      const judgement = user.your_judgement ?? (user.reasoning ? "accepted" : "accepted");
      return { texts: JSON.stringify({ thought: "I think so.", reason: "r", judgement }) };
    },
  });
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "set.yaml"), SET);
    // One accepted item, so the consistency answers ("accepted") agree with it.
    const items = (await Deno.readTextFile(SMALL)).split("\n").filter((l) =>
      l.trim() !== "" && JSON.parse(l).valid === true
    ).slice(0, 1);
    await Deno.writeTextFile(join(dir, "one.jsonl"), items.join("\n") + "\n");
    const common = [...llmArgs(server.baseUrl, dir), "--prompts", join(dir, "set.yaml")];
    const reward = await runProactive(
      ["reward", "--in", join(dir, "one.jsonl"), "--out", join(dir, "out", "set.json"), ...common],
      dir,
    );
    assertEquals(reward.code, 0, reward.stderr);
    const [conversation] = JSON.parse(await Deno.readTextFile(join(dir, "out", "set.json")));
    const card = JSON.parse(await Deno.readTextFile(join(dir, "out", "set.card.json")));
    assertEquals(card.prompt_set.name, "terse");
    const before = bodies.length;
    const evaluated = await runProactive(
      ["eval", "reward", "--in", join(dir, "one.jsonl"), "--out", join(dir, "r.jsonl"), ...common],
      dir,
    );
    assertEquals(evaluated.code, 0, evaluated.stderr);
    assertEquals(bodies.length, before + 1);
    assertEquals(bodies[before].messages, conversation.conversations.slice(0, 2));
    assertNotEquals(
      conversation.conversations[0].content,
      BUILTIN_PROMPT_SET.text("reward", "system"),
    );
  });
});
