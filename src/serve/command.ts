import type { Command } from "../cli/command.ts";
import { runtimeError } from "../cli/errors.ts";

export const command: Command = {
  name: "serve",
  summary: "(being built)",
  help: "proactive serve\n",
  run() {
    return Promise.reject(runtimeError("serve is being built"));
  },
};
