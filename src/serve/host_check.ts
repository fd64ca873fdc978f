/**
 * DNS rebinding protection: which `Host` names the server answers. `allowedHostsFor`
 * (called by `startServer`, `serve_server.ts`) derives the allow-list from `--host` and
 * `--allowed-hosts`: a loopback listener answers loopback names plus the list, any other
 * exactly the list, or every name when the list is empty (the command warns about that).
 * `hostGuard` is the first middleware of `createApp` (`serve_app.ts`): any other name gets
 * 403 before a page or the API is reached. `command.ts` uses `isLoopbackHost` and
 * `hostNameOf` for its flags and warnings.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { jsonResponse } from "./http_guards.ts";
import { requestHost } from "./request_origin.ts";

/** True for 127.0.0.0/8, ::1 and localhost (brackets and case do not matter). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The host name of a `Host` header or an `--allowed-hosts` entry, without port; lower case. */
export function hostNameOf(hostAndPort: string): string | undefined {
  const text = hostAndPort.trim();
  if (text === "" || /[\s/?#@\\]/.test(text)) return undefined;
  try {
    return new URL(`http://${text}`).hostname.replace(/\.$/, "");
  } catch {
    return undefined;
  }
}

/**
 * Which `Host` names the server answers (DNS rebinding protection): a server listening on
 * a loopback address answers loopback names only (localhost, 127.0.0.0/8, [::1], any port)
 * plus `allowed`; one listening elsewhere answers exactly `allowed`, or every name when
 * the list is empty (`undefined`: no check; the command warns about it).
 */
export function allowedHostsFor(
  listenHost: string,
  allowed: readonly string[],
): { loopback: boolean; names: string[] } | undefined {
  const names = allowed.map((a) => hostNameOf(a) ?? a.toLowerCase());
  const loopback = isLoopbackHost(listenHost);
  if (!loopback && names.length === 0) return undefined;
  return { loopback, names };
}

/** Middleware refusing (403) requests whose `Host` is not allowed; `undefined` lets all in. */
export function hostGuard(
  allowed: { loopback: boolean; names: string[] } | undefined,
): MiddlewareHandler {
  return async (c, next) => {
    if (allowed === undefined) return await next();
    const raw = requestHost(c);
    const name = hostNameOf(raw);
    const ok = name !== undefined &&
      ((allowed.loopback && isLoopbackHost(name)) || allowed.names.includes(name));
    if (!ok) {
      return jsonResponse(
        {
          error: `Host ${
            JSON.stringify(raw.slice(0, 100))
          } is not allowed; start the server with --allowed-hosts to add it`,
        },
        403,
      );
    }
    await next();
  };
}
