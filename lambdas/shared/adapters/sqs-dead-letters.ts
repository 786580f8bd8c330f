import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetters } from '../ports.js';

/** Message attribute that carries the reason a record was parked. */
export const FAILURE_REASON_ATTRIBUTE = 'failureReason';

/** {@link DeadLetters} on the pipeline's dead-letter queue; the original body is kept unchanged. */
export class SqsDeadLetters implements DeadLetters {
  public constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  public async park(body: string, reason: string, sourceMessageId: string): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: body,
        MessageAttributes: {
          [FAILURE_REASON_ATTRIBUTE]: { DataType: 'String', StringValue: reason.slice(0, 1000) },
          sourceMessageId: { DataType: 'String', StringValue: sourceMessageId },
        },
      }),
    );
  }
}
