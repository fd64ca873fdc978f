/**
 * Prompt sets as YAML text: `prompts export` writes the built-in set with every role and
 * field documented in comments (what it is for, which stages send it, its placeholders),
 * the starting point for editing; `prompts import` writes an imported set the same way.
 * Reading is `parsePromptSet` (`prompt_set.ts`); a written file reads back to the same
 * values.
 *
 * @module
 */
import { Document, isMap, type YAMLMap } from "yaml";
import { fieldSpec, PROMPT_ROLES, type PromptRoleSpec, type RoleName } from "./prompt_roles.ts";

/** What a prompt set file holds. */
export interface PromptSetDocument {
  name: string;
  protocol: "proactive" | "reference";
  /** Where it came from (an imported checkout); informational. */
  source?: string;
  roles: Record<string, Record<string, unknown>>;
}

const HEADER = `A proactive prompt set. Give it to any LLM stage with --prompts FILE (or
"prompts: FILE" in proactive.yaml); a set may hold any subset of the roles and fields
below: the others keep their built-in texts. Placeholders are written {name} and filled
when the text is sent; {{name}} is the text {name} itself. Fields of kind json are sent
as JSON values inside a message. 'proactive prompts show --prompts FILE' prints what a
set makes the stages send.`;

/** The YAML text of `set`, every role and field with its documentation as comments. */
export function promptSetYaml(set: PromptSetDocument): string {
  const doc = new Document(set, { aliasDuplicateObjects: false });
  doc.commentBefore = HEADER.split("\n").map((line) => ` ${line}`).join("\n");
  const roles = doc.get("roles", true);
  if (isMap(roles)) {
    for (const pair of (roles as YAMLMap).items) {
      const role = String((pair.key as { value: unknown }).value);
      const spec = PROMPT_ROLES[role as RoleName] as PromptRoleSpec | undefined;
      if (!spec) continue;
      (pair.key as { commentBefore?: string }).commentBefore = ` ${role}: ${spec.doc}\n` +
        ` stages: ${spec.stages.join(", ")}` +
        (spec.fallback ? `\n fields left out come from ${spec.fallback}` : "");
      if (isMap(pair.value)) documentFields(role, pair.value as YAMLMap);
    }
  }
  return doc.toString({ lineWidth: 0, blockQuote: "literal" });
}

function documentFields(role: string, fields: YAMLMap): void {
  for (const pair of fields.items) {
    const field = String((pair.key as { value: unknown }).value);
    const spec = fieldSpec(role, field);
    if (!spec) continue;
    const lines = [` ${spec.doc}${spec.kind === "json" ? " (json)" : ""}`];
    if (spec.only) lines.push(` sent only under protocol: ${spec.only}`);
    for (const placeholder of spec.placeholders ?? []) {
      const required = placeholder.required.length === 0
        ? "optional"
        : `required under ${placeholder.required.join(" and ")}`;
      lines.push(` {${placeholder.name}}: ${placeholder.doc} (${required})`);
    }
    (pair.key as { commentBefore?: string }).commentBefore = lines.join("\n");
  }
}
