import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The static files the pages use: GOV.UK Frontend's stylesheet, script, fonts and images (from
 * the govuk-frontend package, or from a `govuk-frontend/` folder next to the bundled function),
 * and the service's own small stylesheet and start-up script. Only files in this fixed list are
 * served: a request path is looked up, never joined onto a directory.
 */
export interface Asset {
  readonly contentType: string;
  readonly body: Buffer;
  readonly binary: boolean;
  /** Fonts and images have versioned names or never change. */
  readonly cacheSeconds: number;
}

const types: Record<string, { type: string; binary: boolean }> = {
  css: { type: 'text/css; charset=utf-8', binary: false },
  js: { type: 'text/javascript; charset=utf-8', binary: false },
  json: { type: 'application/manifest+json', binary: false },
  svg: { type: 'image/svg+xml', binary: false },
  woff2: { type: 'font/woff2', binary: true },
  woff: { type: 'font/woff', binary: true },
  png: { type: 'image/png', binary: true },
  ico: { type: 'image/x-icon', binary: true },
};

/** The service's own styles: what GOV.UK Frontend has no class for, without inline styles. */
const WORKWELL_CSS = `.workwell-honeypot{display:none}
.workwell-reference{font-size:1.5rem;word-break:break-all}
.workwell-overdue{color:#ca3535;font-weight:700}
`;

/** Starts GOV.UK Frontend's components when the browser can run them; every page works without. */
const WORKWELL_INIT_JS = `document.body.classList.add('js-enabled');
if ('noModule' in HTMLScriptElement.prototype) {
  document.body.classList.add('govuk-frontend-supported');
  import('./govuk-frontend.min.js').then(({ initAll }) => initAll());
}
`;

function frontendDir(): string {
  const bundled = fileURLToPath(new URL('./govuk-frontend/', import.meta.url));
  if (existsSync(join(bundled, 'govuk-frontend.min.css'))) return bundled;
  const pkg = createRequire(import.meta.url).resolve('govuk-frontend/package.json');
  return join(dirname(pkg), 'dist', 'govuk');
}

function asset(name: string, body: Buffer): Asset {
  const extension = name.slice(name.lastIndexOf('.') + 1);
  const known = types[extension];
  if (!known) throw new Error(`No content type for .${extension}`);
  const versioned = /\/(fonts|images)\//.test(`/${name}`);
  return { contentType: known.type, body, binary: known.binary, cacheSeconds: versioned ? 86_400 * 7 : 3600 };
}

let loaded: Map<string, Asset> | undefined;
let loadedFor: string | undefined;

/**
 * Every asset by its path under /assets/, read once. `basePath` (an API stage, e.g. `/live`) is
 * put in front of the stylesheet's absolute font and image URLs.
 */
export function assets(basePath: string): ReadonlyMap<string, Asset> {
  if (loaded && loadedFor === basePath) return loaded;
  const dir = frontendDir();
  const files = new Map<string, Asset>();
  const css = readFileSync(join(dir, 'govuk-frontend.min.css'), 'utf8').replaceAll('url(/assets/', `url(${basePath}/assets/`);
  files.set('govuk-frontend.min.css', asset('govuk-frontend.min.css', Buffer.from(css)));
  files.set('govuk-frontend.min.js', asset('govuk-frontend.min.js', readFileSync(join(dir, 'govuk-frontend.min.js'))));
  files.set('workwell.css', asset('workwell.css', Buffer.from(WORKWELL_CSS)));
  files.set('workwell-init.js', asset('workwell-init.js', Buffer.from(WORKWELL_INIT_JS)));
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, 'assets', sub))) {
      const path = sub ? `${sub}/${entry}` : entry;
      if (statSync(join(dir, 'assets', path)).isDirectory()) walk(path);
      else if (types[entry.slice(entry.lastIndexOf('.') + 1)]) files.set(path, asset(path, readFileSync(join(dir, 'assets', path))));
    }
  };
  walk('');
  loaded = files;
  loadedFor = basePath;
  return files;
}
