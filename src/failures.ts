import { ApplicationFailure } from '@temporalio/common';

/**
 * Failures that Temporal's retry policies understand. Modules below the activities throw these so
 * that "retrying cannot help" (a bad token, a missing repo) is decided where the cause is known.
 */
export function permanentFailure(message: string, type = 'PermanentFailure'): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: true });
}

export function retryableFailure(
  message: string,
  nextRetryDelayMs?: number,
  type = 'TransientFailure',
): ApplicationFailure {
  return ApplicationFailure.create({
    message,
    type,
    nonRetryable: false,
    ...(nextRetryDelayMs !== undefined ? { nextRetryDelay: nextRetryDelayMs } : {}),
  });
}
