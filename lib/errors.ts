/**
 * The project's error types. An InputError is bad input (a file, a config key,
 * a value): retrying cannot fix it, so activities turn it into a non-retryable
 * failure. Anything else is treated as transient and retried.
 */
export class InputError extends Error {
  override name = 'InputError';
  constructor(
    message: string,
    /** The file, key or value at fault, when there is one. */
    readonly subject?: string,
  ) {
    super(subject ? `${subject}: ${message}` : message);
  }
}

/** Throws an InputError unless `condition` holds. */
export function check(condition: unknown, subject: string, message: string): asserts condition {
  if (!condition) throw new InputError(message, subject);
}

/**
 * The innermost message of a chain of causes: a workflow's failure wraps the
 * activity's, which wraps the error that named the file; a validator's
 * rejection arrives as the cause of a WorkflowUpdateFailedError.
 */
export function innermostMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e && typeof e === 'object' && e.cause && typeof (e.cause as { message?: unknown }).message === 'string') {
    e = e.cause as { message?: string; cause?: unknown };
  }
  return e?.message ?? String(err);
}
