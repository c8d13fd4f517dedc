/**
 * What the API, the workflow and the activities agree on: message definitions, search attributes,
 * the workflow id rule and the payload types. Imported by workflow code, so: no Node APIs here.
 */
import { defineQuery, defineSignal, type Sinks } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';

/** A stored blob, named by the sha256 of its bytes (the claim check carried in workflow payloads). */
export interface BlobRef {
  sha256: string;
  size: number;
}

/** An attachment of a task request: its bytes live in the blob store. */
export interface AttachmentRef extends BlobRef {
  /** Sanitised relative path, committed next to index.html. */
  name: string;
  /** Media type from the data: URI. */
  type: string;
}

/** A file of the generated app: its bytes live in the blob store. */
export interface FileRef extends BlobRef {
  path: string;
}

/** The large, user-supplied part of a round (brief and checks), stored as a JSON blob. */
export interface RoundSpec {
  briefTitle?: string;
  brief: string;
  /** Each check as the issuer wrote it: a JavaScript expression or a sentence. */
  checks: string[];
}

/** What the `round` signal carries: small fields plus references. Never the request secret. */
export interface RoundRequest {
  round: number;
  nonce: string;
  email: string;
  evaluationUrl: string;
  /** Epoch milliseconds when the API received the request; the deadline counts from here. */
  receivedAt: number;
  spec: BlobRef;
  attachments: AttachmentRef[];
  /** The first line of the brief, for people reading the Temporal UI. */
  briefPreview: string;
  /** The API request that brought this round (x-request-id), so logs of both sides can be joined. */
  requestId?: string;
  /** The first model in LLM_MODELS, for activity summaries in the Temporal UI. */
  modelHint?: string;
  /** How hard this round checks its own work (from the API's configuration when it was received). */
  quality?: QualityPolicy;
}

export interface QualityPolicy {
  /** Load the published page in Chromium and run the checks before calling back. */
  selfCheck: boolean;
  /** Repair attempts when checks fail, while the deadline leaves room. */
  maxRepairs: number;
}

export type CheckOutcome = 'pass' | 'fail' | 'error' | 'not_run';

/** One check's result in one attempt, small enough for workflow history. */
export interface CheckSummary {
  check: string;
  /** `js`: evaluated in the page; `text`: a sentence, judged by the model when one is configured. */
  kind: 'js' | 'text';
  outcome: CheckOutcome;
  detail?: string;
  /** The round whose checks listed it (earlier rounds' checks are re-run, as evaluators do). */
  fromRound: number;
}

/** The self-check of one published commit: the first generation is attempt 0, repairs count up. */
export interface CheckAttempt {
  attempt: number;
  commitSha: string;
  httpStatus?: number;
  results: CheckSummary[];
  passed: number;
  total: number;
  consoleErrors: string[];
  pageErrors: string[];
  failedRequests: string[];
  screenshot?: BlobRef;
}

export interface TaskWorkflowInput {
  task: string;
  /** Name of the repo that holds the task's app. */
  repoName: string;
  /** Time allowed per round, from receipt to the start of the callback. */
  roundDeadlineMs: number;
  /** How long to wait for another round after the queue empties. */
  idleTimeoutMs: number;
  /** State handed over by continue-as-new. */
  carried?: CarriedState;
}

export interface CarriedState {
  rounds: RoundStatus[];
  queue: RoundRequest[];
  seenNonces: string[];
}

export const roundStates = [
  'queued',
  'generating',
  'publishing',
  'waiting_for_pages',
  'checking',
  'notifying',
  'done',
  'failed',
] as const;

export type RoundState = (typeof roundStates)[number];

export interface StepTiming {
  step: string;
  startedAt: number;
  finishedAt?: number;
  error?: string;
}

export interface CallbackPayload {
  email: string;
  task: string;
  round: number;
  nonce: string;
  repo_url: string;
  commit_sha: string;
  pages_url: string;
}

export interface RoundStatus {
  round: number;
  nonce: string;
  state: RoundState;
  /** The round's brief and checks (a claim check): later rounds re-run its checks. */
  spec?: BlobRef;
  receivedAt: number;
  deadlineAt: number;
  finishedAt?: number;
  steps: StepTiming[];
  repoUrl?: string;
  commitSha?: string;
  pagesUrl?: string;
  model?: string;
  callback?: { status: number; attempts: number };
  /** Every self-check of this round, in order; the callback reports the one with most checks passing. */
  checkAttempts?: CheckAttempt[];
  repairs?: number;
  /** The attempt the callback reports, when the self-check ran. */
  bestAttempt?: number;
  /** Why repairs stopped before every check passed (deadline, limit, generator cannot repair). */
  repairsStopped?: string;
  /** The step that could not finish — cut short by the deadline, or a Pages wait that failed — when the callback reported the best commit there was anyway. */
  cutShort?: string;
  lastError?: string;
}

export interface TaskStatus {
  task: string;
  rounds: RoundStatus[];
}

export const roundSignal = defineSignal<[RoundRequest]>('round');
export const statusQuery = defineQuery<TaskStatus>('status');

export const searchAttributes = {
  taskId: defineSearchAttributeKey('TaskId', 'KEYWORD'),
  taskEmail: defineSearchAttributeKey('TaskEmail', 'KEYWORD'),
  taskRound: defineSearchAttributeKey('TaskRound', 'INT'),
  taskState: defineSearchAttributeKey('TaskState', 'KEYWORD'),
} as const;

/**
 * The same task always maps to the same workflow and repo, so rounds and re-sent requests meet
 * there. When several students share one instance (MULTI_TENANT), a short hash of the email keeps
 * their tasks apart.
 */
export function taskIdentity(
  task: string,
  email: string,
  multiTenant: boolean,
): { workflowId: string; repoName: string } {
  const repoName = multiTenant ? `${task}-${emailHash(email)}` : task;
  return { workflowId: `task-${repoName}`, repoName };
}

/** 48 bits of FNV-1a over the lower-cased email: stable, short, and free of Node APIs. */
export function emailHash(email: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(email.trim().toLowerCase())) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return (hash >> 16n).toString(16).padStart(12, '0');
}

/** What the workflow reports to the worker's metrics (a sink: not in history, skipped on replay). */
export interface MetricsSinks extends Sinks {
  metrics: {
    stepFinished(step: string, seconds: number): void;
    roundFinished(outcome: 'done' | 'failed' | 'cut_short', seconds: number): void;
    repairStarted(): void;
  };
}
