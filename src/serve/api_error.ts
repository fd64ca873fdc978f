import { ProactiveError } from "../cli/errors.ts";

export type ApiStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503 | 507;

/** An expected failure of an API request: the app answers `{error: message}` with `status`. */
export class ApiError extends ProactiveError {
  readonly status: ApiStatus;
  readonly headers: Record<string, string>;
  /** More fields of the JSON answer besides `error`. */
  readonly details: Record<string, unknown>;

  constructor(
    status: ApiStatus,
    message: string,
    headers: Record<string, string> = {},
    details: Record<string, unknown> = {},
  ) {
    super(status >= 500 ? "runtime" : "input", message);
    this.name = "ApiError";
    this.status = status;
    this.headers = headers;
    this.details = details;
  }
}
