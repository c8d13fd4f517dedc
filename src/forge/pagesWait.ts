import { ApplicationFailure } from '@temporalio/common';
import { retryableFailure } from '../failures';
import type { WaitOptions } from './forge';

const maxIntervalMs = 2000;

/** What a cache-busted GET of the site answers: its HTTP status, or why there was none. */
export async function siteAnswer(pagesUrl: string): Promise<string> {
  return fetch(`${pagesUrl}?_=${Date.now()}`, { signal: AbortSignal.timeout(10_000) }).then(
    (r) => `HTTP ${r.status}`,
    (e: Error) => e.message,
  );
}

/**
 * Polls `probe` until it says `live`, reporting every poll (so the activity heartbeats) and backing
 * off ×1.5 up to `maxIntervalMs`. Past the timeout, or once cancelled, it gives up retryably with
 * `describe(state)`.
 *
 * A poll that fails transiently (a 5xx, a dropped connection: anything but a non-retryable
 * `ApplicationFailure`) is one more state, not the end of the wait: failing the activity for it
 * made a round's Pages wait only as sturdy as its polls, and with GitHub failing 10% of calls five
 * attempts of a dozen polls each lost about one round in 300 (the load-with-faults chaos suite saw
 * it). A rate limit ends the wait with GitHub's delay, for Temporal's retry to wait out: pausing
 * here could outlive the activity's heartbeat timeout, since polls are what heartbeat. Permanent
 * failures end the wait too.
 *
 * The cap is the trade between callback latency and API calls: the callback leaves at most one
 * interval after the site is live (benchmark 3 measured a 3.7 s median lag with a 5 s cap), and a
 * waiting round costs one call per interval (≤ 1,800 an hour at 2 s; GitHub allows 5,000).
 */
export async function pollUntilLive(
  probe: () => Promise<string>,
  options: WaitOptions,
  defaults: { intervalMs: number; timeoutMs: number },
  describe: (lastState: string) => string,
): Promise<void> {
  const giveUpAt = Date.now() + (options.timeoutMs ?? defaults.timeoutMs);
  let interval = options.pollIntervalMs ?? defaults.intervalMs;
  for (let attempt = 1; ; attempt++) {
    let state: string;
    try {
      state = await probe();
    } catch (err) {
      const permanent = err instanceof ApplicationFailure && err.nonRetryable;
      const rateLimited = err instanceof ApplicationFailure && err.nextRetryDelay !== undefined;
      if (permanent || rateLimited) throw err;
      state = `the last poll failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    options.onPoll?.({ attempt, state });
    if (state === 'live') return;
    if (options.signal?.aborted || Date.now() >= giveUpAt) throw retryableFailure(describe(state));
    await new Promise((r) => setTimeout(r, interval));
    interval = Math.min(interval * 1.5, maxIntervalMs);
  }
}
