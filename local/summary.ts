import { existsSync, readFileSync } from 'node:fs';
import { ListSuppressedDestinationsCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoSuppressionLedger } from '../lambdas/write-suppressions/adapters/dynamo-suppression-ledger.js';
import { CONFIGURATION_SET_PAUSED_EVENT, type ConfigurationSetPausedDetail } from '../lambdas/shared/events.js';
import { asPercent } from '../lambdas/pause-sending/guardrail.js';
import { feedbackClassOf, type FeedbackClass } from '../lambdas/process-feedback/feedback-record.js';
import { AWS_ENFORCEMENT_LINES, DEFAULT_SETTINGS } from '../lambdas/shared/settings.js';
import { LOCAL_CLIENT_CONFIG } from './dynamodb-local.js';
import { scanEventItems } from './feedback-table.js';
import type { LocalPipeline } from './pipeline.js';
import type { ScenarioExpectations } from './scenario.js';

export interface RunFacts {
  readonly sends?: Readonly<Record<string, number>>;
  readonly published: number;
  readonly publishSeconds: number;
  readonly processSeconds: number;
  readonly logFile: string;
  readonly timeCompression: number;
  readonly expected?: ScenarioExpectations;
}

interface EventItem {
  readonly address: string;
  readonly eventType: string;
  readonly action: string;
  readonly configurationSet?: string;
  readonly campaign?: string;
  readonly recipientDomain: string;
  readonly rule: string;
  readonly detail?: { readonly dsnCode?: string };
}

