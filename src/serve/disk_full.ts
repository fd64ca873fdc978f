/**
 * Recognising a full disk. `isDiskFullError` matches SQLite's "database or disk is full"
 * from a KV commit and the OS's ENOSPC and EDQUOT; `diskFullApiError` is the 507 the API
 * answers then, telling the annotator that nothing was stored and that their earlier labels
 * are safe. Both are used by the error handler of `createApp` (`serve_app.ts`).
 *
 * @module
 */
import { describeError } from "../cli/errors.ts";
import { ApiError } from "./api_error.ts";

/**
 * True for a write that failed because the disk (or its quota) is full: SQLite's
 * "database or disk is full" from a KV commit, or the OS's ENOSPC / EDQUOT
 * ("No space left on device (os error 28)", "Disk quota exceeded (os error 122)").
 */
export function isDiskFullError(error: unknown): boolean {
  const text = error instanceof Error
    ? `${error.message} ${String((error as { code?: unknown }).code ?? "")}`
    : String(error);
  return /database or disk is full|no space left on device|os error 28\b|ENOSPC|disk quota exceeded|os error 122\b|EDQUOT/i
    .test(text);
}

/** The 507 answered when a request could not be stored because the disk is full. */
export function diskFullApiError(error: unknown): ApiError {
  return new ApiError(507, {
    message: `The server's disk is full, so nothing was stored (${
      describeError(error)
    }). Tell the person running the server; your earlier labels are safe.`,
  });
}
