import type { Request, Response } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import { putJson } from '../blobs/blobStore';
import {
  roundSignal,
  searchAttributes,
  taskIdentity,
  type AttachmentRef,
  type RoundRequest,
  type RoundSpec,
  type TaskWorkflowInput,
} from '../shared';
import type { AppDeps } from './app';
import { sendError } from './errorAnswer';
import { checkSecret } from './secretCheck';
import { parseTaskRequest } from './taskRequest';
import { queryStatus, statusUrl, uiUrl, withTemporalDeadline } from './taskStatus';

/**
 * POST /api/tasks: authenticate, validate, store the large parts in the blob store, then hand the
 * round to the task's workflow with signalWithStart and answer at once. The secret stops here.
 */
export async function submitTask(deps: AppDeps, req: Request, res: Response): Promise<void> {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return sendError(res, 400, 'The request body must be a JSON object', 'body');
  }
  const verdict = checkSecret((body as Record<string, unknown>).secret, deps.config.apiSecrets);
  if (verdict === 'missing') return sendError(res, 401, 'secret is required', 'secret');
  if (verdict === 'not_a_string') return sendError(res, 400, 'secret must be a string', 'secret');
  if (verdict === 'wrong') return sendError(res, 403, 'secret does not match', 'secret');

  const parsed = parseTaskRequest(body);
  if (!parsed.ok) {
    const first = parsed.problems[0]!;
    return sendError(res, 400, `${first.field} ${first.message}`, first.field, { problems: parsed.problems });
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
    requestId: String(req.id),
    modelHint: deps.config.llm.models[0],
    quality: { selfCheck: deps.config.selfCheck.enabled, maxRepairs: deps.config.selfCheck.maxRepairs },
  };
  const { workflowId, repoName } = taskIdentity(r.task, r.email, deps.config.multiTenant);
  const answer = {
    task: r.task,
    round: r.round,
    nonce: r.nonce,
    workflowId,
    statusUrl: statusUrl(deps.config, r.task, r.email),
    uiUrl: uiUrl(deps.config, workflowId),
  };
  const known = await knownRound(deps, workflowId, r.nonce);
  if (known) {
    req.log.info({ task: r.task, round: r.round, nonce: r.nonce, workflowId }, 're-sent round recognised');
    res.status(200).json({ status: 'duplicate', ...answer, state: known.state });
    return;
  }
  const input: TaskWorkflowInput = {
    task: r.task,
    repoName,
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
        staticDetails: [
          `**Task** ${r.task} · **email** ${r.email} · first request: round ${r.round}`,
          '',
          `**Brief:** ${round.briefPreview}`,
          '',
          `Status: ${statusUrl(deps.config, r.task, r.email)}`,
        ].join('\n'),
      }),
    );
  } catch (err) {
    deps.logger.error({ err, task: r.task }, 'could not hand the round to Temporal');
    return sendError(
      res,
      503,
      'The workflow service is unavailable; the request was not accepted. Send it again later.',
    );
  }
  req.log.info({ task: r.task, round: r.round, nonce: r.nonce, workflowId }, 'round accepted');
  res.status(200).json({ status: 'accepted', ...answer });
}

/**
 * The round this nonce already started, if the workflow can say so quickly. Only an optimisation
 * for the answer: the workflow itself ignores a nonce it has seen, so a miss here costs nothing.
 */
async function knownRound(deps: AppDeps, workflowId: string, nonce: string) {
  try {
    const status = await queryStatus(deps.temporal, workflowId, 1_000);
    return status.rounds.find((round) => round.nonce === nonce);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError))
      deps.logger.debug({ err, workflowId }, 'duplicate check skipped');
    return undefined;
  }
}
