import type { Command } from "../cli/command.ts";
import { runtimeError } from "../cli/errors.ts";

export const command: Command = {
  name: "convert",
  summary: "(being built)",
  help: "proactive convert\n",
  run() {
    return Promise.reject(runtimeError("convert is being built"));
  },
};
