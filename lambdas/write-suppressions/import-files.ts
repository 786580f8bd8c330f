import { parse as parseCsv } from 'csv-parse/sync';
import type { SuppressionEntry, SuppressionReason } from '../shared/suppression.js';

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
