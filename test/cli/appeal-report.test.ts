import type { AccountSnapshot } from '../../lambdas/watch-reputation/reputation-watcher.js';
import type { IndexedEvent } from '../../cli/audit-events.js';
import { AppealReportBuilder, isEmpty, type ReportContext } from '../../cli/report/appeal-report.js';
import { BLOCK_SAMPLE_PER_DOMAIN, type BlockDetail, keyId, TOP_BLOCKED_DOMAINS } from '../../cli/report/provider-blocks.js';
import { toHtml } from '../../cli/report/html.js';
import { toMarkdown } from '../../cli/report/markdown.js';
import { alarmedThresholds } from '../../cli/report-command.js';
import { addressKey, eventSortKey } from '../../lambdas/shared/contract.js';

const FROM = new Date('2026-11-01T00:00:00.000Z');
const UNTIL = new Date('2026-11-03T23:59:59.999Z');

function context(snapshots: AccountSnapshot[] = [], showAddresses = false, blockDetails: ReadonlyMap<string, BlockDetail> = new Map()): ReportContext {
  return {
    from: FROM,
    until: UNTIL,
    generatedAt: new Date('2026-11-04T08:00:00.000Z'),
    target: { kind: 'deployed', name: 'SesFeedbackPipeline' },
    liveSince: '2026-10-01T12:00:00.000Z',
    thresholds: {
      bounceRate: { warning: 0.03, critical: 0.05 },
      complaintRate: { warning: 0.0008, critical: 0.001 },
      aws: { bounceRate: { review: 0.05, pause: 0.1 }, complaintRate: { review: 0.001, pause: 0.005 } },
      softBounce: { threshold: 5, windowInDays: 30 },
    },
    alarms: [{ name: 'BounceRateCritical', metric: 'Reputation.BounceRate', threshold: 0.05, state: 'ALARM' }],
    snapshots,
    blockDetails,
    showAddresses,
  };
}

/** The action the pipeline took for each rule (an unknown rule name: record). */
const ACTION_OF: Record<string, string> = { 'permanent-bounce': 'suppress', 'address-status': 'suppress', complaint: 'suppress', 'soft-bounce': 'count' };

let n = 0;
function event(rule: string, extra: Partial<IndexedEvent> = {}): IndexedEvent {
  n++;
  const eventType = rule.includes('complaint') ? 'Complaint' : 'Bounce';
  const address = `user${n}@example.org`;
  return {
    tableKey: { pk: addressKey(address), sk: eventSortKey(`2026-11-02T10:00:00.000Z#${eventType}#m${n}`) },
    address,
    eventAt: '2026-11-02T10:00:00.000Z',
    eventType,
    action: ACTION_OF[rule] ?? 'record',
    rule,
    configurationSet: 'marketing',
    recipientDomain: 'example.org',
    ...extra,
  };
}

function build(events: IndexedEvent[], snapshots: AccountSnapshot[] = [], showAddresses = false) {
  const builder = new AppealReportBuilder(showAddresses);
  events.forEach((e) => builder.add(e));
  return builder.build(context(snapshots, showAddresses));
}

