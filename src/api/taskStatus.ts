import type { Request, Response } from 'express';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../config';
import {
  roundStates,
  searchAttributes,
  statusQuery,
  taskIdentity,
  type CheckAttempt,
  type RoundStatus,
  type TaskStatus,
} from '../shared';
import { sendError } from './errorAnswer';
import type { AppDeps } from './app';

/**
 * What API clients see of a task: the workflow's own account of its rounds (the `status` query),
 * joined with what Temporal knows of the activity running right now (its attempt and last error).
 * Round fields are snake_case like the callback's `repo_url`, `commit_sha`, `pages_url`.
 */

const temporalCallDeadlineMs = 5_000;
const unavailable = 'The workflow service is unavailable; try again later.';

export function withTemporalDeadline<T>(
  client: Client,
  call: () => Promise<T>,
  ms = temporalCallDeadlineMs,
): Promise<T> {
  return client.connection.withDeadline(Date.now() + ms, call);
}

/** The task's status URL, or one of its sub-resources (`/screenshots/<sha>`); `?email=` when multi-tenant. */
export function statusUrl(config: Config, task: string, email?: string, subPath = ''): string {
  const url = `${config.publicBaseUrl}/api/tasks/${encodeURIComponent(task)}${subPath}`;
  return config.multiTenant && email ? `${url}?email=${encodeURIComponent(email)}` : url;
}

export function uiUrl(config: Config, workflowId: string): string | undefined {
  const base = config.temporal.uiUrl;
  return base
    ? `${base}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`
    : undefined;
}

export function queryStatus(client: Client, workflowId: string, ms?: number): Promise<TaskStatus> {
  return withTemporalDeadline(client, () => client.workflow.getHandle(workflowId).query(statusQuery), ms);
}

export interface RunningActivity {
  step: string;
  attempt: number;
  lastError?: string;
}

export async function runningActivities(
  client: Client,
  workflowId: string,
): Promise<{ running: boolean; activities: RunningActivity[] }> {
  const description = await withTemporalDeadline(client, () =>
    client.workflow.getHandle(workflowId).describe(),
  );
  return {
    running: description.status.name === 'RUNNING',
    activities: (description.raw.pendingActivities ?? []).map((a) => ({
      step: a.activityType?.name ?? 'unknown',
      attempt: a.attempt ?? 1,
      ...(a.lastFailure?.message ? { lastError: a.lastFailure.message } : {}),
    })),
  };
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export type PresentedRound = ReturnType<typeof presentRound>;

function presentAttempt(a: CheckAttempt, screenshot: (sha256: string) => string) {
  return {
    attempt: a.attempt,
    commit_sha: a.commitSha,
    http_status: a.httpStatus,
    passed: a.passed,
    total: a.total,
    checks: a.results.map((c) => ({
      check: c.check,
      kind: c.kind,
      outcome: c.outcome,
      ...(c.detail ? { detail: c.detail } : {}),
      from_round: c.fromRound,
    })),
    console_errors: a.consoleErrors,
    page_errors: a.pageErrors,
    failed_requests: a.failedRequests,
    screenshot_url: a.screenshot ? screenshot(a.screenshot.sha256) : undefined,
  };
}

export function presentRound(
  r: RoundStatus,
  live: RunningActivity[],
  screenshot: (sha256: string) => string,
) {
  const inProgress = r.state !== 'queued' && r.state !== 'done' && r.state !== 'failed';
  const current = inProgress ? live : [];
  const retrying = current.find((a) => a.lastError);
  return {
    round: r.round,
    nonce: r.nonce,
    state: r.state,
    step: inProgress
      ? r.steps
          .filter((s) => s.finishedAt === undefined)
          .map((s) => s.step)
          .join(', ') || undefined
      : undefined,
    attempt: current.length ? Math.max(...current.map((a) => a.attempt)) : undefined,
    received_at: iso(r.receivedAt),
    deadline_at: iso(r.deadlineAt),
    finished_at: iso(r.finishedAt),
    steps: r.steps.map((s) => ({
      step: s.step,
      started_at: iso(s.startedAt),
      finished_at: iso(s.finishedAt),
      duration_ms: s.finishedAt === undefined ? undefined : s.finishedAt - s.startedAt,
      ...(s.error ? { error: s.error } : {}),
    })),
    repo_url: r.repoUrl,
    commit_sha: r.commitSha,
    pages_url: r.pagesUrl,
    model: r.model,
    callback: r.callback,
    cut_short: r.cutShort,
    repairs: r.repairs,
    best_attempt: r.bestAttempt,
    repairs_stopped: r.repairsStopped,
    check_attempts: r.checkAttempts?.map((a) => presentAttempt(a, screenshot)),
    last_error: r.lastError ?? retrying?.lastError,
  };
}

export function identityFromRequest(
  deps: AppDeps,
  req: Request,
  res: Response,
): { task: string; workflowId: string; email?: string } | undefined {
  const task = String(req.params.task);
  const email = typeof req.query.email === 'string' ? req.query.email : undefined;
  if (deps.config.multiTenant && !email) {
    sendError(res, 400, 'email is required (?email=…) when MULTI_TENANT=true', 'email');
    return undefined;
  }
  return { task, email, workflowId: taskIdentity(task, email ?? '', deps.config.multiTenant).workflowId };
}

/** GET /api/tasks/:task */
export async function taskStatus(deps: AppDeps, req: Request, res: Response): Promise<void> {
  const id = identityFromRequest(deps, req, res);
  if (!id) return;
  try {
    const [status, live] = await Promise.all([
      queryStatus(deps.temporal, id.workflowId),
      runningActivities(deps.temporal, id.workflowId),
    ]);
    res.json({
      task: status.task,
      workflowId: id.workflowId,
      statusUrl: statusUrl(deps.config, id.task, id.email),
      uiUrl: uiUrl(deps.config, id.workflowId),
      running: live.running,
      rounds: status.rounds.map((r) =>
        presentRound(r, live.activities, (sha) =>
          statusUrl(deps.config, id.task, id.email, `/screenshots/${sha}`),
        ),
      ),
    });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      return sendError(res, 404, `No task ${id.task} is known`, 'task');
    }
    deps.logger.error({ err, task: id.task }, 'status query failed');
    sendError(res, 503, unavailable);
  }
}

