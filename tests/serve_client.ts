/** A small HTTP client of the `proactive serve` JSON API for the end-to-end tests. */
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));

export interface Reply {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
  headers: Headers;
}

export class ApiClient {
  cookie = "";
  constructor(readonly baseUrl: string) {}

  async call(path: string, body?: unknown): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.Cookie = this.cookie;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(new URL(path, this.baseUrl), {
      method: body === undefined ? "GET" : "POST",
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    return { status: response.status, body: json, headers: response.headers };
  }

  async login(username: string, password: string): Promise<string> {
    const reply = await this.call("/api/login", { username, password });
    if (reply.status !== 200) throw new Error(`login ${username}: ${JSON.stringify(reply.body)}`);
    this.cookie = (reply.headers.get("Set-Cookie") ?? "").split(";")[0];
    return reply.body.annotator?.id ?? ""; // an admin session has no annotator id
  }
}

/** A random valid label for a State's question. */
export function randomLabel(question: { kind: string; tasks: string[] }): string | number[] {
  if (question.kind === "help") return Math.random() < 0.5 ? "need" : "no need";
  if (Math.random() < 0.25) return "Reject all";
  const picked = question.tasks.map((_, i) => i).filter(() => Math.random() < 0.4);
  return picked.length > 0 ? picked : [Math.floor(Math.random() * question.tasks.length)];
}

export interface ServeChild {
  child: Deno.ChildProcess;
  url: string;
  /** Resolves when the child's stdout and stderr are fully read (after it exits). */
  drained: Promise<void>;
  stderr(): string;
}

/** Starts `deno run main.ts serve <args>` and waits for its "Listening on" line (≤ 60 s). */
export async function spawnServe(args: string[]): Promise<ServeChild> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-kv", "-A", `${ROOT}main.ts`, "serve", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let errText = "";
  const errDone = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) errText += chunk;
  })();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  let url: string | undefined;
  try {
    while (url === undefined) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
      url = out.match(/^Listening on (http:\/\/127\.0\.0\.1:\d+\/)$/m)?.[1];
    }
  } finally {
    clearTimeout(timer);
  }
  const outDone = (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  const drained = Promise.all([errDone, outDone]).then(() => {});
  if (url === undefined) {
    await child.status;
    await drained;
    throw new Error(`serve did not start:\n${out}\n${errText}`);
  }
  return { child, url, drained, stderr: () => errText };
}
