import { ApplicationFailure, Context } from '@temporalio/activity';
import { InputError } from '../lib/errors';

/**
 * Heartbeats every `everyMs` with the latest progress details, so that even a
 * stage without natural checkpoints tells the server it is alive, and the
 * CLI's progress bars see where it is.
 */
export class Heartbeat {
  private details: unknown;
  private readonly timer: NodeJS.Timeout;

  constructor(details: unknown = undefined, everyMs = 2_000) {
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
    try {
      Context.current().heartbeat(this.details);
    } catch {
      /* outside an activity (unit tests) */
    }
  }
}

/** Progress details of a previous attempt of this activity, for resuming. */
export function previousProgress<T>(): T | undefined {
  try {
    return Context.current().info.heartbeatDetails as T | undefined;
  } catch {
    return undefined;
  }
}

/** The activity's cancellation signal (an unaborted one outside an activity). */
export function cancellation(): AbortSignal {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return new AbortController().signal;
  }
}

/**
 * Runs a stage body with a heartbeat; bad input (InputError) becomes a
 * non-retryable failure that names the file or key, anything else is retried.
 */
export async function runStage<T>(body: (heartbeat: Heartbeat) => Promise<T>): Promise<T> {
  const heartbeat = new Heartbeat(previousProgress());
  try {
    return await body(heartbeat);
  } catch (err) {
    if (err instanceof InputError) throw ApplicationFailure.nonRetryable(err.message, 'InputError');
    throw err;
  } finally {
    heartbeat.stop();
  }
}
