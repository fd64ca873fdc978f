import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import {
  isLoopbackHost,
  parseCheckpoints,
  parseServeOptions,
  securityWarnings,
} from "./command.ts";

const noEnv = () => undefined;
const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("parseServeOptions: defaults", () => {
  assertEquals(parseServeOptions([], noEnv), {
    port: 7860,
    host: "127.0.0.1",
    dataDir: undefined,
    outDir: "result",
    password: "password",
    passwordSource: "default",
    annotatorsPerTrace: 3,
    reclaimAfterMs: 7_200_000,
    kvPath: "result/.state/serve.kv",
    helpCheckpoints: [3, 7, 10, 14],
    trustProxy: false,
    allowedHosts: [],
  });
});

Deno.test("parseServeOptions: flags", () => {
  const options = parseServeOptions([
    "--port=0",
    "--host",
    "0.0.0.0",
    "--data",
    "traces",
    "--out",
    "out",
    "--password",
    "pw",
    "--annotators-per-trace",
    "5",
    "--reclaim-after",
    "90m",
    "--kv",
    "state/x.kv",
    "--help-checkpoints",
    "7, 3,3",
    "--trust-proxy",
    "--allowed-hosts",
    "Annot.Example.org:8443, 10.0.0.5,annot.example.org",
    "--cert",
    "c.pem",
    "--key",
    "k.pem",
  ], noEnv);
  assertEquals(options, {
    port: 0,
    host: "0.0.0.0",
    dataDir: "traces",
    outDir: "out",
    password: "pw",
    passwordSource: "flag",
    annotatorsPerTrace: 5,
    reclaimAfterMs: 5_400_000,
    kvPath: "state/x.kv",
    helpCheckpoints: [3, 7],
    trustProxy: true,
    allowedHosts: ["annot.example.org", "10.0.0.5"],
    tls: { certFile: "c.pem", keyFile: "k.pem" },
  });
});

Deno.test("parseServeOptions: environment fallbacks, flags win", () => {
  const env = envOf({
    PROACTIVE_PORT: "8000",
    PROACTIVE_HOST: "::1",
    PROACTIVE_DATA: "d",
    PROACTIVE_PASSWORD: "from-env",
  });
  const fromEnv = parseServeOptions([], env);
  assertEquals(
    [fromEnv.port, fromEnv.host, fromEnv.dataDir, fromEnv.password, fromEnv.passwordSource],
    [8000, "::1", "d", "from-env", "env"],
  );
  const flagsWin = parseServeOptions(["--port", "9000", "--password", "flag"], env);
  assertEquals([flagsWin.port, flagsWin.password, flagsWin.passwordSource], [9000, "flag", "flag"]);
  // An empty variable counts as unset.
  assertEquals(parseServeOptions([], envOf({ PROACTIVE_PASSWORD: "" })).passwordSource, "default");
});

Deno.test("parseServeOptions: the admin password, from the flag or the environment, must differ", () => {
  assertEquals(parseServeOptions([], noEnv).adminPassword, undefined);
  const env = envOf({ PROACTIVE_ADMIN_PASSWORD: "lead" });
  assertEquals(parseServeOptions([], env).adminPassword, "lead");
  assertEquals(parseServeOptions(["--admin-password", "boss"], env).adminPassword, "boss");
  const same = assertThrows(
    () => parseServeOptions(["--password", "x", "--admin-password", "x"], noEnv),
    ProactiveError,
    "--admin-password must differ",
  );
  assertEquals(same.kind, "usage");
});

Deno.test("parseServeOptions: bad values are usage errors", () => {
  const cases: [string[], string][] = [
    [["--port", "70000"], "--port must be between 0 and 65535"],
    [["--port", "abc"], "--port must be a whole number"],
    [["--annotators-per-trace", "0"], "--annotators-per-trace must be between 1"],
    [["--reclaim-after", "soon"], "--reclaim-after must be a duration"],
    [["--help-checkpoints", "3,x"], "--help-checkpoints must be comma-separated"],
    [["--password", ""], "--password must not be empty"],
    [["--out", " "], "--out must not be empty"],
    [["--nope"], "nope"],
    [["--cert", "c.pem"], "--cert and --key go together"],
    [["--key", "k.pem"], "--cert and --key go together"],
    [["--allowed-hosts", ","], "--allowed-hosts must be comma-separated host names"],
    [["--allowed-hosts", "a b"], "--allowed-hosts must be comma-separated host names"],
  ];
  for (const [args, message] of cases) {
    const error = assertThrows(() => parseServeOptions(args, noEnv), ProactiveError, message);
    assertEquals(error.kind, "usage");
  }
  assertThrows(
    () => parseServeOptions([], envOf({ PROACTIVE_PORT: "x" })),
    ProactiveError,
    "--port",
  );
});

Deno.test("parseCheckpoints sorts and deduplicates", () => {
  assertEquals(parseCheckpoints("14,3,7,10,3"), [3, 7, 10, 14]);
  assertThrows(() => parseCheckpoints(""), ProactiveError);
  assertThrows(() => parseCheckpoints("-1"), ProactiveError);
});

Deno.test("security warnings: quiet with a password on loopback, loud off loopback", () => {
  const base = parseServeOptions(["--password", "s3cret-value"], noEnv);
  assertEquals(securityWarnings(base), []);
  const defaulted = securityWarnings(parseServeOptions([], noEnv));
  assertEquals(defaulted.length, 1);
  assert(defaulted[0].includes("default password"));
  const exposed = securityWarnings(parseServeOptions(["--host", "0.0.0.0"], noEnv));
  assert(exposed.length >= 3);
  assert(exposed.some((line) => line.includes("DEFAULT password")));
  const exposedWithPassword = securityWarnings({ ...base, host: "0.0.0.0" });
  assert(exposedWithPassword.length >= 3);
  // The password itself never appears in a warning.
  for (const line of [...exposedWithPassword, ...defaulted]) {
    assert(!line.includes("s3cret-value"));
  }
  // Off loopback without --allowed-hosts every Host is answered: that is warned about.
  assert(exposedWithPassword.some((line) => line.includes("--allowed-hosts")));
  // HTTPS: no plain-HTTP banner; with a host list, no Host warning either.
  const https = securityWarnings({
    ...base,
    host: "0.0.0.0",
    tls: { certFile: "c", keyFile: "k" },
    allowedHosts: ["annot.example.org"],
  });
  assertEquals(https, []);
  const proxied = securityWarnings({ ...base, trustProxy: true });
  assertEquals(proxied, []);
  const proxiedOpen = securityWarnings({ ...base, host: "0.0.0.0", trustProxy: true });
  assert(proxiedOpen.some((line) => line.includes("can forge X-Forwarded-For")));
});

Deno.test("isLoopbackHost", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) {
    assertEquals(isLoopbackHost(host), true, host);
  }
  for (const host of ["0.0.0.0", "192.168.1.2", "::", "example.org"]) {
    assertEquals(isLoopbackHost(host), false, host);
  }
});
