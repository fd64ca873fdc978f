/**
 * Where a request comes from, as the server should see it. Behind a reverse proxy every
 * connection comes from the proxy; with `trustProxy` (`--trust-proxy`) the client address
 * is read from `X-Forwarded-For` and the scheme from `X-Forwarded-Proto`. Only the last
 * value of each counts: that is the one the proxy itself added, while earlier ones come
 * from the client and can be forged. Without `trustProxy` both headers are ignored.
 *
 * `authRoutes` (`auth_routes.ts`) uses the client address to key the login throttle
 * (`login_throttle.ts`) and the scheme for the `Secure` flag of the session cookie;
 * `postGuards` (`http_guards.ts`) compares `Origin` with `requestOrigin`, and `hostGuard`
 * (`host_check.ts`) checks `requestHost`.
 *
 * @module
 */
import type { Context } from "hono";
import { getConnInfo } from "hono/deno";

/** Whether to believe the proxy's forwarding headers (see the module doc). */
export interface TransportOptions {
  trustProxy: boolean;
}

function lastListValue(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.split(",").at(-1)?.trim();
  return value === undefined || value === "" ? undefined : value.slice(0, 100);
}

/** The client's IP address, or "unknown" (e.g. under `app.request()` in tests). */
export function clientAddress(c: Context, transport: TransportOptions): string {
  if (transport.trustProxy) {
    const forwarded = lastListValue(c.req.header("X-Forwarded-For"));
    if (forwarded !== undefined) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** "https" or "http": how the browser reached the server (directly or via the proxy). */
export function requestScheme(c: Context, transport: TransportOptions): "http" | "https" {
  if (transport.trustProxy) {
    const proto = lastListValue(c.req.header("X-Forwarded-Proto"))?.toLowerCase();
    if (proto === "https" || proto === "http") return proto;
  }
  return new URL(c.req.url).protocol === "https:" ? "https" : "http";
}

/** The `Host` the browser asked for (with port), falling back to the request URL's. */
export function requestHost(c: Context): string {
  return c.req.header("Host") ?? new URL(c.req.url).host;
}

/** The origin the browser sees this server under, e.g. `https://annotate.example:8443`. */
export function requestOrigin(c: Context, transport: TransportOptions): string | undefined {
  try {
    return new URL(`${requestScheme(c, transport)}://${requestHost(c)}`).origin;
  } catch {
    return undefined;
  }
}
