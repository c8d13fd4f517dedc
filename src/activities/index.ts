import { Context } from '@temporalio/activity';
import { getJson, type BlobStore } from '../blobs/blobStore';
import { deliverCallback } from '../callback/notifyEvaluator';
import type { Forge, RepoFile, RepoRef } from '../forge/forge';
import { roundFiles } from '../forge/roundFiles';
import type { ModelClient } from '../llm/modelClient';
import { buildMessages } from '../llm/prompt';
import type { AttachmentRef, CallbackPayload, FileRef, RoundSpec } from '../shared';

/** Everything the activities need, built once by the worker (or by a test) and injected. */
export interface ActivityDeps {
  blobs: BlobStore;
  forge: Forge;
  model: ModelClient;
  /** The service's credentials, refused if they ever appear in generated files. */
  knownSecrets: readonly string[];
  now?: () => Date;
  /** How often waits poll; small in tests. */
  pagesPollIntervalMs?: number;
}

export interface GenerateAppInput {
  task: string;
  round: number;
  spec: { sha256: string; size: number };
  attachments: AttachmentRef[];
  repo: RepoRef;
}

export interface GenerateAppResult {
  files: FileRef[];
  model: string;
  notes: string;
}

export interface PublishRoundInput {
  repo: RepoRef;
  round: number;
  nonce: string;
  files: FileRef[];
  attachments: AttachmentRef[];
}

/** Heartbeats at most once a second: enough to prove liveness without flooding the server. */
function throttledHeartbeat(): (details: unknown) => void {
  let last = 0;
  return (details) => {
    const now = Date.now();
    if (now - last < 1000) return;
    last = now;
    Context.current().heartbeat(details);
  };
}

async function loadFiles(blobs: BlobStore, refs: { path: string; sha256: string }[]): Promise<RepoFile[]> {
  return Promise.all(refs.map(async (r) => ({ path: r.path, content: await blobs.get(r) })));
}

export function createActivities(deps: ActivityDeps) {
  const now = deps.now ?? (() => new Date());

  return {
    async ensureRepo(input: { task: string; description: string; mustExist: boolean }): Promise<RepoRef> {
      return deps.forge.ensureRepo({
        name: input.task,
        description: input.description,
        mustExist: input.mustExist,
      });
    },

    async currentCommit(input: { repo: RepoRef }): Promise<{ commitSha: string | undefined }> {
      return { commitSha: await deps.forge.headCommit(input.repo) };
    },

    async ensurePages(input: { repo: RepoRef }): Promise<{ pagesUrl: string }> {
      return deps.forge.ensurePages(input.repo);
    },

    async generateApp(input: GenerateAppInput): Promise<GenerateAppResult> {
      const spec = await getJson<RoundSpec>(deps.blobs, input.spec);
      const attachments = await Promise.all(
        input.attachments.map(async (a) => ({ name: a.name, type: a.type, bytes: await deps.blobs.get(a) })),
      );
      // Revisions start from the repo as it is, not from workflow memory, so a fresh workflow works too.
      const currentFiles = input.round > 1 ? await deps.forge.readFiles(input.repo) : [];
      const heartbeat = throttledHeartbeat();
      const { app, model } = await deps.model.generate(
        buildMessages({ task: input.task, round: input.round, spec, attachments, currentFiles }),
        {
          onProgress: (p) => heartbeat(p),
          signal: Context.current().cancellationSignal,
          knownSecrets: deps.knownSecrets,
          existingPaths: currentFiles.map((f) => f.path),
        },
      );
      const files = await Promise.all(
        app.files.map(async (f) => ({
          path: f.path,
          ...(await deps.blobs.put(Buffer.from(f.content, 'utf8'))),
        })),
      );
      return { files, model, notes: app.notes };
    },

    async publishRound(input: PublishRoundInput): Promise<{ commitSha: string; created: boolean }> {
      Context.current().heartbeat({ stage: 'loading files' });
      const [generated, attachments] = await Promise.all([
        loadFiles(deps.blobs, input.files),
        loadFiles(
          deps.blobs,
          input.attachments.map((a) => ({ path: a.name, sha256: a.sha256 })),
        ),
      ]);
      const files = roundFiles({
        attachments,
        generated,
        year: now().getUTCFullYear(),
        holder: input.repo.owner,
      });
      Context.current().heartbeat({ stage: 'committing', files: files.length });
      return deps.forge.publish(input.repo, {
        title: `Round ${input.round}: publish the generated app`,
        idempotencyKey: input.nonce,
        files,
      });
    },

    async waitForPages(input: { repo: RepoRef; commitSha: string }): Promise<{ pagesUrl: string }> {
      const heartbeat = throttledHeartbeat();
      return deps.forge.waitForPages(input.repo, input.commitSha, {
        onPoll: (d) => heartbeat(d),
        pollIntervalMs: deps.pagesPollIntervalMs,
        signal: Context.current().cancellationSignal,
      });
    },

    async notifyEvaluator(input: {
      evaluationUrl: string;
      payload: CallbackPayload;
    }): Promise<{ status: number; attempts: number }> {
      const attempt = Context.current().info.attempt;
      const { status } = await deliverCallback(input.evaluationUrl, input.payload, attempt);
      return { status, attempts: attempt };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
