/// <reference lib="dom" />
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { EXIT } from '../../cli/main.js';
import { runCli, type CliRun } from '../support/cli.js';
import { readAppealReport, renderReport } from '../../cli/report-command.js';
import type { Target } from '../../cli/target.js';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoFeedbackStore } from '../../lambdas/process-feedback/adapters/dynamo-feedback-store.js';
import { DynamoSuppressionLedger } from '../../lambdas/write-suppressions/adapters/dynamo-suppression-ledger.js';
import { FeedbackProcessor } from '../../lambdas/process-feedback/feedback-processor.js';
import { mergeEntries, type SuppressionEntry, type SuppressionReason } from '../../lambdas/shared/suppression.js';
import { readFeedback } from '../../lambdas/process-feedback/envelope.js';
import type { LocalEndpoints } from '../../cli/local-endpoints.js';
import { builtInScenario } from '../../local/scenario.js';
import { findOrInstallChromium } from '../support/chromium.js';
import { freshFeedbackTable, localDynamoDb } from '../support/local-aws.js';

/**
 * `ses-feedback report` on the built-in scenario run through the local pipeline (the "spring-sale"
 * campaign to a stale list, most hard bounces on oldmail.example.net, a block wave at
 * bigmail.example.com), and on an empty range; the
 * HTML form rendered in headless Chromium.
 */
jest.setTimeout(600_000);


let dynamodb: DynamoDBClient;
let dir: string;
let env: NodeJS.ProcessEnv;
/** What the seeded ledger says SES accepted (what the writer records), by address. */
let suppressed: Map<string, SuppressionReason>;

/** When the seeded suppressions were accepted: the scenario's day. */
const SUPPRESSED_AT = new Date('2026-11-20T12:00:00.000Z');

/**
 * Fills a fresh table as the pipeline would after the built-in scenario: every message through the
 * real processor and DynamoDB store, and what it asked to suppress into the real ledger, as the
 * writer records what SES accepted. No worker processes: the report reads the table, nothing else.
 */
async function seed(tableName: string): Promise<Map<string, SuppressionReason>> {
  const processor = new FeedbackProcessor({
    store: new DynamoFeedbackStore({ client: dynamodb, tableName, eventRetentionInDays: 365 }),
    softBouncePolicy: { threshold: 5, windowInDays: 30 },
    campaignTagName: 'campaign',
  });
  const feedback = builtInScenario().messages.flatMap((message) => {
    try {
      return readFeedback(message).flatMap((input) => (input.kind === 'feedback' ? [input.message] : []));
    } catch {
      return []; // the scenario's malformed messages: the pipeline parks them
    }
  });
  const requested: SuppressionEntry[] = [];
  // 25 at a time, as a batch's records are processed together (the store writes them in one request)
  for (let i = 0; i < feedback.length; i += 25) {
    for (const processed of await Promise.all(feedback.slice(i, i + 25).map((m) => processor.process(m)))) requested.push(...processed.suppressions);
  }
  const entries = mergeEntries(requested);
  await new DynamoSuppressionLedger(dynamodb, tableName).recordSuppressed(entries, { via: 'put' }, SUPPRESSED_AT);
  return new Map(entries.map((e) => [e.address, e.reason]));
}

beforeAll(async () => {
  dynamodb = localDynamoDb();
  const tableName = await freshFeedbackTable(dynamodb);
  suppressed = await seed(tableName);
  dir = mkdtempSync(join(tmpdir(), 'ses-feedback-report-'));
  const endpoints = join(dir, 'endpoints.json');
  const unused = 'http://127.0.0.1:9'; // the report reads the table only
  const local: LocalEndpoints = {
    region: 'us-east-1',
    dynamodb: String(process.env.TEST_DYNAMODB_ENDPOINT),
    sqs: unused,
    s3: unused,
    sesv2: unused,
    sesRequestsPerSecond: 1,
    resources: { tableName } as LocalEndpoints['resources'],
    startedAt: '2026-11-19T08:00:00.000Z',
  };
  writeFileSync(endpoints, JSON.stringify(local));
  env = { SES_FEEDBACK_LOCAL: endpoints };
});
afterAll(() => dynamodb?.destroy());

const cli = (...argv: string[]): Promise<CliRun> => runCli(env, ...argv);

