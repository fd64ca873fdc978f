import { assertEquals, assertRejects, assertThrows } from "../../tests/assert.ts";
import { withTempDir } from "../../tests/temp_dir.ts";
import { ProactiveError } from "../cli/errors.ts";
import type { FlagDecls } from "../cli/flags.ts";
import { LLM_FLAGS, type LlmOptions } from "../llm/llm_config.ts";
import { WAIT_FLAG } from "../store/output_lock.ts";
import type { BusyPolicy } from "../store/process_lock.ts";
import { readStageOptions, stageOptions } from "./stage_options.ts";

const FLAGS = {
  ...LLM_FLAGS,
  out: { kind: "string", value: "FILE", default: "out.json", help: "Output" },
  requests: { kind: "integer", value: "N", min: 1, help: "Requests in flight" },
  judge: { kind: "boolean", help: "Also judge" },
  ...WAIT_FLAG,
} as const satisfies FlagDecls;

interface DemoOptions {
  out: string;
  onBusy?: BusyPolicy;
  llm: LlmOptions;
}

const DEMO = stageOptions<typeof FLAGS, DemoOptions>({
  flags: FLAGS,
  roles: (flags) => flags.judge ? ["agent", "reward"] : ["agent"],
  llmValues: (raw) => ({ ...raw, concurrency: raw.requests }),
  options: (flags) => {
    if (flags.out.endsWith("/")) throw new ProactiveError("usage", "--out names a folder");
    return { out: flags.out };
  },
});
const noEnv = () => undefined;

Deno.test("stageOptions: own options, --wait as onBusy, the LLM options for the roles", () => {
  const plain = DEMO.parse(["--model", "m"], noEnv);
  assertEquals(plain.out, "out.json");
  assertEquals(plain.onBusy, "fail");
  assertEquals(Object.keys(plain.llm.endpoints), ["agent"]);
  const judged = DEMO.parse(["--model", "m", "--judge", "--wait", "--requests", "3"], noEnv);
  assertEquals(judged.onBusy, "wait");
  assertEquals(Object.keys(judged.llm.endpoints), ["agent", "reward"]);
  assertEquals(judged.llm.endpoints.agent!.concurrency, 3); // --requests renamed for the layer
});

Deno.test("stageOptions: the command's own errors come before the LLM layer's", () => {
  assertThrows(() => DEMO.parse(["--out", "dir/"], noEnv), ProactiveError, "--out names a folder");
  assertThrows(() => DEMO.parse([], noEnv), ProactiveError, 'No model for role "agent"');
});

Deno.test("readStageOptions: a missing --config file fails before parsing; the prompt set loads", () =>
  withTempDir(async (dir) => {
    await assertRejects(
      () => readStageOptions(["--config", `${dir}/none.yaml`, "--model", "m"], noEnv, DEMO),
      ProactiveError,
      "none.yaml",
    );
    const options = await readStageOptions(["--model", "m"], noEnv, DEMO);
    assertEquals(options.llm.prompts?.name, "builtin");
  }));
