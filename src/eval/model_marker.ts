/**
 * The marker a model folder keeps of the model that wrote it: `<folder>/.model.json`,
 * `{"model": "<the --model name>"}`, written atomically when `eval agent` (or `eval judge
 * --agent NAME`) first uses the folder. A run of another model on a folder marked for one
 * is refused, naming both models and the folder, so its outputs are never taken for the
 * other model's (on a file system that ignores case, `Qwen` and `qwen` share a folder).
 *
 * A folder without a marker — written by an older version, or by the reference's scripts,
 * which name folders after the model — is taken as it is and gets the marker then.
 *
 * @module
 */
import { join } from "node:path";
import { describeError, inputError } from "../cli/errors.ts";
import { writeJsonAtomic } from "../store/atomic_write.ts";
import { readFileNoFollow, SymlinkRefusedError } from "../store/no_follow.ts";

/** The marker's file name inside a model folder (hidden: not a prediction file). */
export const MODEL_MARKER = ".model.json";

/** The marker's path in `dir`. */
export function markerPath(dir: string): string {
  return join(dir, MODEL_MARKER);
}

/** The model the marker of `dir` names; undefined when there is no marker. */
export async function readModelMarker(dir: string): Promise<string | undefined> {
  const path = markerPath(dir);
  let text: string;
  try {
    text = new TextDecoder().decode(await readFileNoFollow(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof SymlinkRefusedError) throw error;
    throw inputError(`Cannot read the model marker "${path}": ${describeError(error, path)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const model = (value as { model?: unknown } | undefined)?.model;
  if (typeof model !== "string") {
    throw inputError(
      `The model marker "${path}" is not {"model": "<name>"}: remove it if the folder holds ` +
        `the outputs of one model only, and run again`,
    );
  }
  return model;
}

/** The refusal of `model` on `dir`, which the marker gives to `marked`. */
function otherModelError(dir: string, model: string, marked: string) {
  const caseOnly = marked.toLowerCase() === model.toLowerCase()
    ? " (the names differ only in case, and this file system does not tell them apart)"
    : "";
  return inputError(
    `The folder "${dir}" holds the outputs of the model ${JSON.stringify(marked)}, not of ` +
      `${JSON.stringify(model)}${caseOnly}: its marker "${markerPath(dir)}" says so. ` +
      `Use another --out-dir for ${JSON.stringify(model)}`,
  );
}

/**
 * Checks that `dir` (an existing folder) is the folder of `model`, and marks it so when
 * it has no marker yet; throws naming both models and the folder when it is marked for
 * another one.
 */
export async function claimModelFolder(dir: string, model: string): Promise<void> {
  const marked = await readModelMarker(dir);
  if (marked === undefined) await writeJsonAtomic(markerPath(dir), { model });
  else if (marked !== model) throw otherModelError(dir, model, marked);
}
