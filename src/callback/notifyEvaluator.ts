import { permanentFailure, retryableFailure } from '../failures';
import type { CallbackPayload } from '../shared';

/** Answers that mean "this callback is wrong", not "try later": repeated, they end the retries. */
const refusalStatuses = new Set([400, 404, 410]);
export const refusalsBeforeGivingUp = 5;
const requestTimeoutMs = 30_000;

/**
 * One delivery attempt of the protocol's callback. Any 2xx is accepted; network errors and other
 * answers are retried by Temporal (1, 2, 4 … s, capped at 60 s, for up to 24 h); a 400/404/410 on
 * the fifth attempt or later ends the retries with the evaluator's reason.
 */
export async function deliverCallback(
  evaluationUrl: string,
  payload: CallbackPayload,
  attempt: number,
): Promise<{ status: number }> {
  let response: Response;
  try {
    response = await fetch(evaluationUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'llm-deploy' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(requestTimeoutMs),
      redirect: 'follow',
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw retryableFailure(
      `The evaluator at ${evaluationUrl} could not be reached (${cause ?? (err as Error).message})`,
      undefined,
      'EvaluatorUnreachable',
    );
  }
  const reason = (await response.text().catch(() => '')).slice(0, 300).replace(/\s+/g, ' ').trim();
  if (response.ok) return { status: response.status };
  const summary = `The evaluator answered HTTP ${response.status}${reason ? `: ${reason}` : ''}`;
  if (refusalStatuses.has(response.status) && attempt >= refusalsBeforeGivingUp) {
    throw permanentFailure(`${summary} (refused ${attempt} times; giving up)`, 'CallbackRefused');
  }
  throw retryableFailure(summary, undefined, 'CallbackNotAccepted');
}
