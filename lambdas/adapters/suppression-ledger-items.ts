import { addressKey, FEEDBACK_TABLE } from '../contract.js';
import type { LedgerEntry, PutBack, SuppressionReason } from '../domain/index.js';
import { shardOf } from './dynamo-feedback-store.js';

/* The suppression ledger's items on the feedback table: their keys, and how the domain reads them. */

const { partitionKey: PK, sortKey: SK } = FEEDBACK_TABLE;
/** The sort key of an address's ledger item. */
export const SUPPRESSION_SK = FEEDBACK_TABLE.sortKeys.suppression;

/** The ledger item's attributes the removal protocol reads. */
export type LedgerItem = { reason: SuppressionReason; temporaryUntil?: string; removing?: string; wantedBack?: SuppressionReason; wantedUntil?: string; suppressedAt?: string };

/** The attributes of a ledger entry the domain reads. */
export const ENTRY_PROJECTION = 'address, reason, temporaryUntil, removing, wantedBack, wantedUntil';

/** A ledger item as the domain reads it. */
export function ledgerEntry(item: Record<string, unknown>): LedgerEntry {
  return {
    reason: item.reason as SuppressionReason,
    ...(item.temporaryUntil !== undefined ? { temporaryUntil: item.temporaryUntil as string } : {}),
    ...(item.removing !== undefined ? { removing: true as const } : {}),
    ...(item.wantedBack !== undefined ? { wantedBack: item.wantedBack as SuppressionReason } : {}),
    ...(item.wantedUntil !== undefined ? { wantedUntil: item.wantedUntil as string } : {}),
  };
}

/** The put-back a wish asks for: of the removal that ends `until`, for good or until `keepUntil`. */
export function wish(address: string, reason: SuppressionReason, until: string, keepUntil: string | undefined): PutBack {
  return { address, reason, until, ...(keepUntil !== undefined ? { keepUntil } : {}) };
}

export function ledgerKey(address: string): Record<string, string> {
  return { [PK]: addressKey(address), [SK]: SUPPRESSION_SK };
}

/** The schedule item of a temporary suppression: spread over the time index's shard count by address. */
export function expiryKey(address: string, until: string): Record<string, string> {
  return { [PK]: `${FEEDBACK_TABLE.expiry.partitionKeyPrefix}${shardOf(address)}`, [SK]: `${until}#${address}` };
}
