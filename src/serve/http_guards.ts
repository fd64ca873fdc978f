/**
 * Request and response basics of the routes of `createApp` (`serve_app.ts`).
 * `jsonResponse` gives the API's content type, `Cache-Control: no-store` and the
 * `SECURITY_HEADERS` every response carries (CSP, nosniff, no referrer). `postGuards` is the
 * cross-site defence of POST requests: a `Sec-Fetch-Site` other than `same-origin`, or an
 * `Origin` other than this server's (`requestOrigin`, `request_origin.ts`), gets 403, a body
 * that is not JSON 415, one over 1 MiB 413; with the SameSite=Strict session cookie this
 * stops cross-site requests.
 * `readJsonBody` parses a body and checks it against a zod schema, answering 400 with the
 * first problem as `field: message`.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import { jsonPath } from "../formats/trace.ts";
import { ApiError } from "./api_error.ts";
import { requestOrigin, type TransportOptions } from "./request_origin.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

/** Sent with every response (pages, assets and API). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

/** A JSON response with the exact content type of the API contract. */
export function jsonResponse(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Cache-Control": "no-store",
      ...SECURITY_HEADERS,
      ...headers,
    },
  });
}

/**
 * POST requests: same-origin only when the browser says where it comes from (403), JSON
 * only (415), at most 1 MiB (413). Together with the SameSite=Strict cookie this stops
 * cross-site requests. `Origin` must match scheme, host and port of the request (the
 * scheme from `X-Forwarded-Proto` with `--trust-proxy`).
 */
export function postGuards(
  transport: TransportOptions = { trustProxy: false },
): MiddlewareHandler[] {
  const sameOrigin: MiddlewareHandler = async (c, next) => {
    if (c.req.method !== "POST") return await next();
    const site = c.req.header("Sec-Fetch-Site");
    if (site !== undefined && site !== "same-origin") {
      throw new ApiError(403, {
        message: `Cross-site requests are refused (Sec-Fetch-Site: ${site})`,
      });
    }
    const origin = c.req.header("Origin");
    if (origin !== undefined && !originMatches(origin, requestOrigin(c, transport))) {
      throw new ApiError(403, {
        message: "Cross-origin requests are refused (Origin does not match)",
      });
    }
    const type = (c.req.header("Content-Type") ?? "").split(";")[0].trim().toLowerCase();
    if (type !== "application/json") {
      throw new ApiError(415, {
        message: "Request body must be JSON (Content-Type: application/json)",
      });
    }
    await next();
  };
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, { message: "Request body is larger than 1 MiB" });
    },
  });
  const onlyPost: MiddlewareHandler = async (c, next) => {
    if (c.req.method !== "POST") return await next();
    return await limit(c, next);
  };
  return [sameOrigin, onlyPost];
}

/** Scheme, host and port equal (default ports normalised: `https://a` = `https://a:443`). */
export function originMatches(origin: string, expected: string | undefined): boolean {
  if (expected === undefined || origin === "null") return false;
  try {
    return new URL(origin).origin === expected;
  } catch {
    return false;
  }
}

/** The first zod issue as `field: message` (`body` for the whole body). */
export function zodProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue.path.length === 0 ? "body" : jsonPath(issue.path).replace(/^\$\.?/, "");
  return `${path}: ${issue.message}`;
}

/** The request body parsed as JSON (empty: `{}`) and validated; 400 naming the field otherwise. */
export async function readJsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  let value: unknown;
  try {
    const text = await c.req.text();
    value = text.trim() === "" ? {} : JSON.parse(text); // an empty body counts as {}
  } catch {
    throw new ApiError(400, { message: "Request body is not valid JSON" });
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new ApiError(400, { message: zodProblem(result.error) });
  return result.data;
}
