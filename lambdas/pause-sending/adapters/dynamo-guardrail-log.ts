import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dayShardKey, FEEDBACK_TABLE } from '../../shared/contract.js';
import type { GuardrailLog, PauseRecord } from '../guardrail.js';
import type { Probation, ProbationRoster } from '../probation.js';
import { shardOf } from '../../shared/contract.js';

const { partitionKey: PK, sortKey: SK, timeIndex, timeSortKey, timeToLiveAttribute, configurationSet: LAYOUT, probation: PROBATION } = FEEDBACK_TABLE;

/** An operator's resumption of a paused set. */
export interface ResumeRecord {
  readonly configurationSet: string;
  readonly at: string;
  /** Who resumed it (the caller's identity) and why. */
  readonly by: string;
  readonly note: string;
  /** Resumed without the evidence the resume asks for (`--force`). */
  readonly forced: boolean;
  /** The probation it was resumed on (every resume of a set the guardrail paused has one). */
  readonly probation?: Probation;
}

/** The newest pause or resumption of a set. */
export type GuardrailEntry = ({ readonly kind: 'pause' } & PauseRecord) | ({ readonly kind: 'resume' } & ResumeRecord);

/** An item of the guardrail's layout back as the pause or resumption it records (also what the report reads). */
export function toGuardrailEntry(item: Record<string, unknown>): GuardrailEntry {
  return (item.eventType === LAYOUT.paused ? { kind: 'pause', ...item } : { kind: 'resume', ...item }) as GuardrailEntry;
}

/**
 * {@link GuardrailLog} on the feedback table ({@link FEEDBACK_TABLE}.configurationSet): a set's
 * pauses and resumptions under its own partition, and on the time index for the report; and the
 * {@link ProbationRoster}: one item per set on probation under one partition.
 */
export class DynamoGuardrailLog implements GuardrailLog, ProbationRoster {
  private readonly doc: DynamoDBDocumentClient;

  public constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionInDays: number,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  public async recordPause(pause: PauseRecord): Promise<void> {
    await this.put(pause.configurationSet, `${LAYOUT.pausePrefix}${pause.at}`, LAYOUT.paused, pause.at, { ...pause });
  }

  public async recordResume(resume: ResumeRecord): Promise<void> {
    await this.put(resume.configurationSet, `${LAYOUT.resumePrefix}${resume.at}`, LAYOUT.resumed, resume.at, { ...resume });
  }

  public async isRecordedPaused(configurationSet: string): Promise<boolean> {
    return (await this.latest(configurationSet))?.kind === 'pause';
  }

  public async isOnProbation(configurationSet: string): Promise<boolean> {
    return (await this.probations(configurationSet)).length > 0;
  }

  public async list(): Promise<Probation[]> {
    return this.probations();
  }

  public async start(probation: Probation): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...probation, [PK]: PROBATION.partitionKey, [SK]: probation.configurationSet } }));
  }

  public async end(configurationSet: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { [PK]: PROBATION.partitionKey, [SK]: configurationSet } }));
  }

  /** The sets on probation (or the one named). */
  private async probations(configurationSet?: string): Promise<Probation[]> {
    const items: Probation[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: configurationSet === undefined ? '#pk = :pk' : '#pk = :pk AND #sk = :sk',
          ExpressionAttributeNames: { '#pk': PK, ...(configurationSet === undefined ? {} : { '#sk': SK }) },
          ExpressionAttributeValues: { ':pk': PROBATION.partitionKey, ...(configurationSet === undefined ? {} : { ':sk': configurationSet }) },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) items.push({ configurationSet: String(item.configurationSet), since: String(item.since), until: String(item.until), atResume: (item.atResume ?? {}) as Probation['atResume'] });
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** The newest pause or resumption of the set, or undefined when the guardrail never touched it. */
  public async latest(configurationSet: string): Promise<GuardrailEntry | undefined> {
    const { Items = [] } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': PK },
        ExpressionAttributeValues: { ':pk': `${LAYOUT.partitionKeyPrefix}${configurationSet}` },
      }),
    );
    const newest = Items.sort((a, b) => String(a.at).localeCompare(String(b.at))).at(-1);
    return newest === undefined ? undefined : toGuardrailEntry(newest);
  }

  private async put(configurationSet: string, sortKey: string, eventType: string, at: string, fields: Record<string, unknown>): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...fields,
          [PK]: `${LAYOUT.partitionKeyPrefix}${configurationSet}`,
          [SK]: sortKey,
          [timeIndex.partitionKey]: dayShardKey(at.slice(0, 10), shardOf(`${configurationSet}#${sortKey}`)),
          [timeSortKey]: at,
          [timeToLiveAttribute]: Math.floor(Date.parse(at) / 1000) + this.retentionInDays * 86_400,
          eventType,
          configurationSet,
        },
      }),
    );
  }
}