/** The rows of the Markdown table whose header starts with `title`. */
function tableRows(markdown: string, title: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${title} |`));
  if (start < 0) throw new Error(`no table '${title}'`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim()));
  }
  return rows;
}

describe('report on the built-in scenario', () => {
  it('names the planted cause first: campaign spring-sale, recipient domain oldmail.example.net, the marketing configuration set', async () => {
    const { code, stdout } = await cli('report', '--since', '2026-11-20', '--until', '2026-11-30');
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/^# Amazon SES sending review: evidence from 2026-11-20 to 2026-11-30\n/);
    expect(stdout).toContain('1,620 hard bounces, 37 complaints');
    expect(stdout).toContain('**Main cause:** campaign `spring-sale`');
    const campaigns = tableRows(stdout, 'Campaign (message tag)');
    expect(campaigns[0]?.slice(0, 3)).toEqual(['`spring-sale`', '1,600', '36']);
    const domains = tableRows(stdout, 'Recipient domain');
    expect(domains[0]?.slice(0, 3)).toEqual(['`oldmail.example.net`', '1,300', '0']);
    expect(tableRows(stdout, 'Configuration set')[0]?.[0]).toBe('`SesFeedbackPipeline-marketing`');
    // the day of the scenario carries its feedback
    const day = tableRows(stdout, 'Day').find((row) => row[0] === '2026-11-20');
    expect(day?.slice(0, 4)).toEqual(['2026-11-20', '1,620', '37', '300']);
    // the block wave at one provider: named, timed, its diagnostic read from the table, not suppressed
    expect(stdout).toContain('200 bounces were the recipient\'s mailbox provider refusing the sender');
    const blocked = tableRows(stdout, 'Recipient domain | Blocks');
    expect(blocked).toHaveLength(1);
    expect(blocked[0]?.slice(0, 4)).toEqual(['`bigmail.example.com`', '200', '2026-11-20 10:40 UTC', '2026-11-20 10:43 UTC']);
    expect(blocked[0]?.[4]).toMatch(/^5\.7\.1: `smtp; 550-5\.7\.1 \[198\.51\.100\.25\] Our system has detected that this message is likely unsolicited mail\..*` \(\d+ of 20 sampled\)$/);
    expect([...suppressed.keys()].filter((address) => address.endsWith('@bigmail.example.com'))).toEqual([]);
    // what is fixed: every suppressed address, by the pipeline
    expect(suppressed.size).toBe(builtInScenario().expected.suppressed);
    expect(stdout).toContain(`${suppressed.size.toLocaleString('en-US')} addresses were put on the account-level suppression list`);
    // no address in clear without --show-addresses
    expect(stdout).not.toMatch(/[\w.+-]+@[\w-]+\.[\w.-]+/);
  });

  it('lists the suppressed addresses only when asked', async () => {
    const { stdout } = await cli('report', '--since', '2026-11-20', '--show-addresses');
    const listed = tableRows(stdout, 'Address');
    expect(listed).toHaveLength(suppressed.size);
    expect(listed.map((row) => row[0])).toContain('user0@oldmail.example.net');
  });

  it('writes one self-contained HTML file whose charts render in headless Chromium', async () => {
    const executablePath = findOrInstallChromium();
    const file = join(dir, 'appeal.html');
    const { code, stderr } = await cli('report', '--since', '2026-11-14', '--until', '2026-11-23', '--format', 'html', '--out', file);
    expect(code).toBe(EXIT.ok);
    expect(stderr).toMatch(new RegExp(`^report written to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script|<link|src="http|href="http/); // nothing fetched at view time
    const browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${file}`);
      expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
      // the timeline: one stacked bar per kind on the scenario's day, drawn with a visible size
      const bars = await page.$$eval('#timeline rect.bar', (rects) =>
        rects.map((r) => ({ day: r.getAttribute('data-day'), series: r.getAttribute('data-series'), box: r.getBoundingClientRect().toJSON() as DOMRect })),
      );
      expect(bars.map((b) => `${b.day} ${b.series}`).sort()).toEqual(['2026-11-20 complaints', '2026-11-20 hardBounces', '2026-11-20 softBounces']);
      const hard = bars.find((b) => b.series === 'hardBounces')?.box;
      expect(hard?.height).toBeGreaterThan(100); // the tallest share of the day's bar
      expect(hard?.width).toBeGreaterThan(10);
      // no snapshots locally: the rate chart says so instead of drawing empty axes
      expect(await page.textContent('#rates .no-data')).toContain('No reputation snapshots in range');
      // and the pixels: the hard-bounce bar is painted in its colour (decoded by Chromium on a blank page)
      const png = await page.locator('#timeline rect.bar[data-series="hardBounces"]').screenshot();
      const decoder = await browser.newPage();
      const centre = await decoder.evaluate(async (base64) => {
        const image = new Image();
        image.src = `data:image/png;base64,${base64}`;
        await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = image.width;
        canvas.height = image.height;
        const context = canvas.getContext('2d') as CanvasRenderingContext2D;
        context.drawImage(image, 0, 0);
        const [r, g, b] = context.getImageData(Math.floor(image.width / 2), Math.floor(image.height / 2), 1, 1).data;
        return `#${[r, g, b].map((v) => (v ?? 0).toString(16).padStart(2, '0')).join('')}`;
      }, png.toString('base64'));
      expect(centre).toBe('#c0392b');
    } finally {
      await browser.close();
    }
  });
});

describe('report on an empty range', () => {
  it('says there are no events in range instead of failing', async () => {
    const { code, stdout } = await cli('report', '--since', '2020-01-01', '--until', '2020-01-31');
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('**No events in range.**');
    expect(stdout).toContain('## 3. What prevents a recurrence');
    const html = await cli('report', '--since', '2020-01-01', '--until', '2020-01-31', '--format', 'html');
    expect(html.stdout).toContain('<strong>No events in range.</strong>');
  });

  it('refuses a range that ends before it starts, with exit 2', async () => {
    const { code, stderr } = await cli('report', '--since', '2026-11-20', '--until', '2026-11-01');
    expect(code).toBe(EXIT.usage);
    expect(stderr).toBe('ses-feedback report: --since is after --until (try --help)\n');
  });
});

describe('report on an empty table', () => {
  it('gives the "no events in range" report for a table that has never recorded anything', async () => {
    const dynamodb = localDynamoDb();
    try {
      const tableName = await freshFeedbackTable(dynamodb);
      const target = { kind: 'local', name: 'fresh table', has: (service: string) => service === 'dynamodb', client: () => dynamodb, tableName, liveSince: null, alarmNames: [] } as unknown as Target;
      const appeal = await readAppealReport(target, { from: new Date('2026-11-01T00:00:00Z'), until: new Date('2026-11-23T23:59:59Z'), showAddresses: false });
      expect(appeal.totals).toEqual({ events: 0, hardBounces: 0, softBounces: 0, complaints: 0 });
      expect(appeal.days).toHaveLength(23);
      expect(renderReport(appeal, 'md')).toContain('**No events in range.**');
      expect(renderReport(appeal, 'html')).toContain('<strong>No events in range.</strong>');
    } finally {
      dynamodb.destroy();
    }
  });
});
