import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { areaSlugs } from '../../areas/index.ts';
import { functionCatalogue, lambdaName } from '../../functions/catalogue.ts';
import { synthAreaTemplate } from '../../infra/build-app.ts';

// Every area synthesizes on its own, so one bad area fails alone.
describe.each(areaSlugs)('area %s', (slug) => {
  // Named by lambdaName(): the local runtime maps ARNs back to catalogue entries by it.
  it('has one nodejs24.x arm64 function per catalogue entry, named by lambdaName()', { timeout: 60_000 }, () => {
    const template = Template.fromJSON(synthAreaTemplate(slug));
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions.map((f) => f.Properties.FunctionName).sort()).toEqual(
      functionCatalogue.map((def) => lambdaName(slug, def.name)).sort(),
    );
    for (const fn of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
  });
});
