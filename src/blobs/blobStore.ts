import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BlobRef } from '../shared';

/**
 * Content-addressed storage for everything too large for workflow history (the claim check).
 * Local disk today; an S3-compatible store implements the same two calls.
 */
export interface BlobStore {
  put(bytes: Uint8Array): Promise<BlobRef>;
  /** Throws BlobNotFoundError when no blob has that hash. */
  get(ref: Pick<BlobRef, 'sha256'>): Promise<Buffer>;
}

export class BlobNotFoundError extends Error {
  constructor(sha256: string) {
    super(`blob ${sha256} is not in the blob store`);
    this.name = 'BlobNotFoundError';
  }
}

const sha256Pattern = /^[0-9a-f]{64}$/;

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Blobs as files `<dir>/<first two hex>/<sha256>`, written atomically (temp file + rename). A blob
 * stored twice is simply renamed over its identical self: no existence check, which on the API's
 * path cost a stat and a thrown ENOENT per request (a sixth of its CPU at 100 requests/s).
 */
export class LocalBlobStore implements BlobStore {
  private readonly madeDirs = new Set<string>();

  constructor(private readonly dir: string) {}

  async put(bytes: Uint8Array): Promise<BlobRef> {
    const sha256 = sha256Of(bytes);
    const file = this.fileFor(sha256);
    const dir = path.dirname(file);
    if (!this.madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file).catch(async (err) => {
      await unlink(tmp).catch(() => undefined);
      throw err;
    });
    return { sha256, size: bytes.byteLength };
  }

  async get(ref: Pick<BlobRef, 'sha256'>): Promise<Buffer> {
    try {
      return await readFile(this.fileFor(ref.sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(ref.sha256);
      throw err;
    }
  }

  private fileFor(sha256: string): string {
    // The hash doubles as a file name, so only a real sha256 may reach the file system.
    if (!sha256Pattern.test(sha256)) throw new BlobNotFoundError(sha256);
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }
}

export async function putJson(store: BlobStore, value: unknown): Promise<BlobRef> {
  return store.put(Buffer.from(JSON.stringify(value), 'utf8'));
}

export async function getJson<T>(store: BlobStore, ref: Pick<BlobRef, 'sha256'>): Promise<T> {
  return JSON.parse((await store.get(ref)).toString('utf8')) as T;
}
