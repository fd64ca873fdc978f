/**
 * The annotation guidelines of `serve --guidelines FILE.md`: read once at start-up and
 * turned into a small tree of blocks and inline spans (`GuideBlock`, `GuideInline`) that
 * `GET /api/guidelines` sends and the page builds with `textContent` (`static/guidelines.js`)
 * — no HTML from the file ever reaches the page. Markdown is read with the `marked`
 * package's lexer; headings, paragraphs, lists, quotes, code, rules, emphasis and links
 * are kept. Raw HTML is shown as the text it is, images as their alt text (no remote
 * content is loaded), and a link keeps its target only when it is `https:`, `http:` or
 * `mailto:`.
 *
 * @module
 */
import { marked, type Token, type Tokens } from "marked";
import { inputError } from "../cli/errors.ts";
import { readInputText } from "../store/read_input.ts";
import { sha256Hex } from "./sessions.ts";

export type GuideInline =
  | { t: "text"; text: string }
  | { t: "strong" | "em" | "del"; inline: GuideInline[] }
  | { t: "code"; text: string }
  | { t: "link"; href: string | null; inline: GuideInline[] }
  | { t: "br" };

export type GuideBlock =
  | { t: "h"; level: number; inline: GuideInline[] }
  | { t: "p"; inline: GuideInline[] }
  | { t: "list"; ordered: boolean; items: GuideBlock[][] }
  | { t: "pre"; text: string }
  | { t: "quote"; blocks: GuideBlock[] }
  | { t: "hr" };

/** The guidelines as the page gets them; `sha256` tells a changed file from a seen one. */
export interface Guidelines {
  blocks: GuideBlock[];
  sha256: string;
}

/** The largest guidelines file read (1 MiB). */
export const MAX_GUIDELINES_BYTES = 1024 * 1024;

/** Reads and parses `path`; an unreadable, empty or oversized file names itself. */
export async function readGuidelines(path: string): Promise<Guidelines> {
  const text = await readInputText(path, {
    what: "guidelines file",
    maxBytes: MAX_GUIDELINES_BYTES,
  });
  const blocks = parseGuidelines(text);
  if (blocks.length === 0) throw inputError(`The guidelines file "${path}" is empty`);
  return { blocks, sha256: sha256Hex(text) };
}

/** Markdown → the blocks of the page (see the module doc). */
export function parseGuidelines(markdown: string): GuideBlock[] {
  return blocksOf(marked.lexer(markdown));
}

function blocksOf(tokens: readonly Token[]): GuideBlock[] {
  return tokens.flatMap((token): GuideBlock[] => {
    switch (token.type) {
      case "heading":
        return [{ t: "h", level: token.depth, inline: inlineOf(token.tokens) }];
      case "paragraph":
        return [{ t: "p", inline: inlineOf(token.tokens) }];
      case "text": // a tight list item's text
        return [{ t: "p", inline: inlineOf(token.tokens ?? [token]) }];
      case "list":
        return [{
          t: "list",
          ordered: (token as Tokens.List).ordered,
          items: (token as Tokens.List).items.map((item) => blocksOf(item.tokens)),
        }];
      case "code":
        return [{ t: "pre", text: token.text }];
      case "blockquote":
        return [{ t: "quote", blocks: blocksOf(token.tokens ?? []) }];
      case "hr":
        return [{ t: "hr" }];
      case "space":
        return [];
      default: // html, tables and the rest: shown as the text they are
        return [{ t: "pre", text: token.raw.replace(/\n+$/, "") }];
    }
  });
}

function inlineOf(tokens: readonly Token[] | undefined): GuideInline[] {
  return (tokens ?? []).flatMap((token): GuideInline[] => {
    switch (token.type) {
      case "strong":
      case "em":
      case "del":
        return [{ t: token.type, inline: inlineOf(token.tokens) }];
      case "codespan":
        return [{ t: "code", text: token.text }];
      case "link":
        return [{ t: "link", href: safeHref(token.href), inline: inlineOf(token.tokens) }];
      case "image":
        return [{ t: "text", text: `[image: ${token.text}]` }];
      case "br":
        return [{ t: "br" }];
      case "text":
        return token.tokens ? inlineOf(token.tokens) : [{ t: "text", text: token.text }];
      case "escape":
        return [{ t: "text", text: token.text }];
      default: // inline html and the rest, as typed
        return [{ t: "text", text: token.raw }];
    }
  });
}

function safeHref(href: string): string | null {
  return /^(https?:|mailto:)/i.test(href.trim()) ? href.trim() : null;
}
