/**
 * The reference project's encoding of gym logs (`datagen --log-format reference`): what
 * its `gym/main.py` writes — `json.dumps(SEvent.model_dump())` a line, keys `source`,
 * `time`, `tags`, `content`, the content always a string, Python's spacing and ASCII
 * escapes — for the records proactive's scene loop makes. Each proactive record becomes
 * the reference's record(s) of the same moment:
 *
 * | proactive record                         | reference record                                   |
 * | ---------------------------------------- | -------------------------------------------------- |
 * | system `setup` (JSON)                    | system `setup` "Setup Components...", then the JSON, both at "Time Freezed." |
 * | EnvManager `agent.ops` (JSON list)       | "# Assistant Available Operations\n[Operation(name=…, arguments=[…], doc=…)]" at "Time Freezed." |
 * | the first EnvManager `env.status`        | "! Initial Environment Settings !\n" + the setting as the reference prints it, then system `setup` "Setup Completed!" |
 * | other EnvManager `env.status` (entity)   | "Entity Updated.\n" + the entity as the reference prints it |
 * | User `env.intro` (question)              | the question + "\nPlease answer the question one by one." |
 * | User `activity` (`{act, is_finished}`)   | the act as plain text; a finishing activity writes nothing |
 * | ProactiveAgent `agent.proactive` (task)  | the whole prediction as JSON, `Proactive Task` null when none |
 * | User `agent.proactive` (judgement JSON)  | "<thought>\nIs Accepted: True" (or False)          |
 * | ProactiveAgent `activity`, `agent.response` | the same JSON in Python's spacing               |
 * | `events`, `env.response`                 | the same text                                      |
 * | User `setup` (profile), system `end`     | kept as they are: records the reference's tools ignore |
 *
 * @module
 */
import { pythonDumps } from "../jsonl/python_json.ts";
import type { GymRecord } from "./gym_types.ts";

/** The time of the reference's records before the environment starts the clock. */
export const FROZEN_TIME = "Time Freezed.";

/** One line of a reference log. */
export interface ReferenceRecord {
  source: string;
  time: string;
  tags: string[];
  content: string;
}

/** The header of the reference's `agent.ops` record. */
export const OPERATIONS_HEADER = "# Assistant Available Operations\n";

interface Operation {
  name: string;
  arguments: string[];
  doc: string;
}

interface Entity {
  name: string;
  description: string;
  status: string;
  properties: string[];
  available_ops: Operation[];
  past_actions: string[];
}

/** Turns proactive's records into the reference's, in order (it remembers the setting). */
export class ReferenceLogEncoder {
  #operations: Operation[] = [];
  #initialWritten = false;
  readonly #entities = new Set<string>();

  /** The reference record(s) of `record`, as JSON lines in Python's `json.dumps` form. */
  lines(record: GymRecord): string[] {
    return this.records(record).map((r) => pythonDumps(r) + "\n");
  }

