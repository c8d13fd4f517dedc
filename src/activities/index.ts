import { Context } from '@temporalio/activity';
import { getJson, type BlobStore } from '../blobs/blobStore';
import { deliverCallback } from '../callback/notifyEvaluator';
import type { Forge, RepoFile, RepoRef } from '../forge/forge';
import { roundFiles } from '../forge/roundFiles';
import { callbacksTotal } from '../metrics';
import { runChecks, type CheckRunOptions } from '../checks/runChecks';
import { judgeTextChecks } from '../checks/judgeChecks';
import { clip } from '../clip';
import type { ModelClient } from '../llm/modelClient';
import type { GeneratedApp } from '../llm/modelOutput';
import { offlineApp } from '../llm/offlineApp';
import { buildMessages, buildRepairMessages, type ChatMessage, type PromptInput } from '../llm/prompt';
import { withReadme } from '../llm/readmeFallback';
import type {
  AttachmentRef,
  BlobRef,
  CallbackPayload,
  CheckAttempt,
  CheckSummary,
  FileRef,
  RoundSpec,
} from '../shared';

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
  /** The self-check's browser; `serveLocally` lets tests answer CDN requests from local copies. */
  checks: Pick<CheckRunOptions, 'chromiumPath' | 'checkTimeoutMs' | 'serveLocally' | 'browser'>;
}

/** A round's brief and checks by reference, tagged with the round they came from. */
export interface SpecOfRound {
  round: number;
  spec: BlobRef;
}

export interface GenerateAppInput {
  task: string;
  round: number;
  spec: BlobRef;
  /** Earlier rounds' specs, whose checks evaluators re-run. */
  earlierSpecs?: SpecOfRound[];
  attachments: AttachmentRef[];
  repo: RepoRef;
}

export interface RepairAppInput extends GenerateAppInput {
  pagesUrl: string;
  /** The self-check that failed; the repo's head is its commit. */
  failed: CheckAttempt;
}

export interface GenerateAppResult {
  files: FileRef[];
  model: string;
  notes: string;
  /** False for the offline generator, which cannot act on failing checks. */
  repairable: boolean;
}

export interface SelfCheckInput {
  task: string;
  round: number;
  attempt: number;
  repo: RepoRef;
  commitSha: string;
  pagesUrl: string;
  /** This round's spec first, then earlier rounds'. */
  specs: SpecOfRound[];
}

export interface PublishRoundInput {
  repo: RepoRef;
  round: number;
  nonce: string;
  files: FileRef[];
  attachments: AttachmentRef[];
  /** Set for a repair's commit (1, 2, …); each attempt is its own commit. */
  repair?: number;
  /** Set when republishing the files of an earlier attempt that passed more checks. */
  restoreOf?: number;
}

