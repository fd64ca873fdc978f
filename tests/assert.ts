/**
 * Assertions for the tests, in the shape of Deno's std/assert (whose registry is not
 * reachable here), built on `node:assert`.
 */
import nodeAssert from "node:assert/strict";

export function assert(condition: unknown, message?: string): asserts condition {
  nodeAssert.ok(condition, message);
}

export function assertEquals<T>(actual: unknown, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message);
}

export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  if (!actual.includes(expected)) {
    nodeAssert.fail(
      message ?? `Expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
    );
  }
}

export function assertMatch(actual: string, expected: RegExp, message?: string): void {
  nodeAssert.match(actual, expected, message);
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

function checkError<E extends Error>(
  error: unknown,
  errorClass?: ErrorClass<E>,
  includes?: string,
): E {
  if (errorClass && !(error instanceof errorClass)) {
    nodeAssert.fail(`Expected a ${errorClass.name}, got ${String(error)}`);
  }
  if (includes !== undefined) {
    const message = error instanceof Error ? error.message : String(error);
    if (!message.includes(includes)) {
      nodeAssert.fail(
        `Expected the error message ${JSON.stringify(message)} to include ${
          JSON.stringify(includes)
        }`,
      );
    }
  }
  return error as E;
}

export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  errorClass?: ErrorClass<E>,
  includes?: string,
): E {
  try {
    fn();
  } catch (error) {
    return checkError(error, errorClass, includes);
  }
  return nodeAssert.fail("Expected the function to throw");
}

export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  errorClass?: ErrorClass<E>,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    return checkError(error, errorClass, includes);
  }
  return nodeAssert.fail("Expected the promise to reject");
}
