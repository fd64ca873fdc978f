import { inputError } from "../cli/errors.ts";

/** One split of a `splits.json`: the trace files it groups, and an optional theme. */
export interface Split {
  name: string;
  theme?: string;
  files: string[];
}

/**
 * Validates a parsed `splits.json` (`{name: {theme?, files: [name.json, …]}}`), keeping
 * its order. File names must be plain names inside the model folder (no folders, no "..").
 */
export function parseSplits(value: unknown, source: string): Split[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw inputError(`${source}: expected an object of splits, e.g. {"all": {"files": [...]}}`);
  }
  const splits: Split[] = [];
  for (const [name, cfg] of Object.entries(value)) {
    const files = (cfg as { files?: unknown })?.files;
    if (!Array.isArray(files) || files.some((f) => typeof f !== "string")) {
      throw inputError(`${source}: split "${name}" needs "files", a list of file names`);
    }
    for (const file of files as string[]) {
      if (file === "" || /[\\/]/.test(file) || file === "." || file === "..") {
        throw inputError(
          `${source}: split "${name}" names "${file}", which is not a file name inside the folder`,
        );
      }
    }
    const theme = (cfg as { theme?: unknown }).theme;
    splits.push({
      name,
      ...(typeof theme === "string" ? { theme } : {}),
      files: [...(files as string[])],
    });
  }
  if (splits.length === 0) throw inputError(`${source}: no splits`);
  return splits;
}
