/**
 * Spaces calls to SES's non-send API at least `1 / requestsPerSecond` apart and runs them one at a
 * time. SES allows about one such request per second per account, all of it the writer's (one run
 * at a time). The SDK's retries handle the 429s other callers (the CLI, the guardrail) may cause.
 */
export class SesPacer {
  private tail: Promise<unknown> = Promise.resolve();
  private nextCallAt = 0;
  private readonly intervalMs: number;

  public constructor(requestsPerSecond = Infinity) {
    if (!(requestsPerSecond > 0)) throw new Error(`requestsPerSecond must be more than 0, got ${requestsPerSecond}`);
    this.intervalMs = 1000 / requestsPerSecond;
  }

  /**
   * The next call waits a whole interval from now: a run of the writer starts so, as the run before
   * it (in another instance) may have called SES just now.
   */
  public restart(): void {
    this.nextCallAt = Date.now() + this.intervalMs;
  }

  /** Runs `call` when its turn comes. */
  public run<T>(call: () => Promise<T>): Promise<T> {
    const turn = this.tail.then(async () => {
      const wait = this.nextCallAt - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      try {
        return await call();
      } finally {
        // From the answer, not the start: two requests never reach SES closer than the interval,
        // whatever the network does to the first.
        this.nextCallAt = Date.now() + this.intervalMs;
      }
    });
    this.tail = turn.catch(() => undefined);
    return turn;
  }
}
