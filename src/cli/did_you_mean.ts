/**
 * "Did you mean …?" for mistyped commands and flags: the closest known name by
 * optimal-string-alignment distance (Levenshtein plus swapped neighbours, so `prot` is one
 * step from `port`), compared case-insensitively.
 */

/** Edits (insert, delete, substitute, swap two neighbours) turning `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[rows - 1][cols - 1];
}

/**
 * The known name closest to `input`, or undefined when none is close: at most 1 edit for
 * short names, about one edit per three characters for longer ones. A name that `input`
 * is the start of (3+ characters, only one such name) also counts: `annotators` →
 * `annotators-per-trace`.
 */
export function closestName(input: string, known: readonly string[]): string | undefined {
  const typed = input.toLowerCase();
  if (typed === "") return undefined;
  const limit = Math.max(1, Math.floor(typed.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const distance = editDistance(typed, name.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  if (best !== undefined && bestDistance <= limit) return best;
  const starts = known.filter((name) => name.toLowerCase().startsWith(typed));
  return typed.length >= 3 && starts.length === 1 ? starts[0] : undefined;
}

/** `; did you mean X?` or "" (appended to "unknown …" messages). */
export function didYouMean(input: string, known: readonly string[], prefix = ""): string {
  const name = closestName(input, known);
  return name === undefined ? "" : `; did you mean ${prefix}${name}?`;
}
