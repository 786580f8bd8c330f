import { DynamoDBClient, type BatchExecuteStatementCommandOutput, type BatchStatementResponse } from '@aws-sdk/client-dynamodb';
import { DynamoFeedbackStore, EventNotWrittenError } from '../../../../lambdas/process-feedback/adapters/dynamo-feedback-store.js';
import { classify, mailContext } from '../../../../lambdas/process-feedback/classify.js';
import { readFeedback } from '../../../../lambdas/process-feedback/envelope.js';
import { toFeedbackRecord, type FeedbackRecord } from '../../../../lambdas/process-feedback/feedback-record.js';
import { fixture } from '../../../support/fixtures.js';

/**
 * How the store groups and retries its INSERTs, through the real SDK client (marshalling included)
 * with DynamoDB's answers scripted at the client's first middleware step: what DynamoDB Local cannot
 * be made to do on demand (refuse single statements as throttled).
 */
function scriptedStore(answer: (statements: number, call: number) => BatchStatementResponse[]) {
  const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const requests: string[][] = [];
  client.middlewareStack.add(
    () => async (args) => {
      const input = args.input as { Statements: Array<{ Statement: string; Parameters: unknown[] }> };
      // The `address` attribute of each statement, marshalled or not yet (depending on middleware order).
      const addresses = input.Statements.map(({ Statement, Parameters }) => {
        const value = Parameters[[...Statement.matchAll(/'(\w+)': \?/g)].findIndex((m) => m[1] === 'address')];
        return typeof value === 'string' ? value : ((value as { S?: string } | undefined)?.S ?? '?');
      });
      requests.push(addresses);
      const output: BatchExecuteStatementCommandOutput = { Responses: answer(addresses.length, requests.length), $metadata: {} };
      return { output, response: {} };
    },
    { step: 'initialize', name: 'scriptedDynamoDb' },
  );
  return { store: new DynamoFeedbackStore({ client, tableName: 'feedback', eventRetentionInDays: 365 }), requests };
}

const base = ((): FeedbackRecord => {
  const [item] = readFeedback(fixture('eventpub-bounce-permanent-general.json'));
  if (item?.kind !== 'feedback') throw new Error('fixture is not feedback');
  return toFeedbackRecord(classify(item.message).decisions[0]!, mailContext(item.message, 'campaign'), item.message.format, new Date('2026-11-23T09:00:00.000Z'));
})();
const recordFor = (i: number): FeedbackRecord => ({ ...base, address: `r${i}@example.com`, eventKey: `${base.eventKey}#${i}` });

describe('DynamoFeedbackStore: event INSERTs of one turn go out together', () => {
  it('sends the puts of one turn in requests of at most 25 statements, and a later put in its own request', async () => {
    const { store, requests } = scriptedStore((n) => Array.from({ length: n }, () => ({})));
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => store.putEvent(recordFor(i))));
    expect(outcomes).toEqual(Array.from({ length: 30 }, () => 'new'));
    expect(requests.map((r) => r.length)).toEqual([25, 5]);
    await store.putEvent(recordFor(30));
    expect(requests).toHaveLength(3);
  });

  it('tries again only the statements DynamoDB throttled, and tells duplicates apart', async () => {
    const { store, requests } = scriptedStore((n, call) =>
      call === 1 ? [{}, { Error: { Code: 'ThrottlingError', Message: 'slow down' } }, { Error: { Code: 'DuplicateItem', Message: 'exists' } }] : Array.from({ length: n }, () => ({})),
    );
    const outcomes = await Promise.all([0, 1, 2].map((i) => store.putEvent(recordFor(i))));
    expect(outcomes).toEqual(['new', 'new', 'duplicate']);
    expect(requests).toEqual([['r0@example.com', 'r1@example.com', 'r2@example.com'], ['r1@example.com']]);
  });

  it('gives up on a statement after 4 attempts with a one-line error, without holding back the others', async () => {
    const { store, requests } = scriptedStore((n, call) =>
      call === 1 ? [{}, { Error: { Code: 'InternalServerError', Message: 'try later' } }] : Array.from({ length: n }, () => ({ Error: { Code: 'InternalServerError', Message: 'try later' } })),
    );
    const [first, second] = await Promise.allSettled([store.putEvent(recordFor(0)), store.putEvent(recordFor(1))]);
    expect(first).toEqual({ status: 'fulfilled', value: 'new' });
    expect(second).toMatchObject({ status: 'rejected', reason: expect.any(EventNotWrittenError) });
    expect((second as PromiseRejectedResult).reason.message).toBe('DynamoDB did not write the event record: InternalServerError: try later');
    expect(requests).toHaveLength(4);
  });

  it('never reads an answer with fewer responses than statements as success', async () => {
    const { store } = scriptedStore(() => [{}]);
    const results = await Promise.allSettled([store.putEvent(recordFor(0)), store.putEvent(recordFor(1))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
