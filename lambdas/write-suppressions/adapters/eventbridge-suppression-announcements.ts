import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { ADDRESS_SUPPRESSED_EVENT, ADDRESS_UNSUPPRESSED_EVENT, type AddressSuppressedDetail, type AddressUnsuppressedDetail } from '../../shared/events.js';
import { chunk } from '../../shared/suppression.js';
import { type AcceptedSuppression, type SuppressionAnnouncements, type SuppressionProvenance } from '../ports.js';

/** Rounds of re-putting the entries EventBridge failed (it fails entries one by one, e.g. when throttled). */
const MAX_ROUNDS = 5;
/**
 * PutEvents calls in flight at once. A completed import job of 100,000 rows is 10,000 calls, which
 * must fit well inside the writer's 3-minute timeout: 16 lanes at ~30 ms a call take ~20 s. Where
 * PutEvents' regional quota is lower (400 requests/s in the smallest regions), the SDK's adaptive
 * retry mode, which the writer runs with, slows the calls to it.
 */
const PARALLEL_CALLS = 16;

/**
 * {@link SuppressionAnnouncements} as EventBridge events: one "Address Suppressed" (or "Address
 * Unsuppressed") event per address, 10 per PutEvents call, failed entries put again; throws if
 * some still fail, so the writer's message comes back and nothing is left unannounced.
 */
export class EventBridgeSuppressionAnnouncements implements SuppressionAnnouncements {
  public constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  public async announce(entries: readonly AcceptedSuppression[], provenance: SuppressionProvenance, at: Date): Promise<void> {
    const suppressedAt = at.toISOString();
    await this.putAll(
      entries.map((e) =>
        this.event(ADDRESS_SUPPRESSED_EVENT.detailType, at, {
          address: e.address,
          reason: e.reason,
          suppressedAt,
          via: provenance.via,
          ...(e.until !== undefined ? { temporaryUntil: e.until } : {}),
        } satisfies AddressSuppressedDetail),
      ),
    );
  }

  public async announceRemoval(addresses: readonly string[], provenance: SuppressionProvenance, at: Date): Promise<void> {
    const unsuppressedAt = at.toISOString();
    await this.putAll(
      addresses.map((address) =>
        this.event(ADDRESS_UNSUPPRESSED_EVENT.detailType, at, { address, unsuppressedAt, cause: provenance.via === 'withdrawal' ? 'withdrawal' : provenance.via === 'operator-removal' ? 'operator' : 'expiry', via: provenance.via } satisfies AddressUnsuppressedDetail),
      ),
    );
  }

  private event(detailType: string, at: Date, detail: object): PutEventsRequestEntry {
    return { EventBusName: this.eventBusName, Source: ADDRESS_SUPPRESSED_EVENT.source, DetailType: detailType, Time: at, Detail: JSON.stringify(detail) };
  }

  private async putAll(events: readonly PutEventsRequestEntry[]): Promise<void> {
    const batches = chunk(events, ADDRESS_SUPPRESSED_EVENT.entriesPerCall);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < batches.length) await this.put(batches[next++] as PutEventsRequestEntry[]);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_CALLS, batches.length) }, lane));
  }

  private async put(batch: PutEventsRequestEntry[]): Promise<void> {
    let pending = batch;
    for (let round = 0; ; round++) {
      const { Entries = [], FailedEntryCount = 0 } = await this.client.send(new PutEventsCommand({ Entries: pending }));
      if (FailedEntryCount === 0) return;
      const failed = pending.filter((_, i) => Entries[i]?.ErrorCode !== undefined);
      const code = Entries.find((e) => e.ErrorCode)?.ErrorCode ?? 'unknown';
      if (round + 1 >= MAX_ROUNDS) throw new Error(`EventBridge refused ${failed.length} ${failed[0]?.DetailType ?? ''} event(s) ${MAX_ROUNDS} times (${code}); retry later`);
      pending = failed;
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round) * (0.5 + Math.random() / 2)));
    }
  }
}
