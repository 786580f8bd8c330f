import { createHash } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as toCsv } from 'csv-stringify/sync';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DeleteSuppressedDestinationCommand, ListSuppressedDestinationsCommand, NotFoundException, SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoFeedbackStore } from '../lambdas/adapters/dynamo-feedback-store.js';
import { DynamoSuppressionLedger } from '../lambdas/adapters/dynamo-suppression-ledger.js';
import { SesPacer } from '../lambdas/adapters/ses-pacer.js';
import { SesSuppressionImports } from '../lambdas/adapters/ses-suppression-imports.js';
import { SesSuppressionList } from '../lambdas/adapters/ses-suppression-list.js';
import { FEEDBACK_TABLE, IMPORT_FILES, importJobKey, SES_MAX_ROWS_PER_IMPORT } from '../lambdas/contract.js';
import {
  addressProblem,
  chunk,
  holdAgainstRemoval,
  importLines,
  maskAddress,
  matchFailedRecords,
  mergeEntries,
  redactAddresses,
  SuppressionRejectedError,
  type SuppressionEntry,
  type SuppressionReason,
} from '../lambdas/domain/index.js';
import { DEFAULT_SETTINGS } from '../lambdas/settings.js';
import { CliError, type Target } from './target.js';

/** What the commands print to; `progress` rewrites one status line (stderr). */
export interface CommandOutput {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly progress: (line: string) => void;
}

const REASONS = new Set(['BOUNCE', 'COMPLAINT']);

/** One problem row of an import file. */
export interface RowProblem {
  readonly line: number;
  readonly problem: string;
}

/**
 * The rows of an operator's file: CSV (RFC 4180: `address[,reason]`, optional header, cells
 * quoted as spreadsheets write them) or JSON lines. A cell that {@link exportSuppressions} wrote
 * with a `'` before a formula character reads back as the address it was.
 */
export function parseSuppressionFile(text: string, defaultReason: SuppressionReason | undefined): { entries: SuppressionEntry[]; problems: RowProblem[] } {
  const entries: SuppressionEntry[] = [];
  const problems: RowProblem[] = [];
  const lines = text.split(/\r?\n/);
  const firstLine = lines.findIndex((l) => l.trim() !== '');
  const json = lines[firstLine]?.trim().startsWith('{') ?? false;
  lines.forEach((raw, index) => {
    const line = index + 1;
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    let address: unknown;
    let reason: unknown;
    if (json) {
      try {
        const row = JSON.parse(text) as Record<string, unknown>;
        address = row.emailAddress ?? row.email ?? row.address;
        reason = row.reason;
      } catch {
        problems.push({ line, problem: 'not a JSON object' });
        return;
      }
    } else {
      let cells: string[];
      try {
        cells = (parseCsv(text, { relax_column_count: true })[0] ?? []).map((cell) => unescapeFormula(cell.trim()));
      } catch {
        problems.push({ line, problem: 'not a CSV row (a quote is not closed)' });
        return;
      }
      if (index === firstLine && /e-?mail|address/i.test(cells[0] ?? '') && !(cells[0] ?? '').includes('@')) return; // header
      [address, reason] = cells;
    }
    const resolvedReason = typeof reason === 'string' && reason !== '' ? reason.toUpperCase() : defaultReason;
    if (typeof address !== 'string') {
      problems.push({ line, problem: 'no address' });
      return;
    }
    const problem = addressProblem(address.trim());
    if (problem) {
      problems.push({ line, problem });
      return;
    }
    if (!resolvedReason || !REASONS.has(resolvedReason)) {
      problems.push({ line, problem: resolvedReason ? `reason must be BOUNCE or COMPLAINT, got '${shortCell(resolvedReason)}'` : 'no reason: add one per row or pass --reason' });
      return;
    }
    entries.push({ address: address.trim().toLowerCase(), reason: resolvedReason as SuppressionReason });
  });
  return { entries, problems };
}

