/** What an AWS SDK v3 error looks like, as far as we rely on it. */
interface AwsLikeError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

function asAws(error: unknown): AwsLikeError {
  return error !== null && typeof error === 'object' ? (error as AwsLikeError) : {};
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);
const ACCESS_DENIED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnauthorizedOperation',
  'AuthorizationError',
]);
const NETWORK = new Set([
  'TimeoutError',
  'RequestTimeout',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

export function isThrottling(error: unknown): boolean {
  const e = asAws(error);
  return (
    THROTTLING.has(e.name ?? '') ||
    e.$metadata?.httpStatusCode === 429 ||
    e.$retryable?.throttling === true
  );
}

export function isAccessDenied(error: unknown): boolean {
  const e = asAws(error);
  return ACCESS_DENIED.has(e.name ?? '') || e.$metadata?.httpStatusCode === 403;
}

/** Throttling, server errors and network failures: safe to retry for idempotent calls. */
export function isTransient(error: unknown): boolean {
  const e = asAws(error);
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    isThrottling(error) || status >= 500 || NETWORK.has(e.name ?? '') || NETWORK.has(e.code ?? '')
  );
}

/** A one-line description naming the error class, e.g. `AccessDeniedException: User ... is not authorized`. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  const e = asAws(error);
  if (e.name || e.message) return `${e.name ?? 'Error'}: ${e.message ?? ''}`;
  return String(error);
}
