/**
 * A worker of the serve scale benchmark: simulates annotators `from`..`to`-1 against the
 * server at `url` the way the page does (log in, read the state, Next, answer questions with
 * `replaces`, now and then reload the state), each pausing between actions. 503 answers and
 * lost connections are retried like the page (bounded, growing jittered pauses); what is
 * still failing after that is an error seen by the annotator. Posts the samples back.
 */

export interface LoadJob {
  url: string;
  from: number;
  to: number;
  /** performance.timeOrigin-based start time shared by the workers (ms since the epoch). */
  startAt: number;
  /** Annotators arrive at uniformly random times within this many ms after `startAt`. */
  arrivalMs: number;
  /** Every annotator stops at startAt + durationMs (its request in flight finishes). */
  durationMs: number;
  thinkMs: [number, number];
}

export const ROUTES = ["login", "state", "next", "label"] as const;
export type Route = typeof ROUTES[number];

export interface LoadResult {
  /** Per route: the latency of every HTTP request that got an answer (ms). */
  latencies: Record<Route, number[]>;
  /** Per route: requests answered 503 and retried. */
  shed: Record<Route, number>;
  /** Per route: requests still failing after the retries, or answered unexpectedly. */
  errors: Record<Route, number>;
  /** A few of the errors, for the report. */
  examples: string[];
  labels: number;
  traces: number;
}

const RETRIES = 5;

function perRoute<T>(make: () => T): Record<Route, T> {
  return Object.fromEntries(ROUTES.map((r) => [r, make()])) as Record<Route, T>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function run(job: LoadJob): Promise<LoadResult> {
  const result: LoadResult = {
    latencies: perRoute(() => []),
    shed: perRoute(() => 0),
    errors: perRoute(() => 0),
    examples: [],
    labels: 0,
    traces: 0,
  };
  const deadline = job.startAt + job.durationMs;
  const now = () => performance.timeOrigin + performance.now();

  function fail(route: Route, what: string) {
    result.errors[route]++;
    if (result.examples.length < 5) result.examples.push(`${route}: ${what}`);
  }

  /** One API call as the page makes it: retried on 503 and lost connections. */
  async function call(
    route: Route,
    path: string,
    cookie: string,
    body?: unknown,
    // deno-lint-ignore no-explicit-any
  ): Promise<{ status: number; body: any; headers: Headers } | undefined> {
    for (let attempt = 1;; attempt++) {
      const headers: Record<string, string> = { Accept: "application/json" };
      if (cookie) headers.Cookie = cookie;
      if (body !== undefined) headers["Content-Type"] = "application/json";
      const started = performance.now();
      let status = 0;
      let reply;
      try {
        const response = await fetch(`${job.url}${path}`, {
          method: body === undefined ? "GET" : "POST",
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        reply = { status: response.status, body: await response.json(), headers: response.headers };
        status = response.status;
        result.latencies[route].push(performance.now() - started);
      } catch (error) {
        if (attempt > RETRIES) {
          fail(route, `no answer: ${(error as Error).message}`);
          return undefined;
        }
      }
      if (status !== 0 && status !== 503) return reply;
      if (status === 503) result.shed[route]++;
      if (attempt > RETRIES) {
        fail(route, `503 after ${attempt} tries`);
        return undefined;
      }
      const pause = Math.min(8000, 400 * 2 ** (attempt - 1));
      await sleep(Math.max(pause, status === 503 ? 1000 : 0) * (0.5 + Math.random()));
    }
  }

  const think = () => sleep(job.thinkMs[0] + Math.random() * (job.thinkMs[1] - job.thinkMs[0]));

  async function annotator(i: number) {
    await sleep(Math.max(0, job.startAt + Math.random() * job.arrivalMs - now()));
    const login = await call("login", "/api/login", "", {
      username: `scale-${i}`,
      password: "bench",
    });
    if (!login) return;
    if (login.status !== 200) return fail("login", `${login.status} ${login.body?.error}`);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
    let state = (await call("state", "/api/state?since=0", cookie))?.body;
    while (now() < deadline) {
      if (!state || state.error) return;
      await think();
      if (now() >= deadline) return;
      let reply;
      let route: Route;
      if (Math.random() < 0.1) {
        route = "state"; // a reload
        reply = await call(route, `/api/state?since=0`, cookie);
      } else if (state.trace === null || state.finished || !state.question) {
        if (state.allDone) return;
        route = "next";
        reply = await call(route, "/api/next", cookie, { since: 0 });
        if (reply?.status === 200 && reply.body.trace) result.traces++;
      } else {
        const question = state.question;
        const label = Math.random() < 0.3
          ? "Reject all"
          : [Math.floor(Math.random() * question.tasks.length)];
        route = "label";
        reply = await call(route, "/api/label", cookie, {
          trace: state.trace,
          turn: question.turn,
          label,
          since: state.revealed,
          replaces: question.version ?? "new",
        });
        if (reply?.status === 200) result.labels++;
      }
      if (!reply) return;
      if (reply.status !== 200) return fail(route, `${reply.status} ${reply.body?.error}`);
      state = reply.body;
    }
  }

  const all = [];
  for (let i = job.from; i < job.to; i++) all.push(annotator(i));
  await Promise.all(all);
  return result;
}

/** This worker's global scope (typed here, so the other benchmarks keep the window types). */
const scope = self as unknown as {
  onmessage: (event: MessageEvent<LoadJob>) => void;
  postMessage(message: LoadResult | "ready"): void;
  close(): void;
};

if (import.meta.main) { // the worker's entry module, not an import of its types
  scope.onmessage = async (event) => {
    scope.postMessage(await run(event.data));
    scope.close();
  };
  scope.postMessage("ready"); // loaded: the start time can be set
}
