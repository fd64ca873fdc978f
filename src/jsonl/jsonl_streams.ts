/**
 * JSON Lines: parsing streams and files (the bytes are cut into lines by the one input
 * reader, `src/store/input_lines.ts`: byte order mark, UTF-8 and the line cap are its
 * rules), embedded text, and serialising.
 */
import { inputError } from "../cli/errors.ts";
import {
  type InputLine,
  type InputLineOptions,
  readInputLines,
  splitInputLines,
} from "../store/input_lines.ts";

/** One line's value, or undefined for a blank line; a line that is not JSON names it. */
function parseJsonlLine<T>(
  { line, text }: InputLine,
  source: string,
): { line: number; value: T } | undefined {
  if (text.trim() === "") return undefined;
  try {
    return { line, value: JSON.parse(text) as T };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw inputError(`Cannot parse line ${line} of "${source}": ${reason}`);
  }
}

/**
 * Parses JSON Lines. Blank lines are skipped; a line that is not JSON fails the stream
 * with `Cannot parse line N of "<source>": <reason>`.
 */
export class JsonlParseStream<T = unknown>
  extends TransformStream<{ line: number; text: string }, { line: number; value: T }> {
  constructor(source: string) {
    super({
      transform(line, controller) {
        const row = parseJsonlLine<T>(line, source);
        if (row !== undefined) controller.enqueue(row);
      },
    });
  }
}

/** Serialises values as JSON Lines (one `stringify(value)` and `\n` each). */
export class JsonlStringifyStream<T = unknown> extends TransformStream<T, string> {
  constructor(stringify: (value: T) => string = (value) => JSON.stringify(value)) {
    super({
      transform(value, controller) {
        controller.enqueue(stringify(value) + "\n");
      },
    });
  }
}

/** Parsed JSON Lines from a byte stream, each with its line number. */
export function parseJsonlStream<T = unknown>(
  bytes: ReadableStream<Uint8Array>,
  source: string,
): ReadableStream<{ line: number; value: T }> {
  return ReadableStream.from(splitInputLines(bytes, source))
    .pipeThrough(new JsonlParseStream<T>(source));
}

/**
 * Reads a whole JSONL file (see `readInputLines` for the rules); errors name the file and
 * the line.
 */
export async function readJsonlFile<T = unknown>(
  path: string,
  options: InputLineOptions = {},
): Promise<{ line: number; value: T }[]> {
  const rows: { line: number; value: T }[] = [];
  for await (const line of readInputLines(path, options)) {
    const row = parseJsonlLine<T>(line, path);
    if (row !== undefined) rows.push(row);
  }
  return rows;
}

/** Parses JSONL text already in memory (embedded data); errors name `source`. */
export function parseJsonlText<T = unknown>(
  text: string,
  source: string,
): { line: number; value: T }[] {
  const rows: { line: number; value: T }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (raw.trim() === "") continue;
    try {
      rows.push({ line: i + 1, value: JSON.parse(raw) as T });
    } catch (error) {
      throw inputError(`Cannot parse line ${i + 1} of "${source}": ${(error as Error).message}`);
    }
  }
  return rows;
}

/** Joins values as JSONL text. */
export function toJsonl<T>(
  values: Iterable<T>,
  stringify: (value: T) => string = (v) => JSON.stringify(v),
): string {
  let out = "";
  for (const value of values) out += stringify(value) + "\n";
  return out;
}