  records(record: GymRecord): ReferenceRecord[] {
    const { source, time } = record;
    const tag = record.tags[0];
    const content = record.content ?? "";
    const one = (text: string, at = time, from: string = source, tags: string[] = [tag]) => ({
      source: from,
      time: at,
      tags,
      content: text,
    });
    switch (`${source} ${tag}`) {
      case "system setup":
        return [one("Setup Components...", FROZEN_TIME), one(content, FROZEN_TIME)];
      case "EnvManager agent.ops":
        this.#operations = parseJson(content, []) as Operation[];
        return [one(OPERATIONS_HEADER + pythonOperations(this.#operations), FROZEN_TIME)];
      case "EnvManager env.status":
        return this.#status(content, one);
      case "User env.intro":
        return [one(`${content}\nPlease answer the question one by one.`)];
      case "User activity": {
        const activity = parseJson(content, {}) as { act?: unknown; is_finished?: unknown };
        return activity.is_finished === true ? [] : [one(String(activity.act ?? content))];
      }
      case "ProactiveAgent agent.proactive":
        return [
          one(pythonDumps({ ...(record.prediction ?? {}), "Proactive Task": record.content })),
        ];
      case "User agent.proactive": {
        const judgement = parseJson(content, {}) as { thought?: unknown; is_accepted?: unknown };
        const accepted = judgement.is_accepted === true ? "True" : "False";
        return [one(`${String(judgement.thought ?? "")}\nIs Accepted: ${accepted}`)];
      }
      case "ProactiveAgent activity":
      case "ProactiveAgent agent.response":
        return [one(pythonDumps(parseJson(content, content)))];
      default:
        return [one(content)];
    }
  }

  #status(
    content: string,
    one: (text: string, at?: string, from?: string, tags?: string[]) => ReferenceRecord,
  ): ReferenceRecord[] {
    const value = parseJson(content, {}) as Record<string, unknown>;
    if (!this.#initialWritten && "overview" in value) {
      this.#initialWritten = true;
      const entities = (value.entities ?? []) as Entity[];
      for (const entity of entities) this.#entities.add(entity.name);
      const setting = settingText(
        String(value.overview ?? ""),
        String(value.time ?? ""),
        this.#operations,
        entities,
      );
      return [
        one(`! Initial Environment Settings !\n${setting}`),
        one("Setup Completed!", undefined, "system", ["setup"]),
      ];
    }
    const entity = value as unknown as Entity;
    const known = this.#entities.has(entity.name);
    this.#entities.add(entity.name);
    return [one(`Entity Updated.\n${known ? updatedText(entity) : entityText(entity)}`)];
  }
}

function parseJson(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

/** Python's `repr` of a string (the quote it picks, its escapes). */
export function pythonRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const c of text) {
    if (c === "\\") out += "\\\\";
    else if (c === quote) out += "\\" + c;
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if (c !== " " && /[\p{C}\p{Z}]/u.test(c)) {
      const code = c.codePointAt(0)!;
      out += code < 0x100
        ? `\\x${code.toString(16).padStart(2, "0")}`
        : code < 0x10000
        ? `\\u${code.toString(16).padStart(4, "0")}`
        : `\\U${code.toString(16).padStart(8, "0")}`;
    } else out += c;
  }
  return out + quote;
}

/** `str(list_of_operations)`: the reference's `Operation` objects as Python prints them. */
export function pythonOperations(operations: readonly Operation[]): string {
  return "[" +
    operations.map((op) =>
      `Operation(name=${pythonRepr(String(op.name))}, arguments=[${
        (op.arguments ?? []).map((a) => pythonRepr(String(a))).join(", ")
      }], doc=${pythonRepr(String(op.doc))})`
    ).join(", ") + "]";
}

/** `Operation.__str__`: pydantic's compact JSON (`model_dump_json`). */
function operationText(op: Operation): string {
  return JSON.stringify({ name: op.name, arguments: op.arguments, doc: op.doc });
}

/** `EntityStatus.__str__`. */
function entityText(entity: Entity): string {
  const list = (items: readonly string[] | undefined, none: string) =>
    items && items.length > 0 ? items.join("\n  ") : none;
  return `Name: ${entity.name}\n${entity.description}\nStatus: ${entity.status}\n` +
    `Properties:\n  ${
      entity.properties?.length ? entity.properties.join("\n  ") + "\n" : "No Properties.\n"
    }` +
    `Available Operations:\n  ${
      entity.available_ops?.length
        ? entity.available_ops.map(operationText).join("\n  ") + "\n"
        : "No Operations.\n"
    }` +
    `Past Actions:\n  ${list(entity.past_actions, "No history.")}`;
}

/** What `EntityStatus.update` returns: the short form of an updated entity. */
function updatedText(entity: Entity): string {
  return `Name: ${entity.name}\n${entity.description}\nStatus: ${entity.status}\n` +
    `Last Action: ${entity.past_actions?.at(-1) ?? ""}`;
}

/** `EnvironmentSetting.__str__`. */
function settingText(
  overview: string,
  time: string,
  operations: readonly Operation[],
  entities: readonly Entity[],
): string {
  return `# Environment Overview\n${overview}\nTime: ${time}\n# Agent Operations\n` +
    operations.map((op) => `${operationText(op)}\n`).join("") +
    "# Entities in the Environment" + entities.map((e) => `\n${entityText(e)}\n`).join("");
}
