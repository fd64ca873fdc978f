/** Scene configurations for tests of `proactive datagen`. */
import { stringify } from "yaml";

/** A valid scene configuration whose log is `outFile`. */
export function sceneConfig(outFile: string) {
  return {
    environment: {
      theme: "Coding",
      description: "A developer at a desk.",
      entities: ["Editor"],
      agent_ops: ["file_open(path)"],
      events_example: ["The user opens a file."],
    },
    user: { goal: "Fix a bug", description: "Ada, 31, engineer.", theme: "Coding" },
    agent: {},
    eventSink: { out_file: outFile },
  };
}

/** Writes `<dir>/<name>.yaml` for each name, logging to `<name>.jsonl`. */
export async function writeSceneConfigs(dir: string, names: readonly string[]): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const name of names) {
    await Deno.writeTextFile(`${dir}/${name}.yaml`, stringify(sceneConfig(`${name}.jsonl`)));
  }
}
