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
