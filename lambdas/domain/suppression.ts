import { parse as parseCsv } from 'csv-parse/sync';
import * as z from 'zod/mini';
import { normalizeAddress } from './address.js';
import type { SuppressionReason } from './classify.js';
import { MalformedMessageError } from './errors.js';

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

/** What the ledger knows of an address on the list. */
export interface LedgerEntry {
  readonly reason: SuppressionReason;
  /** When a temporary suppression ends (ISO 8601); absent: permanent. */
  readonly temporaryUntil?: string;
  /** Its removal has begun (SES may have taken it off already): a run died between the two. */
  readonly removing?: true;
}

/**
 * What a request asks, given what the ledger knows: `call` SES (the address is not on the list,
 * its removal began and SES may have taken it off, or BOUNCE → COMPLAINT, the one upgrade);
 * `make-permanent` (a hard bounce or complaint keeps a temporary suppression: the ledger only);
 * or `nothing`.
 */
export function suppressionChange(current: LedgerEntry | undefined, requested: SuppressionEntry): 'call' | 'make-permanent' | 'nothing' {
  if (current === undefined || current.removing) return 'call';
  if (current.reason === 'BOUNCE' && requested.reason === 'COMPLAINT') return 'call';
  return current.temporaryUntil !== undefined && requested.temporary !== true ? 'make-permanent' : 'nothing';
}

/** Splits a list into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** One row of an import file as written: its raw text (what SES's failed-records file quotes) and what it says. */
export interface ImportRow {
  readonly line: string;
  readonly entry: SuppressionEntry;
}

/**
 * Rows of an SES suppression-list import file (PUT) in its JSON format, one object per line:
 * `{"emailAddress": ..., "reason": ...}` (AWS's example in "Adding email addresses in bulk", SES
 * developer guide).
 */
export function toImportFile(entries: readonly SuppressionEntry[]): string {
  return importLines(entries).join('\n') + '\n';
}

/** The lines of {@link toImportFile}, one per entry: what SES's failed-records file is matched against. */
export function importLines(entries: readonly SuppressionEntry[]): string[] {
  return entries.map((e) => JSON.stringify({ emailAddress: e.address, reason: e.reason }));
}

/**
 * Reads an import file written by {@link toImportFile} back, each row with its raw line; rows are
 * temporary when `temporaryRows` (from {@link readTemporaryRows}) names them.
 */
export function fromImportFile(text: string, temporaryRows: ReadonlySet<number> = new Set()): ImportRow[] {
  const rows: ImportRow[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as { emailAddress: string; reason: SuppressionReason };
    const entry: SuppressionEntry = { address: row.emailAddress, reason: row.reason };
    rows.push({ line, entry: temporaryRows.has(rows.length) ? { ...entry, temporary: true } : entry });
  }
  return rows;
}

/** The file beside a job's rows that says which of them are temporary: their indexes, as JSON. */
export function temporaryRowsFile(entries: readonly SuppressionEntry[]): string | undefined {
  const indexes = entries.flatMap((e, i) => (e.temporary ? [i] : []));
  return indexes.length === 0 ? undefined : JSON.stringify(indexes);
}

/** Reads {@link temporaryRowsFile} back. */
export function readTemporaryRows(text: string): Set<number> {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every((i) => Number.isInteger(i))) throw new Error('the temporary-rows file is not a list of row numbers');
  return new Set(parsed as number[]);
}

/** What SES's failed-records file says of the rows of a job. */
export type FailedRowsReading =
  /** Indexes (into the submitted rows) of the rows SES refused. */
  | { readonly failed: ReadonlySet<number>; readonly unknown?: undefined }
  /** The file cannot be matched to what we submitted: treat the job's outcome as unknown. */
  | { readonly failed?: undefined; readonly unknown: string };

/**
 * Which of the rows we submitted SES refused, from its failed-records file and its count of failed rows.
 *
 * SES documents the file only as "all the failed records and related information", not its layout,
 * so it is read as the records it is (JSON lines: every string value of each object; otherwise CSV,
 * RFC 4180: every cell) and each record is matched to a submitted row by that row's raw text, never
 * by looking for address shapes. SES's own count decides: when fewer submitted rows are named than
 * SES counted, the outcome is unknown, and unknown is retried, never taken as "suppressed".
 */
export function matchFailedRecords(submittedLines: readonly string[], failedRecordsFile: string, failedCount: number): FailedRowsReading {
  if (failedCount === 0) return { failed: new Set() };
  const texts = recordTexts(failedRecordsFile);
  if (texts === undefined) return { unknown: `the failed-records file is neither JSON lines nor CSV (${failedCount} rows failed)` };
  const failed = new Set<number>();
  submittedLines.forEach((line, i) => {
    if (texts.has(line.trim())) failed.add(i);
  });
  if (failed.size < failedCount) {
    return { unknown: `SES counted ${failedCount} failed rows, and its failed-records file names ${failed.size} of the rows submitted` };
  }
  return { failed };
}

/** Every text a failed-records file holds, trimmed: string values of JSON lines, else CSV cells, plus each whole line. */
function recordTexts(file: string): Set<string> | undefined {
  const lines = file.split(/\r?\n/).filter((line) => line.trim() !== '');
  const texts = new Set(lines.map((line) => line.trim()));
  const json: unknown[] = [];
  for (const line of lines) {
    try {
      json.push(JSON.parse(line));
    } catch {
      json.length = 0;
      break;
    }
  }
  if (json.length === lines.length) {
    const collect = (value: unknown): void => {
      if (typeof value === 'string') texts.add(value.trim());
      else if (Array.isArray(value)) value.forEach(collect);
      else if (typeof value === 'object' && value !== null) Object.values(value).forEach(collect);
    };
    json.forEach(collect);
    return texts;
  }
  try {
    for (const cells of parseCsv(file, { relax_column_count: true, skip_empty_lines: true })) for (const cell of cells) texts.add(cell.trim());
  } catch {
    return undefined;
  }
  return texts;
}

/** When to look at an import job again: `initial`, doubling per look, capped at `max` (SQS's 900 s). */
export function followDelaySeconds(polls: number, initialSeconds: number, maxSeconds: number): number {
  return Math.min(maxSeconds, Math.round(initialSeconds * 2 ** polls));
}
