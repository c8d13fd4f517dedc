import type { BrowserContext, Page } from 'playwright-core';
import type { CheckOutcome } from '../shared';
import { SharedChromium } from './sharedChromium';

/**
 * Runs a task's checks against a live page in headless Chromium, the way evaluators do: load the
 * page, let it settle, then evaluate every JavaScript check, re-polling until it holds or the
 * budget runs out (apps load data asynchronously). Shared by the self-check and the evaluator kit.
 */

export type { CheckOutcome };

export interface CheckResult {
  check: string;
  /** `js`: evaluated in the page; `text`: a sentence for a reader (or a model) to judge. */
  kind: 'js' | 'text';
  outcome: CheckOutcome;
  /** Why a check failed or errored (the last value or exception seen). */
  detail?: string;
}

export interface PageReport {
  url: string;
  httpStatus: number | undefined;
  results: CheckResult[];
  consoleErrors: string[];
  pageErrors: string[];
  /** Requests that failed on the network or answered 400 or more. */
  failedRequests: string[];
  /** The page's visible text after the checks ran (for a model judging plain-language checks). */
  pageText: string;
  screenshot?: Buffer;
}

export interface CheckRunOptions {
  chromiumPath: string;
  /** How long checks are re-polled after the page has loaded. */
  checkTimeoutMs: number;
  navigationTimeoutMs?: number;
  pollIntervalMs?: number;
  /** Answers requests from local copies (e.g. CDN libraries in tests); undefined lets a request through. */
  serveLocally?: (url: string) => { body: Buffer | string; contentType: string } | undefined;
  /** A long-lived browser to borrow a context from; without one, Chromium is launched for this run only. */
  browser?: SharedChromium;
}

const pageTextLimit = 20_000;

/** A check is JavaScript when it parses as an expression or a function body; otherwise it is prose. */
export function isJavaScriptCheck(check: string): boolean {
  for (const source of [`return (${check});`, check]) {
    try {
      new Function(`return (async () => { ${source} })`);
      return true;
    } catch {
      // not this form
    }
  }
  return false;
}

export async function runChecks(url: string, checks: string[], opts: CheckRunOptions): Promise<PageReport> {
  const browser = opts.browser ?? new SharedChromium(opts.chromiumPath);
  try {
    return await browser.withContext((context) => checkPage(context, url, checks, opts));
  } finally {
    if (!opts.browser) await browser.close();
  }
}

async function checkPage(
  context: BrowserContext,
  url: string,
  checks: string[],
  opts: CheckRunOptions,
): Promise<PageReport> {
  if (opts.serveLocally) {
    await context.route('**/*', async (route) => {
      const local = opts.serveLocally!(route.request().url());
      if (local) await route.fulfill({ status: 200, body: local.body, contentType: local.contentType });
      else await route.continue();
    });
  }
  const page = await context.newPage();
  const report: PageReport = {
    url,
    httpStatus: undefined,
    results: [],
    consoleErrors: [],
    pageErrors: [],
    failedRequests: [],
    pageText: '',
  };
  page.on('console', (m) => {
    if (m.type() === 'error') report.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => report.pageErrors.push(e.message));
  page.on('requestfailed', (r) =>
    report.failedRequests.push(`${r.url()} (${r.failure()?.errorText ?? 'failed'})`),
  );
  page.on('response', (r) => {
    if (r.status() >= 400) report.failedRequests.push(`${r.url()} (HTTP ${r.status()})`);
  });

  const response = await page.goto(url, { waitUntil: 'load', timeout: opts.navigationTimeoutMs ?? 30_000 });
  report.httpStatus = response?.status();
  await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => undefined);

  const results: CheckResult[] = checks.map((check) =>
    isJavaScriptCheck(check)
      ? { check, kind: 'js', outcome: 'not_run' }
      : { check, kind: 'text', outcome: 'not_run' },
  );
  const pending = () => results.filter((r) => r.kind === 'js' && r.outcome !== 'pass');
  const until = Date.now() + opts.checkTimeoutMs;
  for (;;) {
    for (const r of pending()) Object.assign(r, await evaluateCheck(page, r.check));
    if (pending().length === 0 || Date.now() >= until) break;
    await new Promise((resolve) => setTimeout(resolve, opts.pollIntervalMs ?? 250));
  }
  report.results = results;
  report.pageText = await page
    .evaluate('document.body ? document.body.innerText : ""')
    .then((t) => String(t).slice(0, pageTextLimit))
    .catch(() => '');
  report.screenshot = await page.screenshot({ fullPage: true });
  return report;
}

async function evaluateCheck(page: Page, check: string): Promise<Pick<CheckResult, 'outcome' | 'detail'>> {
  try {
    const value = await page.evaluate(async (source: string) => {
      let run: () => Promise<unknown>;
      try {
        run = new Function(`return (async () => (${source}))();`) as () => Promise<unknown>;
      } catch {
        run = new Function(`return (async () => { ${source} })();`) as () => Promise<unknown>;
      }
      const v = await run();
      return { truthy: !!v, shown: typeof v === 'string' ? JSON.stringify(v) : String(v) };
    }, check);
    return value.truthy
      ? { outcome: 'pass', detail: undefined }
      : { outcome: 'fail', detail: `evaluated to ${value.shown}` };
  } catch (err) {
    const message = (err as Error).message.split('\n')[0]!.replace(/^page\.evaluate: /, '');
    return { outcome: 'error', detail: message };
  }
}
