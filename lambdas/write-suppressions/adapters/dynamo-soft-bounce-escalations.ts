import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { addressKey, addressOfKey, FEEDBACK_TABLE } from '../../shared/contract.js';
import { chunk } from '../../shared/suppression.js';
import type { SoftBounceEscalations } from '../ports.js';

/** Rounds of BatchGetItem for the keys DynamoDB leaves unprocessed, before the run gives up and retries later. */
const MAX_ROUNDS = 20;

function stateKey(address: string): Record<string, string> {
  return { [FEEDBACK_TABLE.partitionKey]: addressKey(address), [FEEDBACK_TABLE.sortKey]: FEEDBACK_TABLE.sortKeys.state };
}

/**
 * {@link SoftBounceEscalations} from the `escalated` flag the feedback processor keeps beside each
 * address's soft-bounce history (its state item in the feedback table).
 */
export class DynamoSoftBounceEscalations implements SoftBounceEscalations {
  private readonly doc: DynamoDBDocumentClient;

  public constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  /**
   * Those of these addresses whose history stands escalated (strongly consistent). A history
   * written before it kept the flag, or none, counts as escalated: the safe side, it withdraws nothing.
   */
  public async escalated(addresses: readonly string[]): Promise<ReadonlySet<string>> {
    // Only a history that says it is not escalated withdraws: one without the flag (or without a
    // history) keeps what was asked.
    const found = new Set<string>(addresses);
    for (const part of chunk([...found], 100)) {
      let keys: Array<Record<string, unknown>> = part.map((a) => stateKey(a));
      for (let round = 0; keys.length > 0; round++) {
        if (round >= MAX_ROUNDS) throw new Error('DynamoDB kept leaving soft-bounce histories unread; retry later');
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * 2 ** Math.min(round, 6)));
        const output = await this.doc.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true, ProjectionExpression: '#pk, #escalated', ExpressionAttributeNames: { '#pk': FEEDBACK_TABLE.partitionKey, '#escalated': 'escalated' } } },
          }),
        );
        for (const item of output.Responses?.[this.tableName] ?? []) {
          if (item.escalated === false) found.delete(addressOfKey(item[FEEDBACK_TABLE.partitionKey] as string));
        }
        keys = (output.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Array<Record<string, unknown>>;
      }
    }
    return found;
  }
}
