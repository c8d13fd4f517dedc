import { startFakeEvaluator, type FakeEvaluator } from '../fakes/evaluatorServer';
import { appAnswer, startFakeLlm, type FakeLlm, type ScriptedAnswer } from '../fakes/llmServer';

/**
 * The outside world of a test suite: a model and an evaluator whose answers are scripted per task
 * (the task id is in the prompt's first heading and in the callback), so tests sharing one server
 * stay independent.
 */
export interface ScriptedWorld {
  llm: FakeLlm;
  evaluator: FakeEvaluator;
  /** task → answer of the model to its n-th request for that task. */
  modelScripts: Map<string, (n: number) => ScriptedAnswer>;
  /** task → HTTP status the evaluator answers to its n-th callback for that task. */
  evaluatorScripts: Map<string, (n: number) => number>;
  llmRequestsFor(task: string): FakeLlm['requests'];
  callbacksFor(task: string): FakeEvaluator['callbacks'];
  request(task: string, secret: string, overrides?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

export const goodApp = appAnswer({
  'index.html': '<!doctype html><title>ok</title><p>ok</p>\n',
  'README.md': '# App\n',
});

export function taskOfPrompt(messages: unknown): string {
  return /# Task (\S+), round/.exec(JSON.stringify(messages))?.[1] ?? '';
}

function counter() {
  const counts = new Map<string, number>();
  return (key: string) => {
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    return n;
  };
}

export async function startScriptedWorld(): Promise<ScriptedWorld> {
  const modelScripts = new Map<string, (n: number) => ScriptedAnswer>();
  const evaluatorScripts = new Map<string, (n: number) => number>();
  const nextModelCall = counter();
  const nextCallback = counter();
  const llm = await startFakeLlm((req) => {
    const task = taskOfPrompt(req.messages);
    return (modelScripts.get(task) ?? (() => goodApp))(nextModelCall(task));
  });
  const evaluator = await startFakeEvaluator((_n, body) => {
    const task = String(body.task);
    return (evaluatorScripts.get(task) ?? (() => 200))(nextCallback(task));
  });
  return {
    llm,
    evaluator,
    modelScripts,
    evaluatorScripts,
    llmRequestsFor: (task) => llm.requests.filter((r) => taskOfPrompt(r.messages) === task),
    callbacksFor: (task) => evaluator.callbacks.filter((c) => c.body.task === task),
    request: (task, secret, overrides = {}) => ({
      email: 'student@example.com',
      secret,
      task,
      round: 1,
      nonce: `${task}-nonce-1`,
      brief: `Build ${task}`,
      checks: [],
      evaluation_url: `${evaluator.url}/cb?task=${task}`,
      attachments: [],
      ...overrides,
    }),
    close: async () => {
      await Promise.all([llm.close(), evaluator.close()]);
    },
  };
}