describe('AppealReportBuilder', () => {
  it('ranks what drove hard bounces and complaints, with each value\'s share, and calls a missing campaign (none)', () => {
    const report = build([
      ...Array.from({ length: 6 }, () => event('permanent-bounce', { campaign: 'spring-sale', recipientDomain: 'oldmail.example.net' })),
      event('address-status', { campaign: 'spring-sale' }),
      event('complaint', { campaign: 'spring-sale' }),
      event('permanent-bounce', { configurationSet: 'transactional' }),
      event('complaint', { configurationSet: 'transactional' }),
    ]);
    expect(report.drivers.campaign).toEqual([
      { value: 'spring-sale', hardBounces: 7, complaints: 1, share: 0.8 },
      { value: '(none)', hardBounces: 1, complaints: 1, share: 0.2 },
    ]);
    expect(report.drivers.recipientDomain[0]).toEqual({ value: 'oldmail.example.net', hardBounces: 6, complaints: 0, share: 0.6 });
    expect(report.drivers.configurationSet.map((d) => d.value)).toEqual(['marketing', 'transactional']);
  });

  it('counts as hard bounces and complaints only what counts against the account: not bounces off the suppression list, not "not-spam"', () => {
    const report = build([
      event('permanent-bounce'),
      event('already-on-account-suppression-list'),
      event('message-level-bounce'),
      event('soft-bounce'),
      event('complaint'),
      event('complaint-not-spam'),
    ]);
    expect(report.totals).toEqual({ events: 6, hardBounces: 1, softBounces: 1, complaints: 1 });
    expect(report.days.map((d) => [d.day, d.hardBounces, d.softBounces, d.complaints])).toEqual([
      ['2026-11-01', 0, 0, 0],
      ['2026-11-02', 1, 1, 1],
      ['2026-11-03', 0, 0, 0],
    ]);
  });

  it('counts entries by event type and action, so a rule name it does not know (older or newer records) breaks nothing', () => {
    const report = build([
      event('permanent-status-on-soft-bounce', { action: 'suppress' }),
      event('some-future-rule', { action: 'record' }),
      event('some-future-soft-rule', { action: 'count' }),
    ]);
    expect(report.totals).toEqual({ events: 3, hardBounces: 1, softBounces: 1, complaints: 0 });
    expect(report.providerBlocks.total).toBe(0);
  });

  it('tells suppressions by the pipeline from imported ones, and lists addresses only when asked', () => {
    const suppressed = (via: string, reason = 'BOUNCE'): IndexedEvent => event('', { eventType: 'Suppressed', action: 'suppress', rule: undefined as unknown as string, reason, via, eventAt: '2026-11-03T01:00:00.000Z' });
    const events = [suppressed('put'), suppressed('import'), suppressed('put', 'COMPLAINT'), suppressed('operator-import')];
    const hidden = build(events);
    expect(hidden.suppressed).toMatchObject({ total: 4, byReason: { BOUNCE: 3, COMPLAINT: 1 }, byVia: { pipeline: 3, 'operator-import': 1 }, addresses: [] });
    expect(hidden.days[2]?.suppressed).toBe(4);
    expect(hidden.totals.events).toBe(0); // ledger entries are not feedback events
    expect(build(events, [], true).suppressed.addresses).toHaveLength(4);
  });

  it('counts temporary suppressions that ended apart from feedback and from suppressions, and says hard bounces and complaints stay', () => {
    // As the ledger writes them (dynamo-suppression-ledger.ts): a SuppressionExpired entry on the time index.
    const ended = (): IndexedEvent => event('temporary-suppression-ended', { eventType: 'SuppressionExpired', action: 'unsuppress', reason: 'BOUNCE', via: 'put', configurationSet: undefined });
    const report = build([ended(), ended(), event('permanent-bounce')]);
    expect(report.suppressionsEnded).toBe(2);
    expect(report.totals.events).toBe(1);
    expect(report.suppressed.total).toBe(0);
    expect(isEmpty(build([ended()]))).toBe(false);
    const line = '2 addresses suppressed after repeated soft bounces (a full mailbox, say) left the list when their temporary suppression ended; hard bounces and complaints stay suppressed for good.';
    expect(toMarkdown(report)).toContain(line);
    expect(toHtml(report)).toContain(line);
    expect(toMarkdown(build([event('permanent-bounce')]))).not.toContain('temporary suppression ended');
  });

  it('keeps the days\' peak reputation rates and only the snapshots where the enforcement status or sending changed', () => {
    const snap = (at: string, enforcementStatus: string, bounceRate: number, sendingEnabled = true): AccountSnapshot => ({ at, enforcementStatus, sendingEnabled, productionAccess: true, bounceRate, complaintRate: 0.0002 });
    const report = build([], [
      snap('2026-11-01T00:00:00.000Z', 'HEALTHY', 0.01),
      snap('2026-11-01T12:00:00.000Z', 'HEALTHY', 0.04),
      snap('2026-11-02T00:00:00.000Z', 'PROBATION', 0.06),
      snap('2026-11-02T06:00:00.000Z', 'PROBATION', 0.07),
      snap('2026-11-03T00:00:00.000Z', 'SHUTDOWN', 0.05, false),
    ]);
    expect(report.days.map((d) => d.bounceRate)).toEqual([0.04, 0.07, 0.05]);
    expect(report.enforcementHistory.map((s) => `${s.at.slice(0, 10)} ${s.enforcementStatus} ${s.sendingEnabled}`)).toEqual([
      '2026-11-01 HEALTHY true',
      '2026-11-02 PROBATION true',
      '2026-11-03 SHUTDOWN false',
    ]);
    expect(isEmpty(report)).toBe(false);
    const html = toHtml(report);
    expect(html.match(/<polyline class="rate"/g)).toHaveLength(2);
    expect(toMarkdown(report)).toContain('| 2026-11-02 00:00 UTC | PROBATION | enabled |');
  });

  it('reports an empty range as such, in both formats', () => {
    const report = build([]);
    expect(isEmpty(report)).toBe(true);
    expect(toMarkdown(report)).toContain('**No events in range.**');
    expect(toHtml(report)).toContain('<strong>No events in range.</strong>');
  });

  it('keeps values from the mail from breaking out of the Markdown table or the HTML', () => {
    const report = build([event('permanent-bounce', { campaign: 'a|b`c<script>' })]);
    expect(toMarkdown(report)).toContain('| `a?b?c<script>` | 1 | 0 | 100.00 % |');
    expect(toHtml(report)).toContain('<code>a|b`c&#60;script&#62;</code>');
    expect(toHtml(report)).not.toContain('<script>');
  });

  it('escapes every other value it interpolates into the Markdown: an address, an alarm name or a stack name cannot forge a row', () => {
    const forged = 'a|b@example.com\n| forged | row |';
    const builder = new AppealReportBuilder(true);
    builder.add(event('permanent-bounce'));
    builder.add(event('suppressed', { eventType: 'Suppressed', address: forged, reason: 'BOUNCE', via: 'put' }));
    const base = context([], true);
    const report = builder.build({ ...base, target: { kind: 'deployed', name: 'Stack|x' }, alarms: [{ name: 'Alarm|forged\n|', metric: 'M', threshold: 1, state: 'OK' }] });
    const markdown = toMarkdown(report);
    const rows = markdown.split('\n').filter((line) => line.startsWith('|'));
    expect(rows.some((line) => line.includes('forged | row'))).toBe(false);
    expect(markdown).toContain('| a\\|b@example.com \\| forged \\| row \\| | BOUNCE |');
    expect(markdown).toContain('| Alarm\\|forged \\| | M | 1 | OK |');
    expect(markdown).toContain('stack Stack\\|x');
  });
});