/** Each publish of a round is its own commit, recognised by its key when a retry finds it done. */
function publishIdentity(input: PublishRoundInput): { title: string; idempotencyKey: string } {
  if (input.restoreOf !== undefined)
    return {
      title: `Round ${input.round}: restore attempt ${input.restoreOf}, which passed the most checks`,
      idempotencyKey: `${input.nonce}/restore-${input.restoreOf}`,
    };
  if (input.repair)
    return {
      title: `Round ${input.round}: repair ${input.repair} (fix failing checks)`,
      idempotencyKey: `${input.nonce}/repair-${input.repair}`,
    };
  return { title: `Round ${input.round}: publish the generated app`, idempotencyKey: input.nonce };
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

/**
 * Runs `work`, heartbeating every 5 s with `details()` meanwhile. Heartbeats prove the worker is
 * alive, not that the work makes visible progress: a model may think for a minute before its first
 * token, and Chromium re-polls checks quietly.
 */
async function heartbeatingWhile<T>(details: () => unknown, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => Context.current().heartbeat(details()), 5_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** Each distinct check once, from the first spec that lists it (the current round comes first). */
function distinctChecks(specs: { round: number; spec: RoundSpec }[]): { round: number; check: string }[] {
  const seen = new Set<string>();
  const checks: { round: number; check: string }[] = [];
  for (const s of specs) {
    for (const check of s.spec.checks) {
      if (seen.has(check)) continue;
      seen.add(check);
      checks.push({ round: s.round, check });
    }
  }
  return checks;
}

async function loadFiles(blobs: BlobStore, refs: { path: string; sha256: string }[]): Promise<RepoFile[]> {
  return Promise.all(refs.map(async (r) => ({ path: r.path, content: await blobs.get(r) })));
}

export function createActivities(deps: ActivityDeps) {
  const now = deps.now ?? (() => new Date());

  /** The brief, the attachments' bytes and (for revisions and repairs) the app as it is on the forge. */
  async function loadPromptInput(
    input: GenerateAppInput,
    opts: { readCurrentFiles?: boolean } = {},
  ): Promise<PromptInput> {
    const spec = await getJson<RoundSpec>(deps.blobs, input.spec);
    const attachments = await Promise.all(
      input.attachments.map(async (a) => ({ name: a.name, type: a.type, bytes: await deps.blobs.get(a) })),
    );
    // Revisions start from the repo as it is, not from workflow memory, so a fresh workflow works too.
    const currentFiles =
      input.round > 1 || opts.readCurrentFiles ? await deps.forge.readFiles(input.repo) : [];
    const repeated = new Set(spec.checks);
    const earlierChecks = distinctChecks(await loadSpecs(input.earlierSpecs ?? [])).filter(
      (c) => !repeated.has(c.check),
    );
    return { task: input.task, round: input.round, spec, attachments, currentFiles, earlierChecks };
  }

  function loadSpecs(refs: SpecOfRound[]): Promise<{ round: number; spec: RoundSpec }[]> {
    return Promise.all(
      refs.map(async (r) => ({ round: r.round, spec: await getJson<RoundSpec>(deps.blobs, r.spec) })),
    );
  }

  async function writeApp(
    prompt: PromptInput,
    messages: ChatMessage[],
    opts: { repair: boolean },
  ): Promise<GenerateAppResult> {
    const heartbeat = throttledHeartbeat();
    let progress: unknown = { stage: 'waiting for the model' };
    const { app, model } = await heartbeatingWhile(
      () => progress,
      () =>
        deps.model.generate(messages, {
          onProgress: (p) => {
            progress = p;
            heartbeat(p);
          },
          signal: Context.current().cancellationSignal,
          knownSecrets: deps.knownSecrets,
          existingPaths: prompt.currentFiles.map((f) => f.path),
        }),
    );
    // A repair that leaves README.md out leaves it as it is; a round that does gets one (see withReadme).
    const currentReadme = prompt.currentFiles.find((f) => f.path === 'README.md')?.content.toString('utf8');
    const files = opts.repair
      ? app.files
      : withReadme({ ...prompt, files: app.files, notes: app.notes, currentReadme });
    return storeApp({ files, notes: app.notes }, model, true);
  }

  async function storeApp(app: GeneratedApp, model: string, repairable: boolean): Promise<GenerateAppResult> {
    const files = await Promise.all(
      app.files.map(async (f) => ({
        path: f.path,
        ...(await deps.blobs.put(Buffer.from(f.content, 'utf8'))),
      })),
    );
    return { files, model, notes: app.notes, repairable };
  }

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
      const prompt = await loadPromptInput(input);
      if (deps.model.offline) {
        return storeApp(offlineApp(prompt), 'offline', false);
      }
      return writeApp(prompt, buildMessages(prompt), { repair: false });
    },

    async repairApp(input: RepairAppInput): Promise<GenerateAppResult> {
      const prompt = await loadPromptInput(input, { readCurrentFiles: true });
      return writeApp(
        prompt,
        buildRepairMessages({ ...prompt, pagesUrl: input.pagesUrl, attempt: input.failed }),
        { repair: true },
      );
    },

    async selfCheck(input: SelfCheckInput): Promise<Omit<CheckAttempt, 'attempt'>> {
      const specs = await loadSpecs(input.specs);
      const checks = distinctChecks(specs);
      if (checks.length === 0) {
        // Nothing to verify and nothing a repair could aim at: no browser for a round without checks.
        return {
          commitSha: input.commitSha,
          results: [],
          passed: 0,
          total: 0,
          consoleErrors: [],
          pageErrors: [],
          failedRequests: [],
        };
      }
      return heartbeatingWhile(
        () => ({ stage: 'checking' }),
        async () => {
          const report = await runChecks(
            input.pagesUrl,
            checks.map((c) => c.check),
            deps.checks,
          );
          const results: CheckSummary[] = report.results.map((r, i) => ({
            check: clip(r.check, 500),
            kind: r.kind,
            outcome: r.outcome,
            ...(r.detail ? { detail: clip(r.detail, 300) } : {}),
            fromRound: checks[i]!.round,
          }));
          const textChecks = results.filter((r) => r.kind === 'text');
          if (textChecks.length) {
            await judgeTextChecks(textChecks, {
              model: deps.model,
              evidence: {
                task: input.task,
                round: input.round,
                brief: specs[0]!.spec.brief,
                checks: textChecks.map((c) => c.check),
                files: await deps.forge.readFiles(input.repo),
                pageText: report.pageText,
                screenshot: report.screenshot,
              },
              signal: Context.current().cancellationSignal,
            });
          }
          const screenshot = report.screenshot ? await deps.blobs.put(report.screenshot) : undefined;
          return {
            commitSha: input.commitSha,
            ...(report.httpStatus !== undefined ? { httpStatus: report.httpStatus } : {}),
            results,
            passed: results.filter((r) => r.outcome === 'pass').length,
            total: results.length,
            consoleErrors: firstFew(report.consoleErrors),
            pageErrors: firstFew(report.pageErrors),
            failedRequests: firstFew(report.failedRequests),
            ...(screenshot ? { screenshot } : {}),
          };
        },
      );
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
      const committing = { stage: 'committing', files: files.length };
      Context.current().heartbeat(committing);
      // A publish is several GitHub calls; a slow GitHub must not look like a lost worker (20 s).
      return heartbeatingWhile(
        () => committing,
        () => deps.forge.publish(input.repo, { ...publishIdentity(input), files }),
      );
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
      try {
        const { status } = await deliverCallback(input.evaluationUrl, input.payload, attempt);
        callbacksTotal.inc({ outcome: 'accepted' });
        return { status, attempts: attempt };
      } catch (err) {
        const type = (err as { type?: string }).type;
        callbacksTotal.inc({ outcome: type === 'EvaluatorUnreachable' ? 'unreachable' : 'rejected' });
        throw err;
      }
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** Page problems kept in history: the first few, each clipped. */
function firstFew(items: string[]): string[] {
  return items.slice(0, 10).map((i) => clip(i, 300));
}