/** Reads the run back from every store and prints what happened; returns false if a check failed. */
export async function printSummary(pipeline: LocalPipeline, run: RunFacts, print: (line: string) => void): Promise<boolean> {
  const events = await scanEventItems<EventItem>(pipeline.dynamodb, pipeline.resources.tableName);
  const suppressed = await readSuppressionList(pipeline.sesEndpoint);
  const dead = await pipeline.deadLetters();
  const distinctDead = new Map(dead.map((d) => [d.body, d.reason ?? 'failed maxReceiveCount times']));
  const duplicates = countDuplicates(run.logFile);
  const ses = pipeline.ses.getStats();
  const pct = (n: number, d: number): string => `${((100 * n) / d).toFixed(2)} %`;

  print('');
  print(`Published ${run.published} SNS messages in ${run.publishSeconds.toFixed(1)} s; the pipeline processed them in ${run.processSeconds.toFixed(1)} s.`);
  print('');
  print('Events by class (read back from the DynamoDB audit trail)');
  const sets = [...new Set(events.map((e) => e.configurationSet ?? 'none'))].sort();
  const inSet = (set: string) => (e: EventItem): boolean => (e.configurationSet ?? 'none') === set;
  const count = (set: string, feedbackClass: FeedbackClass): number => events.filter((e) => inSet(set)(e) && feedbackClassOf(e) === feedbackClass).length;
  print(table(
    ['configuration set', 'sends', 'hard bounces', 'soft bounces', 'complaints', 'not-spam', 'provider blocks', 'bounce rate', 'complaint rate'],
    sets.map((set) => {
      const sends = run.sends?.[set];
      const hard = count(set, 'hard-bounce');
      const complaints = count(set, 'complaint');
      const notSpam = events.filter((e) => inSet(set)(e) && e.rule === 'complaint-not-spam').length;
      return [set, sends ?? '?', hard, count(set, 'soft-bounce'), complaints, notSpam, count(set, 'provider-block'), sends ? pct(hard, sends) : '?', sends ? pct(complaints, sends) : '?'];
    }),
  ));

  const rates: Record<string, { bounce: number; complaint: number }> = {};
  if (run.sends) {
    print('');
    print('Alarms that would fire (rate = events / sends; the stack alarms on SES\'s own reputation metrics)');
    const bounceT = DEFAULT_SETTINGS.bounceRateThresholds;
    const complaintT = DEFAULT_SETTINGS.complaintRateThresholds;
    let any = false;
    for (const set of sets) {
      const sends = run.sends[set];
      if (!sends) continue;
      const bounceRate = count(set, 'hard-bounce') / sends;
      const complaintRate = count(set, 'complaint') / sends;
      rates[set] = { bounce: bounceRate, complaint: complaintRate };
      const fired = [
        bounceRate >= bounceT.critical ? `BounceRate critical (>= ${pct(bounceT.critical, 1)})` : bounceRate >= bounceT.warning ? `BounceRate warning (>= ${pct(bounceT.warning, 1)})` : '',
        complaintRate >= complaintT.critical ? `ComplaintRate critical (>= ${pct(complaintT.critical, 1)})` : complaintRate >= complaintT.warning ? `ComplaintRate warning (>= ${pct(complaintT.warning, 1)})` : '',
      ].filter(Boolean);
      const aws = bounceRate >= AWS_ENFORCEMENT_LINES.bounceRate.pause || complaintRate >= AWS_ENFORCEMENT_LINES.complaintRate.pause
        ? ' - past the line where AWS may pause sending'
        : bounceRate >= AWS_ENFORCEMENT_LINES.bounceRate.review || complaintRate >= AWS_ENFORCEMENT_LINES.complaintRate.review
          ? ' - past the line where AWS reviews accounts'
          : '';
      if (fired.length > 0) {
        any = true;
        print(`  ${set}: ${fired.join(', ')}${aws}`);
      }
    }
    if (!any) print('  none');
  }

  // The guardrail: the local reputation alarms take these rates, as CloudWatch would SES's own, and
  // each critical one that goes to ALARM sends its event to the real pause-sending function.
  await pipeline.raiseReputationAlarms(rates);
  const pausedNow = [...pipeline.ses.configurationSets].filter(([, s]) => !s.sendingEnabled).map(([name]) => name).sort();
  const pauses = pipeline.events.bus.detailsOf<ConfigurationSetPausedDetail>(CONFIGURATION_SET_PAUSED_EVENT.detailType);
  if (run.sends) {
    print('');
    print('Guardrail (a pausable set is paused at its critical line; read back from the local SES endpoint and the "Configuration Set Paused" events)');
    for (const [name, set] of [...pipeline.ses.configurationSets].sort(([a], [b]) => a.localeCompare(b))) {
      const pause = pauses.find((p) => p.configurationSet === name);
      print(`  ${name}: ${set.sendingEnabled ? 'sending' : `PAUSED${pause ? ` at ${asPercent(pause.rate ?? 0)} ${pause.metric} rate (critical ${asPercent(pause.threshold)}) by alarm ${pause.alarmName}` : ''}`}`);
    }
    if (pausedNow.length > 0) print(`  resume with: npx ses-feedback resume ${pausedNow[0]} --local --note "what was fixed"`);
  }

  const hardBounces = events.filter((e) => feedbackClassOf(e) === 'hard-bounce');
  if (hardBounces.length > 0) {
    print('');
    print('Where the hard bounces come from');
    print(table(['recipient domain', 'hard bounces', 'share'], top(hardBounces.map((e) => e.recipientDomain), 5).map(([k, v]) => [k, v, pct(v, hardBounces.length)])));
    print(table(['campaign tag', 'hard bounces', 'share'], top(hardBounces.map((e) => e.campaign ?? '(none)'), 5).map(([k, v]) => [k, v, pct(v, hardBounces.length)])));
  }

  const suppressedAddresses = new Set(suppressed.map((s) => s.address));
  const blocks = events.filter((e) => feedbackClassOf(e) === 'provider-block');
  if (blocks.length > 0) {
    print('');
    print('Blocked by mailbox providers (DSN 5.7.x: the provider refused the sender; the readers are not suppressed)');
    print(table(
      ['recipient domain', 'blocks', 'readers suppressed', 'most common status'],
      top(blocks.map((e) => e.recipientDomain), 5).map(([domain, n]) => {
        const here = blocks.filter((e) => e.recipientDomain === domain);
        return [domain, n, here.filter((e) => suppressedAddresses.has(e.address)).length, top(here.map((e) => e.detail?.dsnCode ?? '?'), 1)[0]?.[0] ?? '?'];
      }),
    ));
  }

  const byReason = top(suppressed.map((s) => s.reason), 2);
  print('');
  print(`Suppression list (read back with ListSuppressedDestinations): ${suppressed.length} addresses (${byReason.map(([r, n]) => `${r} ${n}`).join(', ')})`);
  const announced = new Set(pipeline.events.bus.events.filter((e) => e.detailType === 'Address Suppressed').map((e) => (e.detail as { address: string }).address));
  print(`"Address Suppressed" events on the default bus: ${announced.size} addresses (read back from the local EventBridge endpoint).`);
  // From the ledger: an escalation that a hard bounce or complaint overtook is permanent now.
  const ledger = await new DynamoSuppressionLedger(pipeline.dynamodb, pipeline.resources.tableName).suppressions(suppressed.map((s) => s.address));
  const temporary = [...ledger.values()].filter((entry) => entry.temporaryUntil !== undefined);
  if (temporary.length > 0) {
    const ends = temporary.map((entry) => entry.temporaryUntil ?? '').sort();
    print(
      `  ${temporary.length} of them for repeated soft bounces: temporary, they leave the list from ${ends[0]?.slice(0, 10)} ` +
        '(softBounceSuppressionPeriod) unless they hard bounce or complain first; the rest stay for good.',
    );
  }
  print(`Duplicates absorbed: ${duplicates} redelivered decisions made no second record (and the writer skips addresses already suppressed).`);
  print(`Dead-letter queue: ${distinctDead.size} distinct messages`);
  for (const [reason, n] of top([...distinctDead.values()], 10)) print(`  ${n} x ${reason}`);
  print(`Sandboxes ended (function timeouts or crashes; each retry redoes only what was missing): ${pipeline.restarts}`);
  const calls = pipeline.ses.totalCalls();
  const rows = [...pipeline.ses.importJobs.values()].reduce((sum, job) => sum + job.processed, 0);
  print(
    `SES: ${calls} API calls for ${suppressed.length} suppressed addresses: ${ses.succeeded.PutSuppressedDestination ?? 0} single PutSuppressedDestination, ` +
      `${ses.succeeded.CreateImportJob ?? 0} import jobs (${rows} rows) followed by ${ses.succeeded.GetImportJob ?? 0} GetImportJob, ${ses.throttled} throttled ` +
      `(local clock x${run.timeCompression}: SES's 1 request/s runs at ${run.timeCompression}/s).`,
  );
  print(`  At SES's real 1 request/s these calls take about ${Math.ceil(calls / 60)} min; one call per address would take ${Math.ceil(suppressed.length / 60)} min.`);

  if (!run.expected) return true;
  const expected = run.expected;
  const blocked = expected.providerBlocks && blocks.filter((e) => e.recipientDomain === expected.providerBlocks?.domain);
  const blockedSuppressed = blocked?.filter((e) => suppressedAddresses.has(e.address)).length ?? 0;
  const blocksOk = !expected.providerBlocks || (blocked?.length === expected.providerBlocks.readers && blockedSuppressed === 0);
  const pausedOk = expected.paused === undefined || JSON.stringify(pausedNow) === JSON.stringify([...expected.paused].sort());
  const ok = suppressed.length === expected.suppressed && distinctDead.size === expected.malformed && announced.size === suppressed.length && blocksOk && pausedOk;
  print('');
  const blockLine =
    (expected.providerBlocks ? `; ${blocked?.length} readers at ${expected.providerBlocks.domain} blocked by their provider, ${blockedSuppressed} of them suppressed` : '') +
    (expected.paused ? `; paused by the guardrail: ${pausedNow.join(', ') || 'none'}` : '');
  print(ok
    ? `Check: ${suppressed.length} addresses suppressed (each announced) and ${distinctDead.size} malformed messages in the DLQ${blockLine}, as expected; nothing lost.`
    : `CHECK FAILED: expected ${expected.suppressed} suppressed, each announced, and ${expected.malformed} in the DLQ` +
        `${expected.providerBlocks ? `, ${expected.providerBlocks.readers} readers at ${expected.providerBlocks.domain} blocked and none of them suppressed` : ''}` +
        `${expected.paused ? `, paused: ${expected.paused.join(', ')}` : ''}; ` +
        `found ${suppressed.length}, ${announced.size} announced, ${distinctDead.size}${blockLine}.`);
  return ok;
}