describe('AppealReportBuilder: blocked by mailbox providers', () => {
  const GMAIL_SPAM = (ip: string) => `smtp; 550-5.7.1 [${ip}] Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked.`;
  const DMARC = "smtp; 550 5.7.26 Unauthenticated email from news.example.com is not accepted due to domain's DMARC policy.";
  const block = (domain: string, eventAt: string) => event('provider-block', { recipientDomain: domain, eventAt });

  /** Builds the report the way the report command does: index entries, then the table's details of the sample. */
  function withDetails(events: IndexedEvent[], detailOf: (e: IndexedEvent, i: number) => BlockDetail, showAddresses = false) {
    const builder = new AppealReportBuilder(showAddresses);
    events.forEach((e) => builder.add(e));
    const sampled = new Set(builder.providerBlockSamples().map(keyId));
    const details = new Map(events.flatMap((e, i) => (sampled.has(keyId(e.tableKey)) ? [[keyId(e.tableKey), detailOf(e, i)] as const] : [])));
    return { report: builder.build(context([], showAddresses, details)), sampled };
  }

  it('groups blocks by recipient domain with first and last seen, and not as hard bounces', () => {
    // Prepare: 30 blocks at gmail.example, 2 at other.example, and one hard bounce
    const events = [
      ...Array.from({ length: 30 }, (_, i) => block('gmail.example', `2026-11-02T${String(10 + (i % 5)).padStart(2, '0')}:00:00.000Z`)),
      block('other.example', '2026-11-01T08:00:00.000Z'),
      block('other.example', '2026-11-03T09:30:00.000Z'),
      event('permanent-bounce'),
    ];
    // Act
    const { report } = withDetails(events, () => ({ dsnCode: '5.7.1', diagnosticCode: GMAIL_SPAM('203.0.113.7') }));
    // Assess
    expect(report.totals).toEqual({ events: 33, hardBounces: 1, softBounces: 0, complaints: 0 });
    expect(report.providerBlocks.total).toBe(32);
    expect(report.providerBlocks.domains.map(({ domain, blocks, first, last }) => ({ domain, blocks, first, last }))).toEqual([
      { domain: 'gmail.example', blocks: 30, first: '2026-11-02T10:00:00.000Z', last: '2026-11-02T14:00:00.000Z' },
      { domain: 'other.example', blocks: 2, first: '2026-11-01T08:00:00.000Z', last: '2026-11-03T09:30:00.000Z' },
    ]);
  });

  it('reads the diagnostics of at most 20 events of each of the 10 most blocked domains', () => {
    const events = Array.from({ length: 12 }, (_, d) => Array.from({ length: 25 }, () => block(`d${d}.example`, '2026-11-02T10:00:00.000Z'))).flat();
    const builder = new AppealReportBuilder(false);
    events.forEach((e) => builder.add(e));
    const samples = builder.providerBlockSamples();
    expect(samples).toHaveLength(TOP_BLOCKED_DOMAINS * BLOCK_SAMPLE_PER_DOMAIN);
    // the same sample whatever order the index returns the events in
    const reversed = new AppealReportBuilder(false);
    [...events].reverse().forEach((e) => reversed.add(e));
    expect(reversed.providerBlockSamples().map(keyId).sort()).toEqual(samples.map(keyId).sort());
  });

  it('names the most common diagnostic, told apart from what differs only in numbers, with its status', () => {
    // Prepare: 25 blocks, 20 Gmail spam blocks from different IPs and 5 DMARC refusals
    const events = Array.from({ length: 25 }, () => block('gmail.example', '2026-11-02T10:00:00.000Z'));
    const kinds = new Map(events.map((e, i) => [keyId(e.tableKey), i % 5 === 0 ? 'dmarc' : 'spam']));
    // Act
    const { report, sampled } = withDetails(events, (e, i) =>
      kinds.get(keyId(e.tableKey)) === 'dmarc' ? { dsnCode: '5.7.26', diagnosticCode: DMARC } : { dsnCode: '5.7.1', diagnosticCode: GMAIL_SPAM(`203.0.113.${i}`) },
    );
    // Assess
    expect(sampled.size).toBe(BLOCK_SAMPLE_PER_DOMAIN);
    const spamInSample = [...sampled].filter((id) => kinds.get(id) === 'spam').length;
    expect(spamInSample).toBeGreaterThan(BLOCK_SAMPLE_PER_DOMAIN / 2);
    const [domain] = report.providerBlocks.domains;
    expect(domain?.diagnostic).toMatchObject({ dsnCode: '5.7.1', matching: spamInSample, sampled: BLOCK_SAMPLE_PER_DOMAIN });
    expect(domain?.diagnostic?.text).toMatch(/^smtp; 550-5\.7\.1 \[203\.0\.113\.\d+\] Our system has detected/);
    expect(domain?.diagnostic?.text.length).toBeLessThanOrEqual(200);
  });

  it('masks addresses in the diagnostic unless addresses are shown, in both formats', () => {
    const events = [block('corp.example', '2026-11-02T10:00:00.000Z')];
    const bounced = { dsnCode: '5.7.1', diagnosticCode: 'smtp; 550 5.7.1 <jane.doe@corp.example>: Recipient address rejected: Access denied' };
    const { report: hidden } = withDetails(events, () => bounced);
    expect(hidden.providerBlocks.domains[0]?.diagnostic?.text).toBe('smtp; 550 5.7.1 <j***@corp.example>: Recipient address rejected: Access denied');
    for (const text of [toMarkdown(hidden), toHtml(hidden)]) {
      expect(text).toContain('j***@corp.example');
      expect(text).not.toContain('jane.doe@corp.example');
    }
    const { report: shown } = withDetails(events, () => bounced, true);
    expect(shown.providerBlocks.domains[0]?.diagnostic?.text).toContain('<jane.doe@corp.example>');
  });

  it('renders the section in Markdown and HTML, and says so when no provider blocked the sender', () => {
    const { report } = withDetails([block('gmail.example', '2026-11-02T10:00:00.000Z')], () => ({ dsnCode: '5.7.26', diagnosticCode: DMARC }));
    const markdown = toMarkdown(report);
    expect(markdown).toContain('### Blocked by mailbox providers');
    expect(markdown).toContain("| `gmail.example` | 1 | 2026-11-02 10:00 UTC | 2026-11-02 10:00 UTC | 5.7.26: `smtp; 550 5.7.26 Unauthenticated email from news.example.com is not accepted due to domain's DMARC policy.` (1 of 1 sampled) |");
    expect(markdown).toContain('Those readers were not suppressed');
    const html = toHtml(report);
    expect(html).toContain('<table class="provider-blocks">');
    expect(html).toContain('<td><code>gmail.example</code></td><td>1</td>');
    expect(html).toContain('5.7.26: <code>smtp; 550 5.7.26 Unauthenticated email from news.example.com is not accepted due to domain&#39;s DMARC policy.</code>');
    const none = build([event('permanent-bounce')]);
    expect(toMarkdown(none)).toContain('No mailbox provider refused the sender in this range');
    expect(toHtml(none)).toContain('No mailbox provider refused the sender in this range');
  });

  it('shows a domain without a diagnostic when the table no longer has its sampled events', () => {
    const builder = new AppealReportBuilder(false);
    builder.add(block('gone.example', '2026-11-02T10:00:00.000Z'));
    const report = builder.build(context());
    expect(report.providerBlocks.domains).toEqual([{ domain: 'gone.example', blocks: 1, first: '2026-11-02T10:00:00.000Z', last: '2026-11-02T10:00:00.000Z', diagnostic: null }]);
    expect(toMarkdown(report)).toContain('| `gone.example` | 1 | 2026-11-02 10:00 UTC | 2026-11-02 10:00 UTC | – |');
  });
});

