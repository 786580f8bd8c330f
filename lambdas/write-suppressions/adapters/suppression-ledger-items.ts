import { addressKey, dayShardKey, eventSortKey, FEEDBACK_TABLE } from '../../shared/contract.js';
import type { AcceptedSuppression, LedgerEntry, SuppressionProvenance } from '../ports.js';
import type { SuppressionReason } from '../../shared/suppression.js';
import { shardOf } from '../../shared/contract.js';

/* The suppression ledger's items on the feedback table: their keys, how they are written, and how the writer reads them. */

/** The time index's `eventType` of a ledger entry: SES accepted the address onto the list. */
export const SUPPRESSED_EVENT_TYPE = 'Suppressed';
/** The time index's `eventType` of the audit record of a temporary suppression that ended (SES took the address off). */
export const SUPPRESSION_EXPIRED_EVENT_TYPE = 'SuppressionExpired';
const DAY_SECONDS = 86_400;

const { partitionKey: PK, sortKey: SK } = FEEDBACK_TABLE;
/** The sort key of an address's ledger item. */
export const SUPPRESSION_SK = FEEDBACK_TABLE.sortKeys.suppression;

/** The ledger item's attributes a removal reads. */
export type LedgerItem = { reason: SuppressionReason; temporaryUntil?: string; removing?: string; suppressedAt?: string };

/** The attributes of a ledger entry the writer reads. */
export const ENTRY_PROJECTION = 'address, reason, temporaryUntil, removing';

/** A ledger item as the writer reads it. */
export function ledgerEntry(item: Record<string, unknown>): LedgerEntry {
  return {
    reason: item.reason as SuppressionReason,
    ...(item.temporaryUntil !== undefined ? { temporaryUntil: item.temporaryUntil as string } : {}),
    ...(item.removing !== undefined ? { removing: true as const } : {}),
  };
}

export function ledgerKey(address: string): Record<string, string> {
  return { [PK]: addressKey(address), [SK]: SUPPRESSION_SK };
}

/** The schedule item of a temporary suppression: spread over the time index's shard count by address. */
export function expiryKey(address: string, until: string): Record<string, string> {
  return { [PK]: `${FEEDBACK_TABLE.expiry.partitionKeyPrefix}${shardOf(address)}`, [SK]: `${until}#${address}` };
}

/** The ledger item of an address SES accepted; time-indexed as a `Suppressed` entry, what the report lists as done. */
export function ledgerItem(e: AcceptedSuppression, provenance: SuppressionProvenance, at: Date): Record<string, unknown> {
  const suppressedAt = at.toISOString();
  return {
    [PK]: addressKey(e.address),
    [SK]: SUPPRESSION_SK,
    [FEEDBACK_TABLE.timeIndex.partitionKey]: dayShardKey(suppressedAt.slice(0, 10), shardOf(e.address)),
    [FEEDBACK_TABLE.timeSortKey]: suppressedAt,
    eventType: SUPPRESSED_EVENT_TYPE,
    action: 'suppress',
    address: e.address,
    reason: e.reason,
    suppressedAt,
    temporaryUntil: e.until,
    via: provenance.via,
    jobId: provenance.jobId,
    // A temporary entry stays in the ledger until it has ended, then as long as any other.
    [FEEDBACK_TABLE.timeToLiveAttribute]: ledgerExpiresAt(e.until === undefined ? at : new Date(e.until)),
  };
}

/** The audit record of a temporary suppression that ended: a retry writes the same one again. */
export function expiredRecord(address: string, item: LedgerItem, until: string, provenance: SuppressionProvenance, at: Date, eventAt: string, eventRetentionInDays: number): Record<string, unknown> {
  return {
    [PK]: addressKey(address),
    [SK]: eventSortKey(`${until}#${SUPPRESSION_EXPIRED_EVENT_TYPE}#${item.suppressedAt ?? ''}`),
    [FEEDBACK_TABLE.timeIndex.partitionKey]: dayShardKey(eventAt.slice(0, 10), shardOf(address)),
    [FEEDBACK_TABLE.timeSortKey]: eventAt,
    [FEEDBACK_TABLE.timeToLiveAttribute]: Math.floor(at.getTime() / 1000) + eventRetentionInDays * DAY_SECONDS,
    address,
    eventType: SUPPRESSION_EXPIRED_EVENT_TYPE,
    action: 'unsuppress',
    // A delivery after the soft bounces it counted ended it early: the rule says so.
    rule: provenance.via === 'withdrawal' ? 'withdrawn-by-delivery' : 'temporary-suppression-ended',
    reason: 'BOUNCE',
    suppressedAt: item.suppressedAt,
    temporaryUntil: until,
    via: provenance.via,
    jobId: provenance.jobId,
    recordedAt: eventAt,
  };
}

/** When a ledger entry leaves the table (TTL, epoch seconds): a ledger period after `from`. */
export function ledgerExpiresAt(from: Date): number {
  return Math.floor(from.getTime() / 1000) + FEEDBACK_TABLE.suppressionLedgerDays * DAY_SECONDS;
}
