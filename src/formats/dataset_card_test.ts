import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { cardCommand, cardInput, cardMarkdown, type DatasetCard } from "./dataset_card.ts";

Deno.test("the card's command hides API keys and quotes what needs it", () => {
  assertEquals(
    cardCommand("agent-trainset", [
      "--api-key",
      "sk-secret",
      "--in-dir",
      "my logs",
      "--api-key=sk-2",
    ]),
    "proactive agent-trainset --api-key '***' --in-dir 'my logs' '--api-key=***'",
  );
});

Deno.test("a card input is its SHA-256 and size", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/a.jsonl`, "abc");
  assertEquals(await cardInput(`${dir}/a.jsonl`), {
    file: `${dir}/a.jsonl`,
    sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    bytes: 3,
  });
});

Deno.test("the markdown card has one generated_at line and every fact", () => {
  const card: DatasetCard = {
    dataset: "d/x.json",
    dataset_name: "x",
    format: "json",
    generated_at: "2026-01-01T00:00:00.000Z",
    command: "proactive agent-trainset",
    inputs: [{ file: "l.jsonl", sha256: "ab12", bytes: 9 }],
    roles: {
      agent: {
        model: "m",
        alias: "a",
        prompt_version: "agent-v1",
        llm: { answers: 3, prompt_tokens: 4, completion_tokens: 5 },
      },
    },
    seed: "3",
    settings: { max_trials: 15 },
    counts: { samples: 2 },
    training: "Train it.",
  };
  const text = cardMarkdown(card);
  assertEquals(text.split("\n").filter((l) => l.includes("generated_at")).length, 1);
  for (
    const fact of [
      "ab12",
      "agent-v1",
      "max_trials: 15",
      "samples: 2",
      "Train it.",
      "| answers: 3, prompt_tokens: 4, completion_tokens: 5 |",
    ]
  ) {
    assertStringIncludes(text, fact);
  }
});
