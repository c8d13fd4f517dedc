import type { Server } from 'node:http';
import express from 'express';
import { z } from 'zod';
import { Ledger } from './ledger';

/**
 * `serve`: the evaluator's callback endpoint. Like a course's, it accepts a callback only when its
 * email, task, round and nonce match a round it issued (else 400 with the reason), stores it, and
 * is idempotent per nonce: a re-sent callback is answered 200 and stored once.
 */

const callbackSchema = z.object({
  email: z.string().min(1),
  task: z.string().min(1),
  round: z.number().int().min(1),
  nonce: z.string().min(1),
  repo_url: z.url({ protocol: /^https?$/ }),
  commit_sha: z.string().regex(/^[0-9a-f]{40}$/, 'must be a 40-hex-digit commit'),
  pages_url: z.url({ protocol: /^https?$/ }),
});

export function receiverApp(ledger: Ledger): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.post('/{*path}', express.json({ limit: '100kb', type: () => true }), async (req, res) => {
    const parsed = callbackSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return void res
        .status(400)
        .json({ status: 'error', error: `${issue.path.join('.')} ${issue.message}` });
    }
    const cb = parsed.data;
    const { issued } = await ledger.read();
    const sameTask = issued.filter((i) => i.task === cb.task);
    const reason =
      sameTask.length === 0
        ? `no task ${cb.task} was issued`
        : !sameTask.some((i) => i.email === cb.email)
          ? `task ${cb.task} was not issued to ${cb.email}`
          : !sameTask.some((i) => i.nonce === cb.nonce)
            ? `nonce ${cb.nonce} does not belong to task ${cb.task}`
            : !sameTask.some((i) => i.nonce === cb.nonce && i.round === cb.round)
              ? `nonce ${cb.nonce} was issued for another round than ${cb.round}`
              : undefined;
    if (reason) return void res.status(400).json({ status: 'error', error: reason });
    const stored = await ledger.recordCallback({ ...cb, receivedAt: new Date().toISOString() });
    res.json({ status: stored ? 'accepted' : 'duplicate' });
  });
  app.use((_req, res) => void res.status(404).json({ status: 'error', error: 'POST callbacks here' }));
  return app;
}

export async function startReceiver(opts: {
  port: number;
  dir: string;
}): Promise<{ server: Server; url: string }> {
  const app = receiverApp(new Ledger(opts.dir));
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port, '0.0.0.0', () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return { server, url: `http://localhost:${port}` };
}
