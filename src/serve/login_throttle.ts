import { KEY, type LoginFailures } from "./kv_schema.ts";

/** 5 wrong passwords from one client within 15 minutes lock that client out. */
export const MAX_LOGIN_FAILURES = 5;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000;

/**
 * Seconds the client must wait before trying again, or 0 when it may try now. The window
 * starts at the client's first failure; it ends 15 minutes later.
 */
export async function loginRetryAfter(
  kv: Deno.Kv,
  client: string,
  now: () => number,
): Promise<number> {
  const entry = await kv.get<LoginFailures>(KEY.loginFailures(client));
  const failures = current(entry.value, now());
  if (!failures || failures.count < MAX_LOGIN_FAILURES) return 0;
  return Math.max(1, Math.ceil((failures.firstAt + LOGIN_FAILURE_WINDOW_MS - now()) / 1000));
}

function current(value: LoginFailures | null, at: number): LoginFailures | undefined {
  if (!value || at - value.firstAt >= LOGIN_FAILURE_WINDOW_MS) return undefined;
  return value;
}

/** Counts one wrong password of `client`; returns the failures in the current window. */
export async function recordLoginFailure(
  kv: Deno.Kv,
  client: string,
  now: () => number,
): Promise<number> {
  const key = KEY.loginFailures(client);
  for (let attempt = 0; attempt < 20; attempt++) {
    const entry = await kv.get<LoginFailures>(key);
    const at = now();
    const previous = current(entry.value, at);
    const next: LoginFailures = previous
      ? { count: previous.count + 1, firstAt: previous.firstAt }
      : { count: 1, firstAt: at };
    const expireIn = Math.max(1, next.firstAt + LOGIN_FAILURE_WINDOW_MS - at);
    const result = await kv.atomic().check(entry).set(key, next, { expireIn }).commit();
    if (result.ok) return next.count;
  }
  return MAX_LOGIN_FAILURES;
}

/**
 * A successful login forgets the client's earlier failures. Only an existing record is
 * deleted: a read costs no disk sync, a delete does (and logins come in bursts).
 */
export async function clearLoginFailures(kv: Deno.Kv, client: string): Promise<void> {
  const key = KEY.loginFailures(client);
  if ((await kv.get(key)).versionstamp === null) return;
  await kv.delete(key);
}
