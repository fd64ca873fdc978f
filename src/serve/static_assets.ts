/**
 * The frontend, embedded through imports so `deno run` and the compiled binary serve the
 * same bytes without the source tree.
 */
import indexHtml from "../../static/index.html" with { type: "text" };
import appJs from "../../static/app.js" with { type: "text" };
import appCss from "../../static/app.css" with { type: "text" };
import statusHtml from "../../static/status.html" with { type: "text" };
import statusJs from "../../static/status.js" with { type: "text" };

export interface StaticAsset {
  body: string;
  contentType: string;
}

const HTML = "text/html; charset=utf-8";
const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

/** URL path → asset. */
export const STATIC_ASSETS: ReadonlyMap<string, StaticAsset> = new Map([
  ["/", { body: indexHtml, contentType: HTML }],
  ["/status", { body: statusHtml, contentType: HTML }],
  ["/app.js", { body: appJs, contentType: JS }],
  ["/app.css", { body: appCss, contentType: CSS }],
  ["/status.js", { body: statusJs, contentType: JS }],
]);
