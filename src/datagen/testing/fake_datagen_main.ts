/**
 * `proactive datagen` with the fake scene runner, as a process of its own, for the tests
 * that run several processes on one lease store or kill one mid-run. Each scene's name is
 * appended to `$FAKE_RAN_FILE` (one line `<pid> <name>`, when it starts); `$FAKE_DELAY_MS`
 * slows every record down; `$FAKE_EVENTS` sets the events per scene. Arguments are those of `proactive datagen`.
 */
import { createLogger } from "../../cli/logger.ts";
import { describeError } from "../../cli/errors.ts";
import { runDatagenCommand } from "../command.ts";
import { createFakeSceneRunner } from "./fake_scene_runner.ts";

const ranFile = Deno.env.get("FAKE_RAN_FILE");
const runner = createFakeSceneRunner({
  delayMs: Number(Deno.env.get("FAKE_DELAY_MS") ?? "0"),
  events: Number(Deno.env.get("FAKE_EVENTS") ?? "3"),
  onStart: async (name) => {
    if (ranFile) await Deno.writeTextFile(ranFile, `${Deno.pid} ${name}\n`, { append: true });
  },
});
const controller = new AbortController();
Deno.addSignalListener("SIGTERM", () => controller.abort());
const write = (text: string) => Deno.stderr.writeSync(new TextEncoder().encode(text));
let code: number;
try {
  code = await runDatagenCommand(Deno.args, {
    env: (name) => Deno.env.get(name),
    stdout: (text) => Deno.stdout.writeSync(new TextEncoder().encode(text)),
    stderr: write,
    logger: createLogger({ verbose: false, write, timestamps: true }),
    isTerminal: false,
    signal: controller.signal,
    now: Date.now,
  }, { runner });
} catch (error) {
  write(`fake datagen: ${describeError(error)}\n`);
  code = 1;
}
Deno.exit(code);
