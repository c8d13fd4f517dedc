import type { Response } from 'express';

/** Every error the API answers has one shape: `{status:"error", error, field?, …}`, never a stack trace. */
export function sendError(res: Response, status: number, error: string, field?: string, more?: object): void {
  if (res.headersSent) return;
  res.status(status).json({ status: 'error', error, ...(field ? { field } : {}), ...more });
}