describe('the guardrail in the report', () => {
  it('tells the pauses and resumptions in both formats, and counts them as no feedback event', () => {
    const builder = new AppealReportBuilder(false);
    builder.add(event('permanent-bounce'));
    builder.add({ tableKey: { pk: 'CONFIGSET#Prod-marketing', sk: 'PAUSE#2026-11-02T10:15:00.000Z' }, address: '', eventAt: '2026-11-02T10:15:00.000Z', eventType: 'ConfigurationSetPaused', action: undefined as unknown as string, rule: undefined as unknown as string, configurationSet: 'Prod-marketing' });
    expect(builder.guardrailKeys()).toEqual([{ pk: 'CONFIGSET#Prod-marketing', sk: 'PAUSE#2026-11-02T10:15:00.000Z' }]);
    const report = builder.build({
      ...context(),
      guardrail: [
        { kind: 'pause', configurationSet: 'Prod-marketing', alarmName: 'Prod-marketing-BounceRate-critical', metric: 'bounce', threshold: 0.05, rate: 0.061, at: '2026-11-02T10:15:00.000Z' },
        { kind: 'resume', configurationSet: 'Prod-marketing', at: '2026-11-03T08:00:00.000Z', by: 'jane (AWS profile prod)', note: 'list cleaned | ticket 42', forced: false },
      ],
    });
    expect(report.totals.events).toBe(1);
    const markdown = toMarkdown(report);
    expect(markdown).toContain('### Streams paused before AWS acted');
    expect(markdown).toContain('| 2026-11-02 10:15 UTC | `Prod-marketing` | paused by the guardrail | alarm Prod\\-marketing\\-BounceRate\\-critical at 6.10 % bounce rate \\(critical 5.00 %\\) |');
    expect(markdown).toContain('| 2026-11-03 08:00 UTC | `Prod-marketing` | resumed | by jane \\(AWS profile prod\\): list cleaned \\| ticket 42 |');
    const html = toHtml(report);
    expect(html).toContain('<h3>Streams paused before AWS acted</h3>');
    expect(html).toContain('<td>paused by the guardrail</td>');
  });
});

describe('alarmedThresholds', () => {
  it('takes the report\'s thresholds from the stack\'s account-wide alarms, not the per-set ones', () => {
    const alarms = [
      { name: 'a', metric: 'Reputation.BounceRate', threshold: 0.02, state: 'OK' },
      { name: 'b', metric: 'Reputation.BounceRate', threshold: 0.04, state: 'OK' },
      { name: 'c', metric: 'Reputation.BounceRate (marketing)', threshold: 0.01, state: 'OK' },
      { name: 'd', metric: 'Reputation.ComplaintRate', threshold: 0.0005, state: 'ALARM' },
    ];
    expect(alarmedThresholds(alarms, 'Reputation.BounceRate')).toEqual({ warning: 0.02, critical: 0.04 });
    expect(alarmedThresholds(alarms, 'Reputation.ComplaintRate')).toEqual({ warning: 0.0005, critical: 0.0005 });
    expect(alarmedThresholds([], 'Reputation.BounceRate')).toBeUndefined();
  });
});
