/**
 * JSON text exactly as Python writes it with `json.dumps(value, ensure_ascii=False)` and
 * the default separators `", "` and `": "` — the way the reference project's JSONL files
 * (through the `jsonlines` package) are written. Our outputs compare byte for byte with
 * theirs.
 *
 * Where JavaScript values cannot carry Python's distinction:
 * - numbers: an integer-valued number is written as a Python int (`1`, never `1.0`),
 *   any other as Python's float `repr` (`1e-05`, `1.5e+16`); JSON text `1.0` parsed by
 *   `JSON.parse` therefore comes back as `1`;
 * - lone surrogates in strings are written as `\udxxx` escapes (Python would fail to
 *   encode them to UTF-8 at all);
 * - object keys come in `Object.keys` order unless `keyOrder` says otherwise (JavaScript
 *   lists integer-like keys such as `"1"` first; see `convert/key_order.ts`).
 */

export interface PythonJsonOptions {
  /** The key order of an object, when it differs from `Object.keys` (e.g. recovered from text). */
  keyOrder?: (object: object) => readonly string[] | undefined;
}

/** `json.dumps(value, ensure_ascii=False)` with Python's default separators. */
export function pythonJsonDumps(value: unknown, options: PythonJsonOptions = {}): string {
  return dump(value, options.keyOrder);
}

/** A JSON string literal as Python writes it with `ensure_ascii=False`. */
export function pythonJsonString(text: string): string {
  // JSON.stringify escapes exactly the characters Python escapes (", \, control characters,
  // with the same short forms and lower-case \u00xx), plus lone surrogates (see above).
  return JSON.stringify(text);
}

/** A JSON number as Python writes it (see the module comment for integer-valued numbers). */
export function pythonJsonNumber(value: number | bigint): string {
  if (typeof value === "bigint") return value.toString();
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  if (Number.isInteger(value)) {
    return Math.abs(value) < 1e21 ? String(value === 0 ? 0 : value) : BigInt(value).toString();
  }
  return pythonFloatRepr(value);
}

/**
 * Python's `repr(float)`: the shortest digits that round-trip (as in JavaScript), written
 * in positional notation when the decimal exponent is in [-4, 16), otherwise as
 * `d.ddde±XX` with at least two exponent digits; positional floats always have a `.`.
 */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  const negative = value < 0 || Object.is(value, -0);
  const [mantissa, exponentText] = Math.abs(value).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exponent = Number(exponentText);
  let body: string;
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      body = `0.${"0".repeat(-exponent - 1)}${digits}`;
    } else if (digits.length <= exponent + 1) {
      body = `${digits}${"0".repeat(exponent + 1 - digits.length)}.0`;
    } else {
      body = `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
    }
  } else {
    const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const sign = exponent < 0 ? "-" : "+";
    body = `${head}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return negative ? `-${body}` : body;
}

function dump(value: unknown, keyOrder: PythonJsonOptions["keyOrder"]): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
    case "bigint":
      return pythonJsonNumber(value);
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        if (value.length === 0) return "[]";
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ", ";
          out += dump(value[i], keyOrder);
        }
        return out + "]";
      }
      const record = value as Record<string, unknown>;
      const keys = keyOrder?.(record) ?? Object.keys(record);
      if (keys.length === 0) return "{}";
      let out = "{";
      for (let i = 0; i < keys.length; i++) {
        if (i > 0) out += ", ";
        out += JSON.stringify(keys[i]) + ": " + dump(record[keys[i]], keyOrder);
      }
      return out + "}";
    }
    default:
      throw new TypeError(`Object of type ${typeof value} is not JSON serializable`);
  }
}

export interface PythonDumpsOptions extends PythonJsonOptions {
  /** `ensure_ascii` (Python's default: true): every non-ASCII character as `\uXXXX`. */
  ensureAscii?: boolean;
  /** `indent`: newlines and this many spaces per level, separators `","` / `": "`. */
  indent?: number;
}

/**
 * `json.dumps(value, ensure_ascii=…, indent=…)` exactly as Python writes it — what the
 * reference's scripts put in their messages (`json.dumps(obj)` escapes non-ASCII text;
 * `json.dumps(obj, indent=4, ensure_ascii=False)` keeps it).
 */
export function pythonDumps(value: unknown, options: PythonDumpsOptions = {}): string {
  const { ensureAscii = true, indent, keyOrder } = options;
  const text = indent === undefined ? dump(value, keyOrder) : dumpIndented(value, {
    keyOrder,
    unit: " ".repeat(indent),
    depth: 0,
  });
  return ensureAscii ? asciiOnly(text) : text;
}

/** Non-ASCII characters of JSON text as `\uXXXX` escapes (UTF-16 units, as Python). */
function asciiOnly(text: string): string {
  // Inside JSON text non-ASCII characters only occur within strings, so escaping them
  // everywhere is escaping them in the strings.
  return text.replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function dumpIndented(
  value: unknown,
  at: { keyOrder: PythonJsonOptions["keyOrder"]; unit: string; depth: number },
): string {
  if (value === null || typeof value !== "object") return dump(value, at.keyOrder);
  const inner = "\n" + at.unit.repeat(at.depth + 1);
  const close = "\n" + at.unit.repeat(at.depth);
  const deeper = { ...at, depth: at.depth + 1 };
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return "[" + value.map((item) => inner + dumpIndented(item, deeper)).join(",") + close + "]";
  }
  const record = value as Record<string, unknown>;
  const keys = at.keyOrder?.(record) ?? Object.keys(record);
  if (keys.length === 0) return "{}";
  return "{" +
    keys.map((key) => inner + JSON.stringify(key) + ": " + dumpIndented(record[key], deeper))
      .join(",") +
    close + "}";
}
