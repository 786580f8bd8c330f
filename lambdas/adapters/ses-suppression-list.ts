import { BadRequestException, PutSuppressedDestinationCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { SuppressionRejectedError, type SuppressionList, type SuppressionReason } from '../domain/index.js';

/**
 * The SES account-level suppression list, one `PutSuppressedDestination` at a time.
 *
 * SES allows about one non-send request per second per account. Calls from one function instance
 * are serialised and spaced at least `1 / requestsPerSecond` apart (the stack gives each of its
 * pollers a share of the account's rate); the client should also use the SDK's adaptive retry mode
 * for the 429s that other callers in the account may still cause.
 */
export class SesSuppressionList implements SuppressionList {
  private tail: Promise<unknown> = Promise.resolve();
  private nextCallAt = 0;
  private readonly intervalMs: number;

  public constructor(
    private readonly client: SESv2Client,
    requestsPerSecond = Infinity,
  ) {
    if (!(requestsPerSecond > 0)) throw new Error(`requestsPerSecond must be more than 0, got ${requestsPerSecond}`);
    this.intervalMs = 1000 / requestsPerSecond;
  }

  public suppress(address: string, reason: SuppressionReason): Promise<void> {
    const call = this.tail.then(async () => {
      const wait = this.nextCallAt - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.nextCallAt = Date.now() + this.intervalMs;
      await this.put(address, reason);
    });
    this.tail = call.catch(() => undefined);
    return call;
  }

  private async put(address: string, reason: SuppressionReason): Promise<void> {
    try {
      await this.client.send(new PutSuppressedDestinationCommand({ EmailAddress: address, Reason: reason }));
    } catch (error) {
      if (error instanceof BadRequestException) {
        throw new SuppressionRejectedError(`SES rejected PutSuppressedDestination (${error.name}): ${error.message}`);
      }
      throw error;
    }
  }
}
