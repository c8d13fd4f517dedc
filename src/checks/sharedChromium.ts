import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** The flags our machines need: no sandbox as root, no GPU, no calls home. */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/**
 * One Chromium per process, launched on first use and again if it ever dies, handing out a fresh
 * browser context (no cookies, storage or cache shared between checks) to at most `concurrency`
 * callers at once; the rest queue. Launching Chromium costs about a second and 100 MB, so a worker
 * that self-checks hundreds of rounds pays it once instead of every round. After `idleCloseMs` with
 * no context in use the browser is closed, so an idle worker does not hold its memory.
 */
export class SharedChromium {
  private browser: Promise<Browser> | undefined;
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly executablePath: string,
    private readonly concurrency = 1,
    private readonly idleCloseMs = 60_000,
  ) {}

  /** How many callers wait for a context right now. */
  get waiting(): number {
    return this.queue.length;
  }

  async withContext<T>(use: (context: BrowserContext) => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      const context = await (await this.connected()).newContext();
      try {
        return await use(context);
      } finally {
        await context.close().catch(() => undefined);
      }
    } finally {
      this.release();
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const browser = this.browser;
    this.browser = undefined;
    await (await browser?.catch(() => undefined))?.close();
  }

  private connected(): Promise<Browser> {
    if (!this.browser) {
      const launching = chromium
        .launch({ executablePath: this.executablePath, args: chromiumArgs, headless: true })
        .then((browser) => {
          browser.on('disconnected', () => {
            if (this.browser === launching) this.browser = undefined;
          });
          return browser;
        });
      // A failed launch is not remembered: the next caller tries again.
      launching.catch(() => {
        if (this.browser === launching) this.browser = undefined;
      });
      this.browser = launching;
    }
    return this.browser;
  }

  private async acquire(): Promise<void> {
    clearTimeout(this.idleTimer);
    if (this.active < this.concurrency) {
      this.active++;
      return;
    }
    // release() hands its slot straight to the first waiter, so `active` stays counted.
    await new Promise<void>((resolve) => this.queue.push(resolve));
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) return next();
    this.active--;
    if (this.active === 0) {
      this.idleTimer = setTimeout(() => void this.close(), this.idleCloseMs);
      this.idleTimer.unref();
    }
  }
}
