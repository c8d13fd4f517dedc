/** The seam between the workflow and wherever apps are published (GitHub, or git on local disk). */
export interface RepoRef {
  owner: string;
  name: string;
  /** What the callback reports as `repo_url`. */
  url: string;
}

export interface RepoFile {
  path: string;
  content: Buffer;
}

export interface PublishRequest {
  /** First line of the commit message. */
  title: string;
  /** Identifies this publish; a head commit carrying it means the publish already happened. */
  idempotencyKey: string;
  /** Files to add or replace on top of the current head; files not listed stay as they are. */
  files: RepoFile[];
}

export interface PublishResult {
  commitSha: string;
  /** False when the head already was this publish's commit (a retried activity). */
  created: boolean;
}

export interface WaitOptions {
  /** Called on every poll so the activity can heartbeat. */
  onPoll?: (detail: { attempt: number; state: string }) => void;
  pollIntervalMs?: number;
  /** Give up (retryably) after this long; the activity's retry starts a fresh wait. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface Forge {
  readonly kind: 'github' | 'local';
  /** Whether the credentials work (GitHub: the token is accepted); for `/ready`. Never throws. */
  checkAccess(): Promise<{ ok: boolean; detail: string }>;
  /** Creates the repo (with an initial commit) or reuses the existing one. */
  ensureRepo(req: { name: string; description: string; mustExist: boolean }): Promise<RepoRef>;
  /** The commit `main` points at, or undefined for a repo without commits. */
  headCommit(repo: RepoRef): Promise<string | undefined>;
  /** The files on `main`, empty for a repo without commits. */
  readFiles(repo: RepoRef): Promise<RepoFile[]>;
  /** Exactly one commit on `main` per call, or the existing one for the same idempotency key. */
  publish(repo: RepoRef, req: PublishRequest): Promise<PublishResult>;
  /** Turns the static site on (already on is success) and says where it is served. */
  ensurePages(repo: RepoRef): Promise<{ pagesUrl: string }>;
  /** Resolves once the site serves `commitSha` (or a later commit). */
  waitForPages(repo: RepoRef, commitSha: string, options?: WaitOptions): Promise<{ pagesUrl: string }>;
}

/** The trailer that marks a commit as a given publish, surviving retries and crashes. */
export const idempotencyTrailer = 'Nonce';

export function trailerValue(key: string): string {
  return key.replace(/\s+/g, ' ').trim();
}

export function commitMessage(req: PublishRequest): string {
  return `${req.title}\n\n${idempotencyTrailer}: ${trailerValue(req.idempotencyKey)}\n`;
}

export function hasIdempotencyKey(message: string, key: string): boolean {
  const wanted = `${idempotencyTrailer}: ${trailerValue(key)}`;
  return message.split('\n').some((line) => line.trim() === wanted);
}
