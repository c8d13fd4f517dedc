import type { Request, Response } from 'express';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { putJson } from '../blobs/blobStore';
import {
  roundSignal,
  searchAttributes,
  statusQuery,
  workflowIdForTask,
  type AttachmentRef,
  type RoundRequest,
  type RoundSpec,
  type TaskWorkflowInput,
} from '../shared';
import type { AppDeps } from './app';
import { checkSecret } from './secretCheck';
import { parseTaskRequest } from './taskRequest';

function statusUrl(deps: AppDeps, task: string): string {
  return `${deps.config.publicBaseUrl}/api/tasks/${encodeURIComponent(task)}`;
}

function fail(res: Response, status: number, error: string, field?: string, more?: object): void {
  res.status(status).json({ status: 'error', error, ...(field ? { field } : {}), ...more });
}

/**
 * POST /api/tasks: authenticate, validate, store the large parts in the blob store, then hand the
 * round to the task's workflow with signalWithStart and answer at once. The secret stops here.
 */
export async function submitTask(deps: AppDeps, req: Request, res: Response): Promise<void> {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail(res, 400, 'The request body must be a JSON object', 'body');
  }
  const verdict = checkSecret((body as Record<string, unknown>).secret, deps.config.apiSecrets);
  if (verdict === 'missing') return fail(res, 401, 'secret is required', 'secret');
  if (verdict === 'not_a_string') return fail(res, 400, 'secret must be a string', 'secret');
  if (verdict === 'wrong') return fail(res, 403, 'secret does not match', 'secret');

  const parsed = parseTaskRequest(body);
  if (!parsed.ok) {
    const first = parsed.problems[0]!;
    return fail(res, 400, `${first.field} ${first.message}`, first.field, { problems: parsed.problems });
  }
  const r = parsed.request;
  const receivedAt = Date.now();

  const attachments: AttachmentRef[] = await Promise.all(
    r.attachments.map(async (a) => ({ name: a.name, type: a.type, ...(await deps.blobs.put(a.bytes)) })),
  );
  const spec: RoundSpec = {
    brief: r.brief,
    checks: r.checks,
    ...(r.briefTitle ? { briefTitle: r.briefTitle } : {}),
  };
  const round: RoundRequest = {
    round: r.round,
    nonce: r.nonce,
    email: r.email,
    evaluationUrl: r.evaluationUrl,
    receivedAt,
    spec: await putJson(deps.blobs, spec),
    attachments,
    briefPreview: (r.briefTitle || r.brief).split('\n')[0]!.slice(0, 200),
  };
  const workflowId = workflowIdForTask(r.task);
  const input: TaskWorkflowInput = {
    task: r.task,
    roundDeadlineMs: deps.config.roundDeadlineMs,
    idleTimeoutMs: deps.config.idleTimeoutMs,
  };
  try {
    await withTemporalDeadline(deps.temporal, () =>
      deps.temporal.workflow.signalWithStart('taskWorkflow', {
        workflowId,
        taskQueue: deps.config.temporal.taskQueue,
        args: [input],
        signal: roundSignal,
        signalArgs: [round],
        typedSearchAttributes: [
          { key: searchAttributes.taskId, value: r.task },
          { key: searchAttributes.taskEmail, value: r.email },
        ],
        staticSummary: `Task ${r.task} for ${r.email}`,
      }),
    );
  } catch (err) {
    deps.logger.error({ err, task: r.task }, 'could not hand the round to Temporal');
    return fail(
      res,
      503,
      'The workflow service is unavailable; the request was not accepted. Send it again later.',
    );
  }
  req.log.info({ task: r.task, round: r.round, nonce: r.nonce, workflowId }, 'round accepted');
  res.status(200).json({
    status: 'accepted',
    task: r.task,
    round: r.round,
    nonce: r.nonce,
    workflowId,
    statusUrl: statusUrl(deps, r.task),
  });
}

/** GET /api/tasks/:task: the task workflow's own account of its rounds. */
export async function taskStatus(deps: AppDeps, req: Request, res: Response): Promise<void> {
  const task = String(req.params.task);
  try {
    const status = await queryStatus(deps.temporal, task);
    res.json({ ...status, workflowId: workflowIdForTask(task), statusUrl: statusUrl(deps, task) });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return fail(res, 404, `No task ${task} is known`, 'task');
    deps.logger.error({ err, task }, 'status query failed');
    return fail(res, 503, 'The workflow service is unavailable; try again later.');
  }
}

export function queryStatus(client: Client, task: string) {
  return withTemporalDeadline(client, () =>
    client.workflow.getHandle(workflowIdForTask(task)).query(statusQuery),
  );
}

const temporalCallDeadlineMs = 5_000;

function withTemporalDeadline<T>(client: Client, call: () => Promise<T>): Promise<T> {
  return client.connection.withDeadline(Date.now() + temporalCallDeadlineMs, call);
}
