/**
 * The template syntax of prompt texts: `{name}` is a placeholder, filled when the text is
 * sent (`fillTemplate`); `{{name}}` is the literal text `{name}`. Only a name in braces
 * (`[A-Za-z_][A-Za-z0-9_]*`) is a placeholder, so JSON examples in a prompt
 * (`{"thought": …}`) need no escaping.
 *
 * @module
 */

const TOKEN = /\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The placeholders of `text`, in order of first use. */
export function placeholdersOf(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(TOKEN)) {
    const name = match[2];
    if (name !== undefined && !names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * `text` with each placeholder replaced by its value and each `{{name}}` by `{name}`.
 * Throws when a placeholder has no value (the prompt set's check rules that out).
 */
export function fillTemplate(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(TOKEN, (_, literal: string | undefined, name: string | undefined) => {
    if (literal !== undefined) return `{${literal}}`;
    const value = values[name!];
    if (value === undefined) throw new Error(`No value for the placeholder {${name}}`);
    return value;
  });
}

/** `text` written so that nothing in it is a placeholder (`{name}` → `{{name}}`). */
export function escapeTemplate(text: string): string {
  return text.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, "{{$1}}");
}

/** `text` with each `{{name}}` written as `{name}`, placeholders left as they are. */
export function unescapeTemplate(text: string): string {
  return text.replace(
    TOKEN,
    (whole, literal: string | undefined) => literal !== undefined ? `{${literal}}` : whole,
  );
}
