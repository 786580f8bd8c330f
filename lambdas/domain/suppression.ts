import * as z from 'zod/mini';
import { addressesInText, normalizeAddress } from './address.js';
import type { SuppressionReason } from './classify.js';
import { MalformedMessageError } from './errors.js';

/** One address that should be on the account-level suppression list, and why. */
export interface SuppressionEntry {
  readonly address: string;
  readonly reason: SuppressionReason;
}

/** An import job the writer started and still has to follow to its end. */
export interface ImportJobRef {
  readonly jobId: string;
  /** Where the job's rows are (the writer reads them back when the job ends). */
  readonly objectKey: string;
  readonly rows: number;
}

/**
 * What travels on the suppression queue: addresses to suppress (from the feedback processor, or
 * retried rows of an earlier job), or an import job to check on.
 */
export type SuppressionMessage =
  | { readonly type: 'suppress'; readonly entries: readonly SuppressionEntry[]; readonly attempt: number }
  | { readonly type: 'follow-import'; readonly job: ImportJobRef; readonly attempt: number; readonly polls: number };

const reasonSchema = z.enum(['BOUNCE', 'COMPLAINT']);
const entrySchema = z.object({ address: z.string(), reason: reasonSchema });
const messageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('suppress'), entries: z.array(entrySchema), attempt: z.number() }),
  z.object({
    type: z.literal('follow-import'),
    job: z.object({ jobId: z.string(), objectKey: z.string(), rows: z.number() }),
    attempt: z.number(),
    polls: z.number(),
  }),
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

/** One entry per address (normalised), keeping the stronger reason. */
export function mergeEntries(entries: Iterable<SuppressionEntry>): SuppressionEntry[] {
  const merged = new Map<string, SuppressionReason>();
  for (const { address, reason } of entries) {
    const key = normalizeAddress(address);
    const current = merged.get(key);
    merged.set(key, current ? strongerReason(current, reason) : reason);
  }
  return [...merged].map(([address, reason]) => ({ address, reason }));
}

/**
 * Whether a call to SES would change anything: not when the address is already there with the
 * same reason, or with COMPLAINT (BOUNCE → COMPLAINT is the one upgrade).
 */
export function suppressionChanges(current: SuppressionReason | undefined, requested: SuppressionReason): boolean {
  return current === undefined || (current === 'BOUNCE' && requested === 'COMPLAINT');
}

/** Splits a list into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * Rows of an SES suppression-list import file in its JSON format: one
 * `{"emailAddress": ..., "reason": ...}` object per line.
 */
export function toImportFile(entries: readonly SuppressionEntry[]): string {
  return entries.map((e) => JSON.stringify({ emailAddress: e.address, reason: e.reason })).join('\n') + '\n';
}

/** Reads an import file written by {@link toImportFile} back. */
export function fromImportFile(text: string): SuppressionEntry[] {
  const entries: SuppressionEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as { emailAddress: string; reason: SuppressionReason };
    entries.push({ address: row.emailAddress, reason: row.reason });
  }
  return entries;
}

/**
 * Every address named in an SES failed-records file. SES documents the file only as "all the failed
 * records and related information", not its layout, so this reads addresses wherever they appear
 * (CSV or JSON) rather than trusting one layout.
 */
export function addressesIn(failedRecords: string): Set<string> {
  return addressesInText(failedRecords);
}

/** When to look at an import job again: `initial`, doubling per look, capped at `max` (SQS's 900 s). */
export function followDelaySeconds(polls: number, initialSeconds: number, maxSeconds: number): number {
  return Math.min(maxSeconds, Math.round(initialSeconds * 2 ** polls));
}
