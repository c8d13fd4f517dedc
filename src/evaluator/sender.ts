import type { Ledger } from './ledger';
import type { TaskRequestBody } from './taskTemplate';

/**
 * `send`: POSTs one round to a service and records it as issued. A network error or a 5xx is
 * re-sent with the same nonce after 1, 2, 4 … s (the service must not build twice); any 4xx is the
 * service refusing the request and is reported as it is.
 */
export async function sendRound(
  endpoint: string,
  request: TaskRequestBody,
  ledger: Ledger,
  opts: { attempts?: number; baseDelayMs?: number } = {},
): Promise<{ status: number; body: unknown; attempts: number }> {
  const attempts = opts.attempts ?? 5;
  // Recorded first: a callback may arrive before the answer does.
  await ledger.recordIssued({
    email: request.email,
    task: request.task,
    round: request.round,
    nonce: request.nonce,
    checks: request.checks,
    endpoint,
    issuedAt: new Date().toISOString(),
  });
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: reported as text
      }
      if (res.status < 500) return { status: res.status, body, attempts: attempt };
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (attempt < attempts)
      await new Promise((r) => setTimeout(r, (opts.baseDelayMs ?? 1000) * 2 ** (attempt - 1)));
  }
  throw new Error(`${endpoint} did not accept round ${request.round} of ${request.task} (${last})`);
}
