import { BadRequestException, PutSuppressedDestinationCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { SuppressionRejectedError, type SuppressionList, type SuppressionReason } from '../domain/index.js';

/**
 * The SES account-level suppression list, one `PutSuppressedDestination` at a time.
 *
 * SES allows about one non-send request per second per account, so calls from one function
 * instance are serialised, and the client should use the SDK's adaptive retry mode (client-side
 * rate limiting plus backoff on `TooManyRequestsException`).
 */
export class SesSuppressionList implements SuppressionList {
  private tail: Promise<unknown> = Promise.resolve();

  public constructor(private readonly client: SESv2Client) {}

  public suppress(address: string, reason: SuppressionReason): Promise<void> {
    const call = this.tail.then(() => this.put(address, reason));
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
