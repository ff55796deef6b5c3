/**
 * The page and its assets, served from files shipped in the package: the page itself from the
 * top-level `dashboard/` folder (plain HTML, CSS and JavaScript, no build step), uPlot's distributed
 * files from its package. Read once, on first use, and kept; nothing is fetched from elsewhere.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the page's own files are: `dashboard/` at the package's root (beside `dist/` and `src/`). */
const PAGE_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));
/** uPlot's `dist/`, resolved like any dependency (when first asked: importing the admin API needs no uPlot). */
const uplot = (file: string) => () =>
  join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist', file);
const page = (file: string) => () => join(PAGE_DIR, file);

interface AssetFile {
  readonly file: () => string;
  readonly type: string;
}

/** The page's URL paths and their files. */
const ASSETS: ReadonlyMap<string, AssetFile> = new Map([
  ['/', { file: page('index.html'), type: 'text/html; charset=utf-8' }],
  ['/dashboard/dashboard.css', { file: page('dashboard.css'), type: 'text/css; charset=utf-8' }],
  ['/dashboard/dashboard.js', { file: page('dashboard.js'), type: 'text/javascript; charset=utf-8' }],
  ['/dashboard/uplot.min.js', { file: uplot('uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' }],
  ['/dashboard/uplot.min.css', { file: uplot('uPlot.min.css'), type: 'text/css; charset=utf-8' }],
]);

/** What the page may load and do: only its own origin, never framed (no clickjacking of its buttons). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

export function isDashboardAsset(path: string): boolean {
  return ASSETS.has(path);
}

/** Each asset's bytes, by path, read once. */
const loaded = new Map<string, Promise<Buffer>>();

/** The asset at `path` (one of isDashboardAsset()'s): its Content-Type and bytes. */
export async function dashboardAsset(path: string): Promise<{ type: string; body: Buffer }> {
  const asset = ASSETS.get(path);
  if (asset === undefined) throw new Error(`no dashboard asset ${path}`);
  let body = loaded.get(path);
  if (body === undefined) {
    body = Promise.resolve().then(() => readFile(asset.file()));
    // A failed read (a broken install) is tried again next time rather than kept.
    body.catch(() => loaded.delete(path));
    loaded.set(path, body);
  }
  return { type: asset.type, body: await body };
}
