import {
  BadRequestException,
  DeleteSuppressedDestinationCommand,
  NotFoundException,
  PutSuppressedDestinationCommand,
  type SESv2Client,
} from '@aws-sdk/client-sesv2';
import { SuppressionRejectedError } from '../../shared/errors.js';
import { type SuppressionList } from '../ports.js';
import { type SuppressionReason } from '../../shared/suppression.js';
import { SesPacer } from '../../shared/adapters/ses-pacer.js';

/**
 * The SES account-level suppression list, one `PutSuppressedDestination` (or
 * `DeleteSuppressedDestination`) at a time, paced by the {@link SesPacer} it shares with every
 * other SES call of the writer.
 */
export class SesSuppressionList implements SuppressionList {
  public constructor(
    private readonly client: SESv2Client,
    private readonly pacer: SesPacer = new SesPacer(),
  ) {}

  public suppress(address: string, reason: SuppressionReason): Promise<void> {
    return this.pacer.run(() => this.put(address, reason));
  }

  public unsuppress(address: string): Promise<'removed' | 'not-listed'> {
    return this.pacer.run(() => this.delete(address));
  }

  private async delete(address: string): Promise<'removed' | 'not-listed'> {
    try {
      await this.client.send(new DeleteSuppressedDestinationCommand({ EmailAddress: address }));
      return 'removed';
    } catch (error) {
      // Not on the list: already where the removal wanted it.
      if (error instanceof NotFoundException) return 'not-listed';
      throw asRejection(error, 'DeleteSuppressedDestination');
    }
  }

  private async put(address: string, reason: SuppressionReason): Promise<void> {
    try {
      await this.client.send(new PutSuppressedDestinationCommand({ EmailAddress: address, Reason: reason }));
    } catch (error) {
      throw asRejection(error, 'PutSuppressedDestination');
    }
  }
}

/** SES's 400s (bad address, sandbox account) never succeed on retry: they become {@link SuppressionRejectedError}. */
export function asRejection(error: unknown, operation: string): Error {
  if (error instanceof BadRequestException) {
    return new SuppressionRejectedError(`SES rejected ${operation} (${error.name}): ${error.message}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}
