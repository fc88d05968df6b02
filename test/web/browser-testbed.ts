import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { accessibilityViolations, launchBrowser, screenshot, type TestBrowser } from './browser.ts';

export interface BrowserTestbed {
  readonly rt: TestRuntime;
  readonly browser: TestBrowser;
  readonly page: Page;
  /** The page passes the accessibility scan and is photographed as `<prefix>-<name>`. */
  check(name: string): Promise<void>;
}

/** A local runtime and one browser page for a test file, started before and stopped after its tests. */
export function browserTestbed(screenshotPrefix: string): BrowserTestbed {
  const bed = {} as { rt: TestRuntime; browser: TestBrowser; page: Page };
  beforeAll(async () => {
    [bed.rt, bed.browser] = await Promise.all([startTestRuntime(), launchBrowser()]);
    bed.page = await bed.browser.newPage();
    bed.page.setDefaultTimeout(10_000);
  });
  afterAll(async () => {
    await bed.browser?.close();
    await bed.rt?.stop();
  });
  return {
    get rt() {
      return bed.rt;
    },
    get browser() {
      return bed.browser;
    },
    get page() {
      return bed.page;
    },
    async check(name: string) {
      expect(await accessibilityViolations(bed.page), name).toEqual([]);
      await screenshot(bed.page, `${screenshotPrefix}-${name}`);
    },
  };
}
