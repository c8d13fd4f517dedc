import type { Request, Response } from 'express';
import { temporal } from '@temporalio/proto';
import { usesOfflineGenerator } from '../config';
import type { AppDeps } from './app';
import { withTemporalDeadline } from './taskStatus';

/**
 * `GET /ready`: whether this instance can do its work now, component by component — Temporal
 * reachable, a worker polling the task queue, the forge's credentials accepted, a model configured.
 * 503 when any is not.
 */

export interface ComponentState {
  ok: boolean;
  detail: string;
}

/** A poller that asked for work this recently is alive (a long poll lasts up to about a minute). */
const pollerFreshMs = 70_000;
/** GitHub's answer is reused for this long, so probes do not spend the rate limit. */
const forgeCheckCacheMs = 60_000;

export function readinessProbe(deps: AppDeps): (req: Request, res: Response) => Promise<void> {
  let forgeCheck: { at: number; state: Promise<ComponentState> } | undefined;
  const forgeState = () => {
    if (!forgeCheck || Date.now() - forgeCheck.at > forgeCheckCacheMs)
      forgeCheck = { at: Date.now(), state: deps.forge.checkAccess() };
    return forgeCheck.state;
  };
  return async (_req, res) => {
    const [temporalState, worker, forge] = await Promise.all([
      temporalReachable(deps),
      workerPolling(deps),
      forgeState(),
    ]);
    const components = { temporal: temporalState, worker, forge, llm: llmConfigured(deps) };
    const ready = Object.values(components).every((c) => c.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', components });
  };
}

async function temporalReachable(deps: AppDeps): Promise<ComponentState> {
  try {
    await withTemporalDeadline(deps.temporal, () => deps.temporal.workflowService.getSystemInfo({}), 2_000);
    return { ok: true, detail: `namespace ${deps.config.temporal.namespace}` };
  } catch (err) {
    return { ok: false, detail: `Temporal is unreachable: ${(err as Error).message}` };
  }
}

async function workerPolling(deps: AppDeps): Promise<ComponentState> {
  const queue = deps.config.temporal.taskQueue;
  if (deps.localWorker) {
    // `npm start` runs the worker in this process: its own state is the freshest answer.
    const state = deps.localWorker();
    return state === 'RUNNING'
      ? { ok: true, detail: `worker in this process polls ${queue}` }
      : { ok: false, detail: `the worker in this process is ${state.toLowerCase()}` };
  }
  try {
    const answer = await withTemporalDeadline(
      deps.temporal,
      () =>
        deps.temporal.workflowService.describeTaskQueue({
          namespace: deps.config.temporal.namespace,
          taskQueue: { name: queue },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        }),
      2_000,
    );
    const fresh = (answer.pollers ?? []).filter((p) => {
      const seconds = Number(p.lastAccessTime?.seconds ?? 0);
      return Date.now() - seconds * 1000 < pollerFreshMs;
    });
    return fresh.length > 0
      ? { ok: true, detail: `${fresh.length} worker poller(s) on ${queue}` }
      : { ok: false, detail: `no worker is polling the task queue ${queue}` };
  } catch (err) {
    return { ok: false, detail: `could not ask Temporal about workers: ${(err as Error).message}` };
  }
}

function llmConfigured(deps: AppDeps): ComponentState {
  const { models, apiKey, baseUrl } = deps.config.llm;
  if (usesOfflineGenerator(models))
    return { ok: true, detail: 'offline generator (LLM_MODELS=offline): scaffold pages, no model' };
  if (!apiKey && !baseUrl)
    return {
      ok: false,
      detail: 'LLM_MODELS names models but neither OPENAI_API_KEY nor OPENAI_BASE_URL is set',
    };
  return { ok: true, detail: `${models.join(', ')} at ${baseUrl ?? 'https://api.openai.com/v1'}` };
}
