/**
 * The expected failures of API requests. An `ApiError` carries the HTTP status, extra
 * response headers (such as `Retry-After`) and extra JSON fields; the route handlers and
 * the logic modules (`labels.ts`, `assignment.ts`, `http_guards.ts`, …) throw it, and the
 * `onError` handler of `createApp` (`serve_app.ts`) answers `{error: message, ...details}`
 * with that status and those headers. Statuses from 500 up are `runtime` errors, the others
 * `input` errors (`ProactiveError`); `ApiStatus` lists every status the API answers with.
 *
 * @module
 */
import { ProactiveError } from "../cli/errors.ts";

export type ApiStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503 | 507;

/** What an `ApiError` answers besides its status (the shape of Hono's `HTTPException`). */
export interface ApiErrorOptions {
  /** The answer's `error` field: what went wrong, for the annotator to read. */
  message: string;
  /** Extra response headers, such as `Retry-After`. Default: none. */
  headers?: Record<string, string>;
  /** More fields of the JSON answer besides `error`. Default: none. */
  details?: Record<string, unknown>;
}

/**
 * An expected failure of an API request: the app answers `{error: message, ...details}`
 * with `status` and `headers`.
 *
 * @example
 * ```ts
 * throw new ApiError(503, { message: "Busy", headers: { "Retry-After": "1" } });
 * ```
 */
export class ApiError extends ProactiveError {
  readonly status: ApiStatus;
  readonly headers: Record<string, string>;
  /** More fields of the JSON answer besides `error`. */
  readonly details: Record<string, unknown>;

  constructor(status: ApiStatus, { message, headers = {}, details = {} }: ApiErrorOptions) {
    super(status >= 500 ? "runtime" : "input", message);
    this.name = "ApiError";
    this.status = status;
    this.headers = headers;
    this.details = details;
  }
}
