import type { Request, Response } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { RoundState, TaskStatus } from '../shared';
import type { AppDeps } from './app';
import { sendError } from './errorAnswer';
import {
  identityFromRequest,
  presentRound,
  queryStatus,
  runningActivities,
  statusUrl,
  type PresentedRound,
} from './taskStatus';

/**
 * `GET /api/tasks/:task/events`: a round's progress as Server-Sent Events. The workflow's status is
 * read every `pollMs` and an event is sent whenever what a watcher sees changes — so a late
 * subscriber gets the current state first, then the changes, then a `result` event, and the stream
 * ends. Reading (not pushing) keeps the workflow free of subscriber bookkeeping.
 */

const progressOf: Record<RoundState, number> = {
  queued: 0,
  generating: 0.2,
  publishing: 0.45,
  waiting_for_pages: 0.6,
  checking: 0.75,
  notifying: 0.9,
  done: 1,
  failed: 1,
};

export interface ProgressEvent {
  round: number;
  state: RoundState;
  step: string | undefined;
  attempt: number | undefined;
  message: string;
  progress: number;
  timestamp: string;
}

function describeRound(r: PresentedRound): string {
  if (r.state === 'done')
    return `Round ${r.round} done: ${r.pages_url ?? ''} @ ${r.commit_sha?.slice(0, 7) ?? '?'}`;
  if (r.state === 'failed') return `Round ${r.round} failed: ${r.last_error ?? 'see the status'}`;
  const checks = r.check_attempts?.at(-1);
  const parts = [`Round ${r.round}: ${r.state.replace(/_/g, ' ')}`];
  if (r.step) parts.push(`(${r.step}${r.attempt && r.attempt > 1 ? `, attempt ${r.attempt}` : ''})`);
  if (checks) parts.push(`— checks ${checks.passed}/${checks.total}`);
  if (r.repairs) parts.push(`— ${r.repairs} repair(s)`);
  if (r.last_error) parts.push(`— ${r.last_error}`);
  return parts.join(' ');
}

export function taskEvents(deps: AppDeps, pollMs = 400): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const id = identityFromRequest(deps, req, res);
    if (!id) return;
    const wanted = req.query.round === undefined ? undefined : Number(req.query.round);
    if (wanted !== undefined && (!Number.isInteger(wanted) || wanted < 1)) {
      return sendError(res, 400, 'round must be a whole number of at least 1', 'round');
    }
    const screenshot = (sha: string) => statusUrl(deps.config, id.task, id.email, `/screenshots/${sha}`);
    const read = async (): Promise<PresentedRound | undefined> => {
      const [status, live]: [TaskStatus, Awaited<ReturnType<typeof runningActivities>>] = await Promise.all([
        queryStatus(deps.temporal, id.workflowId),
        runningActivities(deps.temporal, id.workflowId),
      ]);
      const round =
        wanted === undefined ? status.rounds.at(-1) : status.rounds.filter((r) => r.round === wanted).at(-1);
      return round && presentRound(round, live.activities, screenshot);
    };

    let first: PresentedRound | undefined;
    try {
      first = await read();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError)
        return sendError(res, 404, `No task ${id.task} is known`, 'task');
      deps.logger.error({ err, task: id.task }, 'status query failed');
      return sendError(res, 503, 'The workflow service is unavailable; try again later.');
    }
    if (!first) {
      return sendError(res, 404, `Task ${id.task} has no round ${wanted ?? ''}`.trim(), 'round');
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    let closed = false;
    req.on('close', () => {
      closed = true;
    });
    let sequence = 0;
    const send = (event: string, data: unknown) => {
      res.write(`id: ${++sequence}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    let last = '';
    let idleSince = Date.now();
    let round: PresentedRound | undefined = first;
    while (!closed) {
      if (round) {
        const event: Omit<ProgressEvent, 'timestamp'> = {
          round: round.round,
          state: round.state,
          step: round.step,
          attempt: round.attempt,
          message: describeRound(round),
          progress: progressOf[round.state],
        };
        const key = JSON.stringify(event);
        if (key !== last) {
          last = key;
          idleSince = Date.now();
          send('progress', { ...event, timestamp: new Date().toISOString() });
        }
        if (round.state === 'done' || round.state === 'failed') {
          send('result', round);
          break;
        }
      }
      if (Date.now() - idleSince > 15_000) {
        res.write(': still working\n\n'); // keeps proxies from closing a quiet stream
        idleSince = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      if (closed) break;
      try {
        round = await read();
      } catch (err) {
        send('error', { message: `could not read the task's status: ${(err as Error).message}` });
        break;
      }
    }
    res.end();
  };
}
