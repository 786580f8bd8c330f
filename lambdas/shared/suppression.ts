import * as z from 'zod/mini';
import { normalizeAddress } from './address.js';
import { MalformedMessageError } from './errors.js';

/** The reasons the SES account-level suppression list accepts. */
export type SuppressionReason = 'BOUNCE' | 'COMPLAINT';

/** One address that should be on the account-level suppression list, and why. */
export interface SuppressionEntry {
  readonly address: string;
  readonly reason: SuppressionReason;
  /**
   * Suppressed because its soft bounces escalated (a full mailbox, say), not because it hard
   * bounced or complained: it leaves the list again after the writer's expiry period, unless it
   * has hard bounced or complained since.
   */
  readonly temporary?: true;
}

/** An address to take off the list, as an entry: the pipeline only ever removes temporary BOUNCE suppressions. */
export function removalEntry(address: string): SuppressionEntry {
  return { address, reason: 'BOUNCE', temporary: true };
}

/** What an import job does to the list: SES's `SuppressionListImportAction`. The writer starts PUT jobs only. */
export type ImportAction = 'PUT' | 'DELETE';

/** An import job the writer started and still has to follow to its end. */
export interface ImportJobRef {
  readonly jobId: string;
  /** Where the job's rows are (the writer reads them back when the job ends). */
  readonly objectKey: string;
  readonly rows: number;
  /**
   * A DELETE job an earlier version started: its rows stay marked `removing` in the ledger, and
   * the expiry tick finishes them by single calls; its follow-up is only acknowledged.
   */
  readonly action?: ImportAction;
  /**
   * Some rows of this job are {@link SuppressionEntry.temporary}: which ones, a file beside the
   * job's own says ({@link temporaryRowsFile}), as SES's import format has no place for it.
   */
  readonly temporary?: true;
  /** The operator's request (`suppression import`) these rows are of: recorded as the operator's, refusals under it. */
  readonly request?: string;
}

/**
 * What travels on the writer's queue: addresses to suppress (from the feedback processor, an
 * operator's import, or retried rows of an earlier job), addresses whose temporary suppression a
 * late delivery withdrew (or, redriven from the dead-letter queue, whose removal failed), addresses
 * whose COMPLAINT an import job's BOUNCE may have overwritten at SES, an import job to look at, an
 * operator's removal, or the tick that takes due temporary suppressions off the list (put by an
 * EventBridge schedule).
 */
export type SuppressionMessage =
  | { readonly type: 'suppress'; readonly entries: readonly SuppressionEntry[]; readonly attempt: number; readonly request?: string }
  | { readonly type: 'unsuppress'; readonly addresses: readonly string[]; readonly attempt: number }
  | { readonly type: 'withdraw'; readonly addresses: readonly string[]; readonly attempt: number }
  | { readonly type: 'restore'; readonly addresses: readonly string[] }
  | { readonly type: 'follow-import'; readonly job: ImportJobRef; readonly attempt: number; readonly polls: number }
  | { readonly type: 'remove'; readonly address: string; readonly request: string; readonly note?: string }
  | { readonly type: 'expire' };

const reasonSchema = z.enum(['BOUNCE', 'COMPLAINT']);
const entrySchema = z.object({ address: z.string(), reason: reasonSchema, temporary: z.optional(z.literal(true)) });
const messageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('suppress'), entries: z.array(entrySchema), attempt: z.number(), request: z.optional(z.string()) }),
  z.object({ type: z.literal('unsuppress'), addresses: z.array(z.string()), attempt: z.number() }),
  z.object({ type: z.literal('withdraw'), addresses: z.array(z.string()), attempt: z.number() }),
  z.object({ type: z.literal('restore'), addresses: z.array(z.string()) }),
  z.object({ type: z.literal('remove'), address: z.string(), request: z.string(), note: z.optional(z.string()) }),
  z.object({
    type: z.literal('follow-import'),
    job: z.object({
      jobId: z.string(),
      objectKey: z.string(),
      rows: z.number(),
      action: z.optional(z.enum(['PUT', 'DELETE'])),
      temporary: z.optional(z.literal(true)),
      request: z.optional(z.string()),
    }),
    attempt: z.number(),
    polls: z.number(),
  }),
  z.object({ type: z.literal('expire') }),
]);

/**
 * Reads one suppression-queue message body.
 * @throws MalformedMessageError (one line, no address) when it is not one
 */
export function readSuppressionMessage(body: string): SuppressionMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedMessageError('suppression message is not JSON');
  }
  const parsed = messageSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MalformedMessageError(`suppression message is not valid: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** COMPLAINT outranks BOUNCE: SES keeps one reason per address, and a complaint is the stronger signal. */
export function strongerReason(a: SuppressionReason, b: SuppressionReason): SuppressionReason {
  return a === 'COMPLAINT' || b === 'COMPLAINT' ? 'COMPLAINT' : 'BOUNCE';
}

/**
 * One entry per address (normalised), keeping the stronger reason; temporary only when every
 * request for the address was (a hard bounce or a complaint makes it permanent).
 */
export function mergeEntries(entries: Iterable<SuppressionEntry>): SuppressionEntry[] {
  const merged = new Map<string, SuppressionEntry>();
  for (const entry of entries) {
    const address = normalizeAddress(entry.address);
    const current = merged.get(address);
    const reason = current ? strongerReason(current.reason, entry.reason) : entry.reason;
    const temporary = reason === 'BOUNCE' && entry.temporary === true && (current === undefined || current.temporary === true);
    merged.set(address, temporary ? { address, reason, temporary } : { address, reason });
  }
  return [...merged.values()];
}

/** Splits a list into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

