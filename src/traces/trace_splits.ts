/**
 * `splits.json` of a trace folder made from gym logs, in the reference's shape:
 * `{"<split>": {"theme": "<theme>", "files": ["<trace>.json", …]}, …}`. One split per scene
 * theme (named after the theme: lowercase, runs of other characters as `_`, a number added
 * when two themes give the same name), and `all` (theme "All") with every file. A log
 * without a theme in its `setup` record goes to the split `unknown` (theme "Unknown").
 */

export interface SplitEntry {
  /** The trace's file name (`<log stem>.json`). */
  file: string;
  theme: string | null;
}

export interface Split {
  theme: string;
  files: string[];
}

export function splitName(theme: string): string {
  const slug = theme.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
  return slug === "" ? "theme" : slug;
}

export function traceSplits(entries: readonly SplitEntry[]): Record<string, Split> {
  const byTheme = new Map<string, string[]>();
  for (const { file, theme } of entries) {
    const key = theme ?? "Unknown";
    const files = byTheme.get(key) ?? [];
    files.push(file);
    byTheme.set(key, files);
  }
  const splits: Record<string, Split> = {
    all: { theme: "All", files: entries.map((e) => e.file).sort() },
  };
  for (const theme of [...byTheme.keys()].sort()) {
    const base = splitName(theme);
    let name = base;
    for (let k = 2; Object.hasOwn(splits, name); k++) name = `${base}_${k}`;
    splits[name] = { theme, files: byTheme.get(theme)!.sort() };
  }
  return splits;
}
