import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CallbackPayload } from '../shared';

/**
 * The evaluator's records, as JSON files in one directory: the rounds it issued (with their
 * checks, for checking later) and the callbacks it accepted (one per nonce). Writes are serialised
 * and atomic, so `serve` and `send` can share a directory.
 */

export interface IssuedRound {
  email: string;
  task: string;
  round: number;
  nonce: string;
  checks: string[];
  endpoint: string;
  issuedAt: string;
}

/** A callback as the protocol defines it, and when it arrived. */
export interface ReceivedCallback extends CallbackPayload {
  receivedAt: string;
}

interface LedgerFile {
  issued: IssuedRound[];
  callbacks: ReceivedCallback[];
}

export class Ledger {
  private readonly file: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string) {
    this.file = path.join(dir, 'ledger.json');
  }

  async read(): Promise<LedgerFile> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as LedgerFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { issued: [], callbacks: [] };
      throw err;
    }
  }

  /** Runs `change` on the current contents and saves the result, one change at a time. */
  private update<T>(change: (data: LedgerFile) => T): Promise<T> {
    const run = this.queue.then(async () => {
      const data = await this.read();
      const result = change(data);
      await mkdir(this.dir, { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(data, null, 2));
      await rename(tmp, this.file);
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  recordIssued(round: IssuedRound): Promise<void> {
    return this.update((data) => {
      data.issued.push(round);
    });
  }

  /** Stores a callback once per nonce; returns false when that nonce was already stored. */
  recordCallback(callback: ReceivedCallback): Promise<boolean> {
    return this.update((data) => {
      if (data.callbacks.some((c) => c.nonce === callback.nonce)) return false;
      data.callbacks.push(callback);
      return true;
    });
  }
}