/** A cell as it may be echoed on stderr: addresses masked, at most 40 characters. */
function shortCell(cell: string): string {
  const masked = redactAddresses(cell);
  return masked.length > 40 ? `${masked.slice(0, 40)}... (${cell.length} characters)` : masked;
}

/** Cells {@link exportCsv} puts a `'` before: those a spreadsheet would read as a formula (OWASP), and those starting with `'`. */
const ESCAPED_START = /^[=+\-@\t\r']/;

function escapeFormula(cell: string): string {
  return ESCAPED_START.test(cell) ? `'${cell}` : cell;
}

/** Undoes {@link escapeFormula}: exactly one `'` before a cell it would have escaped. */
function unescapeFormula(cell: string): string {
  return cell.startsWith("'") && ESCAPED_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}

export interface ImportOptions {
  readonly pollSeconds: number;
  /** Below this many addresses, single PutSuppressedDestination calls are used. */
  readonly singleCallLimit?: number;
  /** Addresses per import job. @default 100,000 (SES's limit per import) */
  readonly rowsPerJob?: number;
}

export interface ImportSummary {
  readonly valid: number;
  readonly invalid: number;
  readonly imported: number;
  readonly refused: number;
  readonly jobs: number;
  readonly resumed: number;
}

/**
 * `suppression import`: validates every row first, then puts the valid addresses on the list (one
 * import job per 100,000, single calls for a handful), follows each job with a progress line, and
 * records the result in the pipeline's ledger. A chunk is keyed by the hash of its rows, so a
 * re-run after an interruption follows the job already started or skips the finished one.
 */
export async function importSuppressions(target: Target, text: string, reason: SuppressionReason | undefined, options: ImportOptions, output: CommandOutput): Promise<ImportSummary> {
  const { entries, problems } = parseSuppressionFile(text, reason);
  // Every invalid row, by line number and problem (not the address: stderr may end up in a log).
  if (problems.length > 0) output.err(problems.map((p) => `line ${p.line}: ${p.problem}\n`).join(''));
  const rows = mergeEntries(entries).sort((a, b) => (a.address < b.address ? -1 : 1));
  output.err(`${rows.length} addresses to suppress (${entries.length} valid rows, ${problems.length} invalid)\n`);
  const ses = target.client('sesv2', SESv2Client);
  const dynamodb = target.client('dynamodb', DynamoDBClient);
  const ledger = new DynamoSuppressionLedger(dynamodb, target.tableName);
  const pacer = new SesPacer(target.sesRequestsPerSecond);
  // A removal of a temporary suppression may be under way for some of these rows: claimed first, so
  // that it puts them back instead of leaving them off the list behind this import.
  await holdAgainstRemoval(ledger, rows, new Date());
  let imported = 0;
  let refused = 0;
  let jobs = 0;
  let resumed = 0;

  if (rows.length > 0 && rows.length < (options.singleCallLimit ?? DEFAULT_SETTINGS.importThreshold)) {
    const list = new SesSuppressionList(ses, pacer);
    const done: SuppressionEntry[] = [];
    for (const row of rows) {
      try {
        await list.suppress(row.address, row.reason);
        done.push(row);
      } catch (error) {
        if (!(error instanceof SuppressionRejectedError)) throw error;
        refused++;
        // Addresses masked here as in every log line: the terminal's output is often kept (CI logs, tickets).
        output.err(`${maskAddress(row.address)} refused by SES: ${redactAddresses(error.message)}\n`);
      }
      output.progress(bar('suppressing', done.length + refused, rows.length));
    }
    await ledger.recordSuppressed(done, { via: 'operator-import' }, new Date());
    return { valid: entries.length, invalid: problems.length, imported: done.length, refused, jobs, resumed };
  }

  const imports = new SesSuppressionImports({ ses, s3: target.client('s3', S3Client), bucketName: target.importBucketName, prefix: IMPORT_FILES.operatorPrefix, pacer });
  const doc = DynamoDBDocumentClient.from(dynamodb);
  for (const part of chunk(rows, options.rowsPerJob ?? SES_MAX_ROWS_PER_IMPORT)) {
    const digest = createHash('sha256').update(part.map((r) => `${r.address},${r.reason}`).join('\n')).digest('hex');
    const key = { [FEEDBACK_TABLE.partitionKey]: importJobKey(digest), [FEEDBACK_TABLE.sortKey]: FEEDBACK_TABLE.sortKeys.importJob };
    const known = (await doc.send(new GetCommand({ TableName: target.tableName, Key: key }))).Item as { jobId?: string; status?: string } | undefined;
    if (known?.status === 'COMPLETED') {
      output.err(`rows ${imported + refused + 1}-${imported + refused + part.length}: imported before (job ${known.jobId}), skipped\n`);
      imported += part.length;
      resumed++;
      continue;
    }
    let jobId = known?.jobId;
    if (jobId) {
      output.err(`resuming import job ${jobId} (${part.length} rows)\n`);
      resumed++;
    } else {
      jobId = (await imports.start(part, 'PUT', undefined, `${digest}.jsonl`)).jobId;
      jobs++;
      await doc.send(new PutCommand({ TableName: target.tableName, Item: { ...key, jobId, rows: part.length, status: 'RUNNING', startedAt: new Date().toISOString() } }));
    }
    for (;;) {
      const status = await imports.status(jobId);
      if (status.state === 'running') {
        output.progress(bar(`import job ${jobId}`, status.processed ?? 0, part.length));
        await new Promise((resolve) => setTimeout(resolve, options.pollSeconds * 1000));
        continue;
      }
      if (status.state === 'failed') {
        // Forget the job, so that running the command again starts a new one.
        await doc.send(new PutCommand({ TableName: target.tableName, Item: { ...key, status: 'FAILED', failedJobId: jobId, error: status.errorMessage } }));
        throw new CliError(`import job ${jobId} failed: ${status.errorMessage} (run the command again to retry)`);
      }
      output.progress(bar(`import job ${jobId}`, part.length, part.length));
      const match = matchFailedRecords(importLines(part), status.failedRecords, status.failedCount);
      if (match.unknown !== undefined) {
        // Nothing is recorded as suppressed on an answer we cannot read: forget the job, so a re-run imports again.
        await doc.send(new PutCommand({ TableName: target.tableName, Item: { ...key, status: 'FAILED', failedJobId: jobId, error: match.unknown } }));
        throw new CliError(`import job ${jobId}: ${match.unknown}; nothing of it was recorded as suppressed (run the command again to retry)`);
      }
      const done = part.filter((_, i) => !match.failed.has(i));
      await ledger.recordSuppressed(done, { via: 'operator-import', jobId }, new Date());
      await doc.send(new PutCommand({ TableName: target.tableName, Item: { ...key, jobId, rows: part.length, status: 'COMPLETED', completedAt: new Date().toISOString() } }));
      imported += done.length;
      refused += part.length - done.length;
      if (part.length > done.length) output.err(`import job ${jobId}: SES refused ${part.length - done.length} rows (see its failed-records file)\n`);
      break;
    }
  }
  return { valid: entries.length, invalid: problems.length, imported, refused, jobs, resumed };
}

/**
 * `suppression export`: every listed address as CSV (`email,reason,last_update_time,temporary_until`),
 * paged at SES's rate. `temporary_until` is when the pipeline takes an address whose soft bounces
 * escalated off the list again (from the ledger; empty: it stays). RFC 4180 quoting, and a `'`
 * before any cell a spreadsheet would run as a formula (OWASP's rule for CSV injection);
 * `suppression import` reads the file back to the same list (every row permanent: an operator's
 * import is a decision to keep).
 */
export async function exportSuppressions(target: Target, filter: { since?: Date; reason?: SuppressionReason }, output: CommandOutput): Promise<number> {
  const ses = target.client('sesv2', SESv2Client);
  const ledger = new DynamoSuppressionLedger(target.client('dynamodb', DynamoDBClient), target.tableName);
  const pacer = new SesPacer(target.sesRequestsPerSecond);
  output.out(exportCsv([], true));
  let count = 0;
  let token: string | undefined;
  do {
    const page = await pacer.run(() =>
      ses.send(
        new ListSuppressedDestinationsCommand({
          PageSize: 1000,
          NextToken: token,
          ...(filter.since ? { StartDate: filter.since } : {}),
          ...(filter.reason ? { Reasons: [filter.reason] } : {}),
        }),
      ),
    );
    const summaries = page.SuppressedDestinationSummaries ?? [];
    const known = await ledger.suppressions(summaries.map((s) => (s.EmailAddress ?? '').toLowerCase()));
    const rows = summaries.map((s) => ({
      address: s.EmailAddress ?? '',
      reason: s.Reason ?? '',
      lastUpdateTime: s.LastUpdateTime,
      temporaryUntil: known.get((s.EmailAddress ?? '').toLowerCase())?.temporaryUntil,
    }));
    if (rows.length > 0) output.out(exportCsv(rows, false));
    count += rows.length;
    output.progress(`exported ${count} addresses`);
    token = page.NextToken;
  } while (token);
  return count;
}

/**
 * Rows of the export file: RFC 4180, and a `'` before every cell a spreadsheet would read as a
 * formula (starting with `=`, `+`, `-`, `@`, tab or carriage return: OWASP's rule against CSV
 * injection), and before a cell that starts with `'` itself, so that import can always undo it
 * (`'+a@example.com` is a valid address too). A cell starting with `#` (also valid:
 * `#a@example.com`) is quoted, or import would read its row as a comment.
 */
export function exportCsv(rows: ReadonlyArray<{ address: string; reason: string; lastUpdateTime?: Date; temporaryUntil?: string }>, header: boolean): string {
  const cells = rows.map((r) => [r.address, r.reason, r.lastUpdateTime?.toISOString() ?? '', r.temporaryUntil ?? ''].map(escapeFormula));
  return toCsv(header ? [['email', 'reason', 'last_update_time', 'temporary_until'], ...cells] : cells, { quoted_match: /^#/ });
}

/**
 * `suppression remove`: takes one address off the list (for a user who proved it works again),
 * forgets it in the ledger so a new hard bounce suppresses it again, and records who-knows-why in
 * the audit trail.
 */
export async function removeSuppression(target: Target, address: string, note: string | undefined): Promise<'removed' | 'not-listed'> {
  const problem = addressProblem(address);
  if (problem) throw new CliError(problem === 'empty' ? 'the address is empty' : `'${address}' is not a valid address: ${problem}`);
  const normalized = address.toLowerCase();
  let outcome: 'removed' | 'not-listed' = 'removed';
  try {
    await target.client('sesv2', SESv2Client).send(new DeleteSuppressedDestinationCommand({ EmailAddress: normalized }));
  } catch (error) {
    if (!(error instanceof NotFoundException)) throw error;
    outcome = 'not-listed';
  }
  const dynamodb = target.client('dynamodb', DynamoDBClient);
  await new DynamoSuppressionLedger(dynamodb, target.tableName).forget(normalized);
  if (outcome === 'removed') {
    const store = new DynamoFeedbackStore({ client: dynamodb, tableName: target.tableName, eventRetentionInDays: DEFAULT_SETTINGS.eventRetentionInDays });
    await store.recordOperatorRemoval(normalized, note, new Date());
  }
  return outcome;
}

/** `label [#####-----]  45 % 45,000/100,000` */
export function bar(label: string, done: number, total: number): string {
  const share = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(share * 20);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${String(Math.floor(share * 100)).padStart(3)} % ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`;
}
