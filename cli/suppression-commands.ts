import { randomUUID } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as toCsv } from 'csv-stringify/sync';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListSuppressedDestinationsCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoOperatorRequests } from '../lambdas/write-suppressions/adapters/dynamo-operator-requests.js';
import { DynamoSuppressionLedger } from '../lambdas/write-suppressions/adapters/dynamo-suppression-ledger.js';
import { SesPacer } from '../lambdas/shared/adapters/ses-pacer.js';
import { SqsSuppressionQueue } from '../lambdas/shared/adapters/sqs-suppression-queue.js';
import { addressProblem, maskAddress, redactAddresses } from '../lambdas/shared/address.js';
import { mergeEntries, type SuppressionEntry, type SuppressionMessage, type SuppressionReason } from '../lambdas/shared/suppression.js';
import { DEFAULT_SETTINGS } from '../lambdas/shared/settings.js';
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
  /** Seconds between looks at the writer's progress. */
  readonly pollSeconds: number;
  /** Gives up waiting (not the import: the writer goes on) after this long. */
  readonly timeoutSeconds: number;
}

export interface ImportSummary {
  readonly valid: number;
  readonly invalid: number;
  /** On the list and in the ledger (also those that were before). */
  readonly imported: number;
  readonly refused: number;
}

/**
 * `suppression import`: validates every row first, then hands the valid addresses to the writer
 * (the one door to the SES list: single calls or import jobs, within SES's rate, never weakening
 * a complaint), and waits, with a progress line, until each is in the ledger or SES refused it.
 * Safe to run again: what is on the list already costs no SES call.
 */
export async function importSuppressions(target: Target, text: string, reason: SuppressionReason | undefined, options: ImportOptions, output: CommandOutput): Promise<ImportSummary> {
  const { entries, problems } = parseSuppressionFile(text, reason);
  // Every invalid row, by line number and problem (not the address: stderr may end up in a log).
  if (problems.length > 0) output.err(problems.map((p) => `line ${p.line}: ${p.problem}\n`).join(''));
  const rows = mergeEntries(entries);
  output.err(`${rows.length} addresses to suppress (${entries.length} valid rows, ${problems.length} invalid)\n`);
  const dynamodb = target.client('dynamodb', DynamoDBClient);
  const ledger = new DynamoSuppressionLedger(dynamodb, target.tableName);
  const requests = operatorRequests(target, dynamodb, ledger);
  // Refusals are recorded under this request: no clock of this machine's is compared with the writer's.
  const request = randomUUID();
  await new SqsSuppressionQueue(target.client('sqs', SQSClient), target.suppressionQueueUrl).retry(rows, 1, request);
  let pending = rows.map((r) => r.address);
  let imported = 0;
  let refused = 0;
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const wanted = new Map(rows.map((r) => [r.address, r.reason]));
  for (;;) {
    // Done once the ledger holds it for good with at least the reason asked for (the writer has read the row).
    const known = await ledger.suppressions(pending, true);
    const done = new Set([...known].filter(([address, e]) => e.temporaryUntil === undefined && (e.reason === 'COMPLAINT' || wanted.get(address) === 'BOUNCE')).map(([address]) => address));
    const refusals = await requests.refusals(pending.filter((a) => !done.has(a)), request);
    for (const [address, why] of refusals) output.err(`${maskAddress(address)} refused by SES: ${why}\n`);
    imported += done.size;
    refused += refusals.size;
    pending = pending.filter((a) => !done.has(a) && !refusals.has(a));
    output.progress(bar('suppressing', imported + refused, rows.length));
    if (pending.length === 0) break;
    if (Date.now() > deadline) {
      throw new CliError(`${pending.length} of ${rows.length} addresses not settled after ${options.timeoutSeconds} s; the writer goes on with them (check its logs and the dead-letter queue, or run the command again)`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollSeconds * 1000));
  }
  return { valid: entries.length, invalid: problems.length, imported, refused };
}

function operatorRequests(target: Target, dynamodb: DynamoDBClient, ledger: DynamoSuppressionLedger): DynamoOperatorRequests {
  return new DynamoOperatorRequests(dynamodb, target.tableName, ledger, DEFAULT_SETTINGS.eventRetentionInDays);
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
 * `suppression remove`: asks the writer to take one address off the list (for a user who proved it
 * works again), forget it in the ledger so a new hard bounce suppresses it again, and record
 * who-knows-why in the audit trail; waits for its outcome.
 */
export async function removeSuppression(target: Target, address: string, note: string | undefined, options: ImportOptions): Promise<'removed' | 'not-listed'> {
  const problem = addressProblem(address);
  if (problem) throw new CliError(problem === 'empty' ? 'the address is empty' : `'${address}' is not a valid address: ${problem}`);
  const request = randomUUID();
  const message: SuppressionMessage = { type: 'remove', address: address.toLowerCase(), request, ...(note !== undefined ? { note } : {}) };
  await new SqsSuppressionQueue(target.client('sqs', SQSClient), target.suppressionQueueUrl).requeue([message], 0);
  const dynamodb = target.client('dynamodb', DynamoDBClient);
  const requests = operatorRequests(target, dynamodb, new DynamoSuppressionLedger(dynamodb, target.tableName));
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  for (;;) {
    const settled = await requests.removalOutcome(request);
    if (settled?.outcome === 'refused') throw new CliError(`SES refused to take the address off the list: ${settled.why ?? 'no reason given'}`);
    if (settled !== undefined) return settled.outcome;
    if (Date.now() > deadline) throw new CliError(`the writer has not taken the removal after ${options.timeoutSeconds} s; it goes on (check its logs and the dead-letter queue)`);
    await new Promise((resolve) => setTimeout(resolve, options.pollSeconds * 1000));
  }
}

/** `label [#####-----]  45 % 45,000/100,000` */
export function bar(label: string, done: number, total: number): string {
  const share = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(share * 20);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${String(Math.floor(share * 100)).padStart(3)} % ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`;
}
