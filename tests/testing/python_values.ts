/**
 * Runs `python_values.py` (what Python itself makes of a value in a Python file) for the
 * import tests. `hasPython3()` says whether the comparison can run on this machine.
 *
 * @module
 */

const SCRIPT = `${import.meta.dirname}/python_values.py`;

/** One value to look up, in the shapes `REFERENCE_SOURCES` uses. */
export type PythonLookup =
  & { id: string; file: string; values?: Record<string, unknown> }
  & (
    | { constant: string; key?: string }
    | { fn: string; assigned: string; key?: string }
    | { fn: string; dictKey: string }
  );

/** Whether `python3` runs here. */
export async function hasPython3(): Promise<boolean> {
  try {
    return (await new Deno.Command("python3", { args: ["-c", "pass"] }).output()).success;
  } catch {
    return false;
  }
}

/** id → the value Python computes (or `{error}` when Python fails). */
export async function pythonValues(
  dir: string,
  lookups: readonly PythonLookup[],
): Promise<Record<string, unknown>> {
  const child = new Deno.Command("python3", {
    args: ["-W", "ignore", SCRIPT],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify({ dir, lookups })));
  await writer.close();
  const output = await child.output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout));
}
