/**
 * Model names ↔ folder names, one to one: `eval agent --model NAME` writes its predictions
 * to `<out-dir>/<modelFolder(NAME)>/`, and two different names never share a folder.
 *
 * - A *plain* name — letters, digits, `_`, `-` and `.`, starting with a letter or a digit,
 *   without `..` — is its own folder name (`qwen-7b`, `gpt-4o`, `llama3.1`), as in earlier
 *   versions and in the reference project's layout.
 * - Any other name is encoded: `_` (which no plain name starts with), then the name with
 *   every byte of its UTF-8 form outside `A-Z a-z 0-9 -` written `_XX` (two upper-case hex
 *   digits), except a `.` that neither ends the name nor comes before another `.`, which is
 *   kept: `llama3:8b` → `_llama3_3A8b`, `llama3 8b` → `_llama3_208b`,
 *   `org/m-1.5` → `_org_2Fm-1.5`, `_x` → `__5Fx`. An encoded name holds `_` only before two
 *   hex digits, so it decodes back (`modelIdOfFolder`), and no folder name starts with `.`,
 *   is `..`, or holds a path separator.
 *
 * On a file system that ignores case (macOS, Windows) `Qwen` and `qwen` would still share a
 * folder; the marker each folder keeps (`model_marker.ts`) catches that, and the second
 * model's run is refused naming both.
 *
 * @module
 */
import { usageError } from "../cli/errors.ts";

/** What a plain model name (its own folder name) looks like. */
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Bytes an encoded name keeps as they are (`.` too, where it is safe). */
const KEPT = /^[A-Za-z0-9-]$/;
/** The longest folder name most file systems take, in bytes. */
export const MAX_FOLDER_BYTES = 255;

/** True when `name` is its own folder name. */
export function isPlainModelName(name: string): boolean {
  return PLAIN.test(name) && !name.includes("..");
}

function encodeBytes(name: string): string {
  const bytes = new TextEncoder().encode(name);
  let out = "_";
  bytes.forEach((byte, i) => {
    const char = String.fromCharCode(byte);
    const keptDot = char === "." && i + 1 < bytes.length && bytes[i + 1] !== 0x2e;
    out += byte < 0x80 && (KEPT.test(char) || keptDot)
      ? char
      : `_${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  });
  return out;
}

/**
 * The folder of the model `name` (see the module comment). Throws a usage error for a
 * name that cannot name a folder: one with a lone surrogate, or too long once encoded.
 */
export function modelFolder(name: string): string {
  if (!name.isWellFormed()) {
    throw usageError(`The model name ${JSON.stringify(name)} is not valid Unicode text`);
  }
  const folder = isPlainModelName(name) ? name : encodeBytes(name);
  if (new TextEncoder().encode(folder).length > MAX_FOLDER_BYTES) {
    throw usageError(
      `The model name ${JSON.stringify(name)} is too long to name a folder ` +
        `("${folder.slice(0, 40)}…" is over ${MAX_FOLDER_BYTES} bytes)`,
    );
  }
  return folder;
}

/** The name an encoded folder stands for, or undefined when `folder` is no encoding. */
function decodeFolder(folder: string): string | undefined {
  if (!folder.startsWith("_")) return undefined;
  const bytes: number[] = [];
  for (let i = 1; i < folder.length; i++) {
    const char = folder[i];
    if (char === "_") {
      const hex = folder.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (KEPT.test(char) || char === ".") {
      bytes.push(char.charCodeAt(0));
    } else {
      return undefined;
    }
  }
  let name: string;
  try {
    name = new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
  // Only the one spelling `modelFolder` writes stands for the name.
  return !isPlainModelName(name) && encodeBytes(name) === folder ? name : undefined;
}

/**
 * The model name a folder name stands for: the inverse of `modelFolder` for the folders it
 * makes; any other folder (one the reference's scripts or an older version named) stands
 * for its own name.
 */
export function modelIdOfFolder(folder: string): string {
  return decodeFolder(folder) ?? folder;
}

/**
 * The folder earlier versions used for `name` (characters other than letters, digits,
 * `_`, `-` and `.` replaced by `_`); only to point at predictions they left behind.
 */
export function legacyModelFolder(name: string): string {
  const folder = name.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^[._-]+/, "");
  return folder === "" || folder.includes("..") ? `model_${folder.replace(/\./g, "_")}` : folder;
}
