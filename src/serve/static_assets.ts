/**
 * The frontend, embedded through imports so `deno run` and the compiled binary serve the
 * same bytes without the source tree. Only the paths listed here are served: there is no
 * lookup of files by request path. A new module under static/ needs an import and an entry.
 * `createApp` (`serve_app.ts`) registers a GET route for each entry of `STATIC_ASSETS`,
 * with `Cache-Control: no-cache` and the `SECURITY_HEADERS` of `http_guards.ts`. Scripts and
 * the stylesheet are served without their comment lines (`strip_comments.ts`).
 *
 * @module
 */
import { stripComments } from "./strip_comments.ts";
import indexHtml from "../../static/index.html" with { type: "text" };
import appCss from "../../static/app.css" with { type: "text" };
import statusHtml from "../../static/status.html" with { type: "text" };
import statusJs from "../../static/status.js" with { type: "text" };
import reviewHtml from "../../static/review.html" with { type: "text" };
import reviewJs from "../../static/review.js" with { type: "text" };
import adminTableJs from "../../static/admin_table.js" with { type: "text" };
import appJs from "../../static/app.js" with { type: "text" };
import annotationJs from "../../static/annotation.js" with { type: "text" };
import apiClientJs from "../../static/api_client.js" with { type: "text" };
import eventListJs from "../../static/event_list.js" with { type: "text" };
import guidelinesJs from "../../static/guidelines.js" with { type: "text" };
import keyboardJs from "../../static/keyboard.js" with { type: "text" };
import pageJs from "../../static/page.js" with { type: "text" };
import questionFormJs from "../../static/question_form.js" with { type: "text" };
import sessionJs from "../../static/session.js" with { type: "text" };

export interface StaticAsset {
  body: string;
  contentType: string;
}

const HTML = "text/html; charset=utf-8";
const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

/** The ES modules of the pages (static/<name>), each served at /<name>. */
const SCRIPTS: ReadonlyArray<[string, string]> = ([
  ["status.js", statusJs],
  ["review.js", reviewJs],
  ["admin_table.js", adminTableJs],
  ["app.js", appJs],
  ["annotation.js", annotationJs],
  ["api_client.js", apiClientJs],
  ["event_list.js", eventListJs],
  ["guidelines.js", guidelinesJs],
  ["keyboard.js", keyboardJs],
  ["page.js", pageJs],
  ["question_form.js", questionFormJs],
  ["session.js", sessionJs],
] as const).map(([name, body]) => [name, stripComments(body)]);

/** URL path → asset: the allow-list of everything served besides the API. */
export const STATIC_ASSETS: ReadonlyMap<string, StaticAsset> = new Map([
  ["/", { body: indexHtml, contentType: HTML }],
  ["/status", { body: statusHtml, contentType: HTML }],
  ["/review", { body: reviewHtml, contentType: HTML }],
  ["/app.css", { body: stripComments(appCss), contentType: CSS }],
  ...SCRIPTS.map(([name, body]): [string, StaticAsset] => [
    `/${name}`,
    { body, contentType: JS },
  ]),
]);
