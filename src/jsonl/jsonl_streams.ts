import { inputError } from "../cli/errors.ts";

/** Splits a text stream into lines (`\n` or `\r\n`), keeping 1-based line numbers. */
export class LineSplitStream extends TransformStream<string, { line: number; text: string }> {
  constructor() {
    let buffer = "";
    let line = 0;
    super({
      transform(chunk, controller) {
        buffer += chunk;
        let start = 0;
        let newline = buffer.indexOf("\n", start);
        while (newline !== -1) {
          const end = newline > start && buffer[newline - 1] === "\r" ? newline - 1 : newline;
          controller.enqueue({ line: ++line, text: buffer.slice(start, end) });
          start = newline + 1;
          newline = buffer.indexOf("\n", start);
        }
        buffer = buffer.slice(start);
      },
      flush(controller) {
        if (buffer.length > 0) {
          const text = buffer.endsWith("\r") ? buffer.slice(0, -1) : buffer;
          controller.enqueue({ line: ++line, text });
        }
      },
    });
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
      transform({ line, text }, controller) {
        if (text.trim() === "") return;
        try {
          controller.enqueue({ line, value: JSON.parse(text) as T });
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          throw inputError(`Cannot parse line ${line} of "${source}": ${reason}`);
        }
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
  return bytes
    .pipeThrough(new TextDecoderStream() as TransformStream<Uint8Array, string>)
    .pipeThrough(new LineSplitStream())
    .pipeThrough(new JsonlParseStream<T>(source));
}

/** Reads a whole JSONL file; errors name the file and the line. */
export async function readJsonlFile<T = unknown>(
  path: string,
): Promise<{ line: number; value: T }[]> {
  let file;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw inputError(`Cannot read "${path}": no such file`);
    }
    throw inputError(`Cannot read "${path}": ${(error as Error).message}`, error);
  }
  const rows: { line: number; value: T }[] = [];
  for await (const row of parseJsonlStream<T>(file.readable, path)) rows.push(row);
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
