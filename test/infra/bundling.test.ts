import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { functionCatalogue } from '../../functions/catalogue.ts';
import { buildApp } from '../../infra/build-app.ts';

const outdir = mkdtempSync(path.join(tmpdir(), 'workwell-bundle-test-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

// One area only: esbuild runs once per function (locally, no Docker).
describe('bundling', () => {
  it('produces an ESM bundle with a source map for every function', { timeout: 120_000 }, () => {
    const slug = 'south-yorkshire';
    const assembly = buildApp({ areas: [slug], bundle: true, outdir }).synth();
    const template = assembly.getStackByName(`WorkWell-${slug}`).template as Record<string, any>;
    const functions = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(functionCatalogue.length);

    for (const fn of functions) {
      // Staged as asset.<hash>; the S3 key is <hash>.zip.
      const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
      const bundle = path.join(outdir, `asset.${hash}`, 'index.mjs');
      expect(existsSync(bundle), `${fn.Properties.FunctionName}: ${bundle}`).toBe(true);
      expect(existsSync(`${bundle}.map`)).toBe(true);
      const code = readFileSync(bundle, 'utf8');
      expect(code.startsWith('import { createRequire as __workwellCreateRequire }')).toBe(true);
      // Everything is bundled: no import of the AWS SDK left for the runtime to supply.
      expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
      // Files a function reads at run time travel with its bundle.
      const def = functionCatalogue.find((d) => fn.Properties.FunctionName.endsWith(`-${d.name}`))!;
      for (const file of 'bundledFiles' in def ? def.bundledFiles : []) {
        expect(existsSync(path.join(outdir, `asset.${hash}`, file.to)), `${def.name}: ${file.to}`).toBe(true);
      }
    }
    const assets = functions.find((f) => f.Properties.FunctionName.endsWith('-web-assets'))!;
    const assetDir = path.join(outdir, `asset.${String(assets.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
    expect(existsSync(path.join(assetDir, 'govuk-frontend', 'assets', 'images', 'favicon.ico'))).toBe(true);
  });
});
