import pino, { type Logger } from 'pino';

export type { Logger };

/** Never logged, wherever they appear in a logged object. */
export const redactedPaths = [
  'secret',
  '*.secret',
  'body.secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
];

/** Structured JSON logs on stdout (or `destination`, for tests that read them back). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'llm-deploy' },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
