/**
 * Keeps API keys out of everything the LLM layer prints or writes. Keys are replaced by
 * `[redacted]` wherever they appear verbatim; bearer tokens and `sk-…`-shaped strings are
 * redacted too, in case an endpoint echoes a key we do not know about.
 */

const REDACTED = "[redacted]";

/** `text` with every secret, bearer token and `sk-…` key replaced by `[redacted]`. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    // Very short "keys" (e.g. "x" for a local server) would mangle ordinary words.
    if (secret.length >= 6) out = out.split(secret).join(REDACTED);
  }
  return out
    .replace(/\b(Bearer\s+)[^\s"',;]+/gi, `$1${REDACTED}`)
    .replace(/\bsk-[A-Za-z0-9_-]{8,}/g, REDACTED);
}

/**
 * A base URL fit for logs and summaries: no `user:password@`, no query string (some
 * gateways take `?api-key=`), no trailing slash.
 */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    parsed.hash = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return redactSecrets(url.replace(/\/\/[^/@]*@/, "//").replace(/\?.*$/, ""));
  }
}
