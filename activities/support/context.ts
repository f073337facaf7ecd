// What every stage activity runs inside: a heartbeat that carries its
// progress, and the line between failures a retry can fix and those it cannot.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { InputError } from '../../lib/errors';

/**
 * Largest activity result, in bytes of JSON. Temporal warns at 256 KB and
 * rejects 2 MB; a stage whose result would pass this fails at once with a
 * message naming it, instead of the worker retrying a completion the server
 * refuses, without end.
 */
export const MAX_RESULT_BYTES = 256 * 1024;

/**
 * Heartbeats every `everyMs` with the latest progress details, so that even a
 * stage without natural checkpoints tells the server it is alive, and the
 * CLI's progress bars see where it is.
 */
export class Heartbeat {
  private details: unknown;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly context: Context, details: unknown = undefined, everyMs = 2_000) {
    this.details = details;
    this.beat();
    this.timer = setInterval(() => this.beat(), everyMs);
    this.timer.unref();
  }

  /** Records progress and heartbeats it now. */
  update(details: unknown): void {
    this.details = details;
    this.beat();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private beat(): void {
    this.context.heartbeat(this.details);
  }
}

/**
 * Runs a stage body inside the current activity, with a heartbeat. Bad input
 * (InputError) and a result over MAX_RESULT_BYTES become non-retryable
 * failures that name the file, key or stage; anything else is retried.
 */
export async function runStage<T>(body: (heartbeat: Heartbeat, context: Context) => Promise<T>): Promise<T> {
  const context = Context.current();
  const heartbeat = new Heartbeat(context, context.info.heartbeatDetails);
  try {
    const result = await body(heartbeat, context);
    const bytes = Buffer.byteLength(JSON.stringify(result) ?? '');
    if (bytes > MAX_RESULT_BYTES) {
      throw ApplicationFailure.nonRetryable(
        `${context.info.activityType}: its result is ${bytes} bytes of JSON, over the ${MAX_RESULT_BYTES}-byte limit for what passes between stages (lists that grow with the data belong in the artifact store)`,
        'ResultTooLarge',
      );
    }
    return result;
  } catch (err) {
    if (err instanceof InputError) throw ApplicationFailure.nonRetryable(err.message, 'InputError');
    throw err;
  } finally {
    heartbeat.stop();
  }
}
