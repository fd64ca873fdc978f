import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { describeFailure, loadCommands, main, type MainIo, VERSION } from "../main.ts";

const COMMANDS = await loadCommands();

function captureIo(): MainIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    env: () => undefined,
    isTerminal: false,
    signal: new AbortController().signal,
    now: () => 0,
  };
}

Deno.test("--version prints the version from deno.json", async () => {
  const io = captureIo();
  assertEquals(await main(["--version"], io), 0);
  assertEquals(io.out.join(""), `proactive ${VERSION}\n`);
  assert(/^\d+\.\d+\.\d+$/.test(VERSION));
});

Deno.test("--help lists every command; no command is a usage error", async () => {
  const io = captureIo();
  assertEquals(await main(["--help"], io), 0);
  for (const command of COMMANDS) assertStringIncludes(io.out.join(""), command.name);
  const bare = captureIo();
  assertEquals(await main([], bare), 2);
});

Deno.test("an unknown command exits 2 and names it", async () => {
  const io = captureIo();
  assertEquals(await main(["frobnicate"], io), 2);
  assertStringIncludes(io.err.join(""), 'unknown command "frobnicate"');
});

Deno.test("every command answers --help with its own help text", async () => {
  for (const command of COMMANDS) {
    const io = captureIo();
    assertEquals(await main([command.name, "--help"], io), 0);
    assertEquals(io.out.join(""), command.help);
    assertStringIncludes(command.help, `proactive ${command.name}`);
  }
});

Deno.test("a bad flag exits 2 with the command's help on stderr", async () => {
  for (const command of COMMANDS) {
    const io = captureIo();
    assertEquals(await main([command.name, "--no-such-flag"], io), 2, command.name);
    const err = io.err.join("");
    assertStringIncludes(err, `proactive ${command.name}:`);
    assertStringIncludes(err, command.help);
  }
});

Deno.test("a failure exits 1 with one line naming the input; --verbose adds the stack", async () => {
  const missing = `/nonexistent-${crypto.randomUUID()}`;
  const io = captureIo();
  assertEquals(await main(["convert", missing], io), 1);
  const err = io.err.join("");
  assertEquals(err.trimEnd().split("\n").length, 1, err);
  assertStringIncludes(err, missing);

  const verbose = captureIo();
  assertEquals(await main(["convert", missing, "--verbose"], verbose), 1);
  const lines = verbose.err.join("").trimEnd().split("\n");
  assert(lines.length > 1, "the stack follows the message");
  assertStringIncludes(lines.slice(1).join("\n"), "at ");
});

Deno.test("a mistyped command or flag suggests the closest one", async () => {
  const command = captureIo();
  assertEquals(await main(["serv"], command), 2);
  assertStringIncludes(command.err.join(""), 'unknown command "serv"; did you mean serve?');
  const far = captureIo();
  assertEquals(await main(["frobnicate"], far), 2);
  assert(!far.err.join("").includes("did you mean"));
  const flag = captureIo();
  assertEquals(await main(["serve", "--prot", "80"], flag), 2);
  assertStringIncludes(flag.err.join(""), "Unknown option '--prot'; did you mean --port?");
  const evalTarget = captureIo();
  assertEquals(await main(["eval", "rewrd"], evalTarget), 2);
  assertStringIncludes(evalTarget.err.join(""), "did you mean reward?");
});

Deno.test("OS errors reach the user as sentences naming the path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/taken`;
    await Deno.writeTextFile(file, "");
    const io = captureIo();
    const code = await main(
      ["serve", "--port", "0", "--out", `${file}/out`, "--kv", ":memory:"],
      io,
    );
    assertEquals(code, 1);
    assertStringIncludes(io.err.join(""), `"${file}" is a file, not a folder`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("describeFailure: an interrupted stage never prints the runtime's abort message", () => {
  const controller = new AbortController();
  const aborted = new DOMException("The signal has been aborted", "AbortError");
  assertEquals(describeFailure(aborted, controller.signal), "The signal has been aborted");
  controller.abort();
  assertEquals(
    describeFailure(aborted, controller.signal),
    "Interrupted: what was finished before is kept; run the same command again to continue",
  );
  const own = new Error("Interrupted: 3 of 5 traces are saved; run the same command again");
  assertEquals(describeFailure(own, controller.signal), own.message);
});
