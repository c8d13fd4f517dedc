import { listenLocal, readBody, type LocalServer } from './httpServer';

export interface ReceivedCallback {
  body: Record<string, unknown>;
  receivedAt: number;
  answeredWith: number;
}

export interface FakeEvaluator extends LocalServer {
  callbacks: ReceivedCallback[];
  /** Resolves once `count` callbacks were answered 200, or rejects after `timeoutMs`. */
  waitForAccepted(count: number, timeoutMs: number): Promise<ReceivedCallback[]>;
}

/** A course evaluator's callback endpoint: records every POST and answers as `respond` says (200 by default). */
export async function startFakeEvaluator(
  respond: (n: number, body: Record<string, unknown>) => number = () => 200,
): Promise<FakeEvaluator> {
  const callbacks: ReceivedCallback[] = [];
  const server = await listenLocal(async (req, res) => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      res.writeHead(400).end('invalid JSON');
      return;
    }
    const status = respond(callbacks.length + 1, body);
    callbacks.push({ body, receivedAt: Date.now(), answeredWith: status });
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: status === 200 }));
  });
  const accepted = () => callbacks.filter((c) => c.answeredWith === 200);
  return {
    ...server,
    callbacks,
    async waitForAccepted(count, timeoutMs) {
      const until = Date.now() + timeoutMs;
      while (accepted().length < count) {
        if (Date.now() > until)
          throw new Error(
            `expected ${count} accepted callbacks, got ${accepted().length} (${callbacks.length} in all)`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
      return accepted();
    },
  };
}
