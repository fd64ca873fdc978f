/**
 * Accounting of a stage's LLM use, in total and per endpoint: printed at the end of the
 * stage (`formatStats`) and written into its JSON summary (`toJSON`). It holds no keys:
 * endpoints are named by alias, model and a displayable base URL. An alias served by
 * several servers (`server_pool.ts`) also gets a row per server (`addServer`): requests,
 * tokens, failed requests and how often it was set aside.
 */
import { formatCount } from "../cli/format_count.ts";
import { displayUrl } from "./redact.ts";

export interface LlmCounters {
  /** Logical calls (`chat` / `chatJson`, including re-asks). */
  calls: number;
  /** HTTP requests sent, retries included. */
  requests: number;
  /** Requests that were retries of a failed attempt. */
  retries: number;
  /** Re-asks after an invalid structured answer. */
  repairs: number;
  /** Calls answered from the completion cache. */
  cacheHits: number;
  promptTokens: number;
  completionTokens: number;
  /** Calls that failed for good (retries or repairs exhausted, or not retryable). */
  failures: number;
}

/** Names an endpoint in stats; no secrets. */
export interface EndpointLabel {
  alias: string;
  model: string;
  baseUrl: string;
}

/** What one server of a several-server alias did. */
export interface ServerCounters {
  /** HTTP requests sent to it, retries included. */
  requests: number;
  promptTokens: number;
  completionTokens: number;
  /** Requests that failed there (any reason). */
  failures: number;
  /** Times it was set aside (refused connections, answered 5xx). */
  setAside: number;
}

/** A server's row: its displayable base URL and counters. */
export type ServerRow = { baseUrl: string } & ServerCounters;

/** An endpoint's row; `servers` only for an alias with several servers. */
export type EndpointRow = EndpointLabel & LlmCounters & { servers?: ServerRow[] };

export interface LlmStatsJson extends LlmCounters {
  endpoints: EndpointRow[];
}

const ZERO_SERVER_COUNTERS: Readonly<ServerCounters> = {
  requests: 0,
  promptTokens: 0,
  completionTokens: 0,
  failures: 0,
  setAside: 0,
};

/** Every counter at zero. */
export const ZERO_LLM_COUNTERS: Readonly<LlmCounters> = {
  calls: 0,
  requests: 0,
  retries: 0,
  repairs: 0,
  cacheHits: 0,
  promptTokens: 0,
  completionTokens: 0,
  failures: 0,
};

export interface LlmStatsOptions {
  /**
   * Told of every change, with the endpoint as displayed (no secrets): a usage journal
   * keeps them on disk as they happen (`usage_journal.ts`).
   */
  onAdd?: (endpoint: EndpointLabel, delta: Partial<LlmCounters>) => void;
}

export class LlmStats {
  #onAdd: LlmStatsOptions["onAdd"];
  #totals: LlmCounters = { ...ZERO_LLM_COUNTERS };
  #byEndpoint = new Map<string, EndpointRow>();
  /** The row of each label object seen (clients add with one label object each time). */
  #rowOf = new WeakMap<EndpointLabel, EndpointRow>();

  constructor({ onAdd }: LlmStatsOptions = {}) {
    this.#onAdd = onAdd;
  }

  /** Adds `delta` to the totals and to `endpoint`'s counters. */
  add(endpoint: EndpointLabel, delta: Partial<LlmCounters>): void {
    const row = this.#row(endpoint);
    for (const name of Object.keys(delta) as (keyof LlmCounters)[]) {
      const amount = delta[name] ?? 0;
      this.#totals[name] += amount;
      row[name] += amount;
    }
    this.#onAdd?.({ alias: row.alias, model: row.model, baseUrl: row.baseUrl }, delta);
  }

  /** Adds `delta` to the row of server `baseUrl` of `endpoint` (not to the totals). */
  addServer(endpoint: EndpointLabel, baseUrl: string, delta: Partial<ServerCounters>): void {
    const row = this.#row(endpoint);
    const servers = row.servers ??= [];
    let server = servers.find((s) => s.baseUrl === baseUrl);
    if (!server) servers.push(server = { baseUrl, ...ZERO_SERVER_COUNTERS });
    for (const name of Object.keys(delta) as (keyof ServerCounters)[]) {
      server[name] += delta[name] ?? 0;
    }
  }

  #row(endpoint: EndpointLabel): EndpointRow {
    let row = this.#rowOf.get(endpoint);
    if (!row) {
      // Several servers are named ", "-separated (no URL holds a space).
      const baseUrl = endpoint.baseUrl.split(", ").map(displayUrl).join(", ");
      const label = { ...endpoint, baseUrl };
      const id = `${label.alias}\u0000${label.model}\u0000${label.baseUrl}`;
      row = this.#byEndpoint.get(id);
      if (!row) {
        row = { ...label, ...ZERO_LLM_COUNTERS };
        this.#byEndpoint.set(id, row);
      }
      this.#rowOf.set(endpoint, row);
    }
    return row;
  }

  get totals(): Readonly<LlmCounters> {
    return { ...this.#totals };
  }

  /** A short block for the end of a stage, e.g. `LLM: 120 calls, 118 requests (…)`. */
  formatStats(): string {
    const lines = [`LLM: ${describe(this.#totals)}`];
    const rows = [...this.#byEndpoint.values()];
    for (const row of rows) {
      if (rows.length > 1) lines.push(`  ${row.alias} (${row.model}): ${describe(row)}`);
      for (const server of row.servers ?? []) lines.push(`    ${describeServer(server)}`);
    }
    return lines.join("\n") + "\n";
  }

  toJSON(): LlmStatsJson {
    return {
      ...this.#totals,
      endpoints: [...this.#byEndpoint.values()].map((row) => ({
        ...row,
        ...(row.servers && { servers: row.servers.map((server) => ({ ...server })) }),
      })),
    };
  }
}

function describe(c: LlmCounters): string {
  const parts = [
    `${count(c.calls)} call${c.calls === 1 ? "" : "s"}`,
    `${count(c.requests)} request${c.requests === 1 ? "" : "s"} (${count(c.retries)} retries)`,
    `${count(c.repairs)} repairs`,
    `${count(c.cacheHits)} cache hits`,
    `tokens ${count(c.promptTokens)} prompt + ${count(c.completionTokens)} completion`,
    `${count(c.failures)} failures`,
  ];
  return parts.join(", ");
}

function describeServer(s: ServerRow): string {
  return `${s.baseUrl}: ${count(s.requests)} request${s.requests === 1 ? "" : "s"}, tokens ` +
    `${count(s.promptTokens)} prompt + ${count(s.completionTokens)} completion, ` +
    `${count(s.failures)} failed, set aside ${count(s.setAside)} time${
      s.setAside === 1 ? "" : "s"
    }`;
}

function count(n: number): string {
  return formatCount(n);
}