/** GET /api/tasks/:task/screenshots/:sha256: a self-check screenshot, only if it belongs to this task. */
export async function taskScreenshot(deps: AppDeps, req: Request, res: Response): Promise<void> {
  const id = identityFromRequest(deps, req, res);
  if (!id) return;
  const sha256 = String(req.params.sha256);
  if (!/^[0-9a-f]{64}$/.test(sha256)) return sendError(res, 400, 'sha256 must be 64 hex digits', 'sha256');
  let status: TaskStatus;
  try {
    status = await queryStatus(deps.temporal, id.workflowId);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      return sendError(res, 404, `No task ${id.task} is known`, 'task');
    deps.logger.error({ err, task: id.task }, 'status query failed');
    return sendError(res, 503, unavailable);
  }
  const owned = status.rounds.some((r) => r.checkAttempts?.some((a) => a.screenshot?.sha256 === sha256));
  if (!owned) return sendError(res, 404, `No screenshot ${sha256} belongs to task ${id.task}`, 'sha256');
  try {
    const bytes = await deps.blobs.get({ sha256 });
    res.type('image/png').set('cache-control', 'public, max-age=31536000, immutable').send(bytes);
  } catch {
    sendError(res, 404, `Screenshot ${sha256} is no longer stored`, 'sha256');
  }
}

/** GET /api/tasks?state=failed&email=…&limit=50: recent tasks through Temporal visibility. */
export async function listTasks(deps: AppDeps, req: Request, res: Response): Promise<void> {
  const state = typeof req.query.state === 'string' ? req.query.state : undefined;
  const email = typeof req.query.email === 'string' ? req.query.email : undefined;
  const limit = req.query.limit === undefined ? 50 : Number(req.query.limit);
  if (state !== undefined && !(roundStates as readonly string[]).includes(state)) {
    return sendError(res, 400, `state must be one of ${roundStates.join(', ')}`, 'state');
  }
  if (email !== undefined && !/^[^'"\\]{1,320}$/.test(email)) {
    return sendError(res, 400, 'email is not a valid email address', 'email');
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
    return sendError(res, 400, 'limit must be a whole number from 1 to 200', 'limit');
  }
  const query = [
    `WorkflowType = 'taskWorkflow'`,
    ...(state ? [`TaskState = '${state}'`] : []),
    ...(email ? [`TaskEmail = '${email}'`] : []),
  ].join(' AND ');
  try {
    const tasks = await withTemporalDeadline(deps.temporal, async () => {
      const found = [];
      for await (const wf of deps.temporal.workflow.list({ query, pageSize: limit })) {
        const task = wf.typedSearchAttributes.get(searchAttributes.taskId);
        const taskEmail = wf.typedSearchAttributes.get(searchAttributes.taskEmail);
        found.push({
          task,
          email: taskEmail,
          round: wf.typedSearchAttributes.get(searchAttributes.taskRound),
          state: wf.typedSearchAttributes.get(searchAttributes.taskState),
          workflowId: wf.workflowId,
          running: wf.status.name === 'RUNNING',
          started_at: wf.startTime.toISOString(),
          statusUrl: task ? statusUrl(deps.config, task, taskEmail) : undefined,
        });
        if (found.length >= limit) break;
      }
      return found;
    });
    res.json({ tasks });
  } catch (err) {
    deps.logger.error({ err }, 'listing tasks failed');
    sendError(res, 503, unavailable);
  }
}