async function readSuppressionList(endpoint: string): Promise<Array<{ address: string; reason: string }>> {
  const ses = new SESv2Client({ ...LOCAL_CLIENT_CONFIG, endpoint, retryMode: 'adaptive', maxAttempts: 10 });
  const out: Array<{ address: string; reason: string }> = [];
  let token: string | undefined;
  try {
    do {
      const page = await ses.send(new ListSuppressedDestinationsCommand({ NextToken: token, PageSize: 1000 }));
      out.push(...(page.SuppressedDestinationSummaries ?? []).map((s) => ({ address: s.EmailAddress ?? '', reason: s.Reason ?? '' })));
      token = page.NextToken;
    } while (token);
  } finally {
    ses.destroy();
  }
  return out;
}

/** Duplicates the processing function reported in its per-invocation summaries ("batch processed"). */
function countDuplicates(logFile: string): number {
  if (!existsSync(logFile)) return 0;
  let duplicates = 0;
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"batch processed"')) continue;
    try {
      duplicates += Number((JSON.parse(line) as { decisions?: { duplicates?: number } }).decisions?.duplicates ?? 0);
    } catch {
      // not a log line of the function (a worker's own message): nothing to count
    }
  }
  return duplicates;
}

function top(values: string[], n: number): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}

function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')).join('\n');
}
