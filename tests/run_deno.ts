/** Runs `deno <args>` (this Deno) in a child process for end-to-end tests. */
export const ROOT = `${import.meta.dirname}/..`;
export const MAIN = `${ROOT}/main.ts`;

export interface DenoRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno <args>` in `cwd` with NO_COLOR and collects its exit code and output. */
export async function runDeno(args: string[], cwd: string = ROOT): Promise<DenoRun> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Runs `proactive <args>` from source (`deno run --unstable-kv -A main.ts …`). */
export function runProactive(args: string[], cwd: string = ROOT): Promise<DenoRun> {
  return runDeno(["run", "--unstable-kv", "-A", MAIN, ...args], cwd);
}
