/**
 * Spaces calls to SES's non-send API at least `1 / requestsPerSecond` apart and runs them one at a
 * time. SES allows about one such request per second per account; the stack gives each function
 * instance a share of it. The SDK's adaptive retry mode handles the 429s other callers may cause.
 */
export class SesPacer {
  private tail: Promise<unknown> = Promise.resolve();
  private nextCallAt = 0;
  private readonly intervalMs: number;

  public constructor(requestsPerSecond = Infinity) {
    if (!(requestsPerSecond > 0)) throw new Error(`requestsPerSecond must be more than 0, got ${requestsPerSecond}`);
    this.intervalMs = 1000 / requestsPerSecond;
  }

  /** Runs `call` when its turn comes. */
  public run<T>(call: () => Promise<T>): Promise<T> {
    const turn = this.tail.then(async () => {
      const wait = this.nextCallAt - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.nextCallAt = Date.now() + this.intervalMs;
      return call();
    });
    this.tail = turn.catch(() => undefined);
    return turn;
  }
}
