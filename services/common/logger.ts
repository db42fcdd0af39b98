import pino, { type Logger } from 'pino';

/**
 * JSON logs with upper-case levels (`"level":"ERROR"`), so that the runbooks' CloudWatch filter
 * pattern "ERROR" finds them, and ISO timestamps.
 */
export function createLogger(
  name: string,
  level: string,
  base: Record<string, unknown> = {},
): Logger {
  return pino({
    name,
    level,
    base: { service: name, ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label.toUpperCase() }) },
  });
}
