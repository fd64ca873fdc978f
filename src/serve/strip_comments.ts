/**
 * `stripComments`: the static modules and the stylesheet as served, without their
 * whole-line comments and blank lines. The sources stay documented for their readers; the
 * annotators' browsers download only the code (the page's weight target, `deno task bench
 * page`, counts what is served). A minifier (esbuild, terser) would save more but costs a
 * native binary or a second of start-up; removing whole lines cannot change what a line
 * of code means.
 *
 * A line is dropped when it is blank, starts with `//`, or lies in a block comment that
 * starts a line (`/*` … `*\/`), unless it is inside a multi-line template literal (an odd
 * number of backticks so far on the kept lines opens one). Comments after code on a line
 * stay, and so does everything else.
 *
 * @module
 */

/** `source` without its whole-line comments and blank lines (see the module doc). */
export function stripComments(source: string): string {
  const kept: string[] = [];
  let inTemplate = false;
  let inBlock = false;
  for (const line of source.split("\n")) {
    const text = line.trim();
    if (inTemplate) {
      kept.push(line);
      inTemplate = flipsTemplate(line) !== inTemplate;
      continue;
    }
    if (inBlock) {
      inBlock = !text.includes("*/");
      continue;
    }
    if (text === "" || text.startsWith("//")) continue;
    if (text.startsWith("/*")) {
      inBlock = !text.slice(2).includes("*/");
      continue;
    }
    kept.push(line);
    inTemplate = flipsTemplate(line);
  }
  return kept.join("\n") + "\n";
}

/** Whether the line holds an odd number of backticks (not escaped). */
function flipsTemplate(line: string): boolean {
  let count = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "\\") i++;
    else if (line[i] === "`") count++;
  }
  return count % 2 === 1;
}
