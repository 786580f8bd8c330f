import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalHttpService, readBody } from './http-service.js';
import { failedRecordsFile, parseImportRow } from './ses-import-files.js';

/** One entry of the local account-level suppression list. */
export interface SuppressedDestination {
  readonly emailAddress: string;
  readonly reason: 'BOUNCE' | 'COMPLAINT';
  readonly lastUpdateTime: Date;
}

export interface LocalSesOptions {
  /** Non-send requests allowed per second, account-wide, as SES enforces. @default 1 */
  readonly requestsPerSecond?: number;
  /** Fraction of otherwise-accepted calls answered with a 500 InternalFailure. @default 0 */
  readonly failureRate?: number;
  /** Fraction of otherwise-accepted calls answered with a 429, on top of the rate limit. @default 0 */
  readonly extraThrottleRate?: number;
  /** How long each API call takes before SES answers it, in ms (a slow region, a slow network). @default 0 */
  readonly callLatencyMs?: number;
  /** Seed of the fault dice, so a fault run can be replayed. @default 1 */
  readonly seed?: number;
  /**
   * Reads an import job's `s3://bucket/key` data source (the local pipeline points it at fauxqs's
   * S3). Without it, CreateImportJob fails the job.
   */
  readonly readObject?: (bucket: string, key: string) => Promise<string>;
  /** Rows an import job settles per second, after its start ({@link IMPORT_JOB_START_SECONDS}). @default 20000 */
  readonly importRowsPerSecond?: number;
  /**
   * How the failed-records file of an import job is laid out. SES documents no layout, so code
   * must not lean on one: by default each endpoint picks one of the two at random.
   * @default 'json-lines' or 'csv', at random
   */
  readonly failedRecordsLayout?: 'json-lines' | 'csv';
}

/** One import job of the local endpoint. */
export interface LocalImportJob {
  readonly jobId: string;
  readonly action: 'PUT' | 'DELETE';
  readonly s3Url: string;
  readonly format: 'CSV' | 'JSON';
  status: 'CREATED' | 'PROCESSING' | 'COMPLETED' | 'FAILED';
  readonly createdAt: Date;
  completedAt?: Date;
  processed: number;
  /** Each refused row: its raw text and why. */
  failedRows: Array<{ record: string; error: string }>;
  errorMessage?: string;
}

export interface LocalSesStats {
  /** Requests answered 2xx, by operation. */
  readonly succeeded: Record<string, number>;
  readonly throttled: number;
  readonly failed: number;
  /** CreateImportJob calls answered LimitExceededException ({@link LocalSes.refuseImportJobs}). */
  readonly limitExceeded: number;
}

/**
 * How long a local import job waits before it settles its first row, in real time (the local
 * clock does not compress it): long enough that a test sees a job running.
 */
export const IMPORT_JOB_START_SECONDS = 1;

const SUPPRESSION_PATH = '/v2/email/suppression/addresses';
const PAGE_SIZE_DEFAULT = 1000;

/**
 * A small SESv2 endpoint for the account-level suppression list and GetAccount, speaking the
 * real REST/JSON wire format, so the real `@aws-sdk/client-sesv2` talks to it unchanged
 * (`endpoint` or `AWS_ENDPOINT_URL_SESV2`). It enforces SES's rate for non-send actions with a
 * token bucket and answers excess calls with HTTP 429 TooManyRequestsException, as SES does.
 */
export class LocalSes extends LocalHttpService {
  public readonly list = new Map<string, SuppressedDestination>();
  /** Accepted PutSuppressedDestination calls per address: "at most one call per address" is checked on this. */
  public readonly putCalls = new Map<string, number>();
  public readonly importJobs = new Map<string, LocalImportJob>();
  /**
   * Addresses SES refuses here, beyond malformed ones: PutSuppressedDestination answers 400
   * BadRequestException, an import job lists the row as failed. SES does not document which
   * addresses it refuses; tests add to this.
   */
  public readonly refused = new Set<string>();
  /**
   * Configuration sets this endpoint knows, by name, with their sending switch (SES's default is
   * enabled) and tags. ListConfigurationSets lists them; GetConfigurationSet and
   * PutConfigurationSetSendingOptions answer 404 for others.
   */
  public readonly configurationSets = new Map<string, { sendingEnabled: boolean; tags?: Readonly<Record<string, string>> }>();
  /** What GetAccount answers; tests change it to play AWS putting the account under review. */
  public readonly account = { enforcementStatus: 'HEALTHY', sendingEnabled: true, productionAccess: true };
  private endpoint = '';
  private readonly stats = { succeeded: {} as Record<string, number>, throttled: 0, failed: 0, limitExceeded: 0 };
  private tokens: number;
  private lastRefill = Date.now();
  private random: () => number;
  /** The layout of this endpoint's failed-records files. */
  public readonly failedRecordsLayout: 'json-lines' | 'csv';
  /** CreateImportJob calls still to answer with LimitExceededException (see {@link refuseImportJobs}). */
  private importJobRefusals = 0;

  public constructor(private readonly options: LocalSesOptions = {}) {
    super();
    this.tokens = this.rate;
    this.random = mulberry32(options.seed ?? 1);
    this.failedRecordsLayout = options.failedRecordsLayout ?? (Math.random() < 0.5 ? 'json-lines' : 'csv');
  }

  /**
   * The next `times` CreateImportJob calls are answered 400 LimitExceededException ("too many
   * instances of the specified resource type"), which SES documents without saying when it sends
   * it: on demand, so that the writer's retry path is exercised.
   */
  public refuseImportJobs(times: number): void {
    this.importJobRefusals = times;
  }

  private get rate(): number {
    return this.options.requestsPerSecond ?? 1;
  }

  /** Listens on a free port of 127.0.0.1 and returns the endpoint URL. */
  public override async start(): Promise<string> {
    this.endpoint = await super.start();
    return this.endpoint;
  }

  protected fail(res: ServerResponse, error: unknown): void {
    send(res, 500, 'InternalFailure', { message: String(error) });
  }

  public getStats(): LocalSesStats {
    return { succeeded: { ...this.stats.succeeded }, throttled: this.stats.throttled, failed: this.stats.failed, limitExceeded: this.stats.limitExceeded };
  }

  /** Changes the fault rates of a running endpoint (for tests that heal a fault). */
  public setFaults(faults: Pick<LocalSesOptions, 'failureRate' | 'extraThrottleRate'>): void {
    Object.assign(this.options as { failureRate?: number; extraThrottleRate?: number }, faults);
  }

  private takeToken(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.lastRefill) / 1000) * this.rate);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Every SES API request this endpoint answered or refused, by outcome: what "SES calls" counts. */
  public totalCalls(): number {
    const stats = this.getStats();
    return Object.values(stats.succeeded).reduce((a, b) => a + b, 0) + stats.throttled + stats.failed + stats.limitExceeded;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname.startsWith(FAILED_RECORDS_PATH)) {
      // Stands in for the presigned S3 URL of SES's failed-records file: not an SES API call.
      const job = this.importJobs.get(url.pathname.slice(FAILED_RECORDS_PATH.length));
      if (!job) return send(res, 404, 'NoSuchKey', { message: 'no such failed-records file' });
      const file = failedRecordsFile(job.failedRows, this.failedRecordsLayout);
      res.writeHead(200, { 'content-type': this.failedRecordsLayout === 'csv' ? 'text/csv' : 'application/x-ndjson' }).end(file);
      return;
    }
    const operation = sesOperationOf(req.method ?? 'GET', url.pathname);
    if (!operation) return send(res, 404, 'NotFoundException', { message: `no route for ${req.method} ${url.pathname}` });
    if (this.options.callLatencyMs) await delay(this.options.callLatencyMs);

    if (!this.takeToken() || this.random() < (this.options.extraThrottleRate ?? 0)) {
      this.stats.throttled++;
      return send(res, 429, 'TooManyRequestsException', { message: 'Rate exceeded' });
    }
    if (this.random() < (this.options.failureRate ?? 0)) {
      this.stats.failed++;
      return send(res, 500, 'InternalFailure', { message: 'injected failure' });
    }

    const ok = (payload: unknown): void => {
      this.stats.succeeded[operation] = (this.stats.succeeded[operation] ?? 0) + 1;
      send(res, 200, undefined, payload);
    };
    const address = decodeURIComponent(url.pathname.slice(SUPPRESSION_PATH.length + 1)).toLowerCase();

    switch (operation) {
      case 'PutSuppressedDestination': {
        const input = JSON.parse(body || '{}') as { EmailAddress?: string; Reason?: string };
        if (!input.EmailAddress || !/^[^@\s]+@[^@\s]+$/.test(input.EmailAddress)) {
          return send(res, 400, 'BadRequestException', { message: 'EmailAddress is not a valid email address' });
        }
        if (input.Reason !== 'BOUNCE' && input.Reason !== 'COMPLAINT') {
          return send(res, 400, 'BadRequestException', { message: 'Reason must be BOUNCE or COMPLAINT' });
        }
        const emailAddress = input.EmailAddress.toLowerCase();
        if (this.refused.has(emailAddress)) return send(res, 400, 'BadRequestException', { message: 'EmailAddress is not accepted' });
        this.list.set(emailAddress, { emailAddress, reason: input.Reason, lastUpdateTime: new Date() });
        this.putCalls.set(emailAddress, (this.putCalls.get(emailAddress) ?? 0) + 1);
        return ok({});
      }
      case 'GetSuppressedDestination': {
        const entry = this.list.get(address);
        if (!entry) return send(res, 404, 'NotFoundException', { message: 'Email address is not on the suppression list' });
        return ok({ SuppressedDestination: { EmailAddress: entry.emailAddress, Reason: entry.reason, LastUpdateTime: entry.lastUpdateTime.getTime() / 1000 } });
      }
      case 'DeleteSuppressedDestination': {
        if (!this.list.delete(address)) return send(res, 404, 'NotFoundException', { message: 'Email address is not on the suppression list' });
        return ok({});
      }
      case 'ListSuppressedDestinations': {
        const reasons = url.searchParams.getAll('Reason');
        const start = url.searchParams.get('StartDate');
        const end = url.searchParams.get('EndDate');
        const pageSize = Number(url.searchParams.get('PageSize') ?? PAGE_SIZE_DEFAULT);
        const offset = Number(url.searchParams.get('NextToken') ?? 0);
        const all = [...this.list.values()]
          .filter((e) => reasons.length === 0 || reasons.includes(e.reason))
          .filter((e) => !start || e.lastUpdateTime >= new Date(start))
          .filter((e) => !end || e.lastUpdateTime <= new Date(end))
          .sort((a, b) => a.emailAddress.localeCompare(b.emailAddress));
        const page = all.slice(offset, offset + pageSize);
        return ok({
          SuppressedDestinationSummaries: page.map((e) => ({ EmailAddress: e.emailAddress, Reason: e.reason, LastUpdateTime: e.lastUpdateTime.getTime() / 1000 })),
          ...(offset + pageSize < all.length ? { NextToken: String(offset + pageSize) } : {}),
        });
      }
      case 'CreateImportJob': {
        const input = JSON.parse(body || '{}') as {
          ImportDestination?: { SuppressionListDestination?: { SuppressionListImportAction?: string } };
          ImportDataSource?: { S3Url?: string; DataFormat?: string };
        };
        const action = input.ImportDestination?.SuppressionListDestination?.SuppressionListImportAction;
        const source = input.ImportDataSource;
        if (action !== 'PUT' && action !== 'DELETE') return send(res, 400, 'BadRequestException', { message: 'SuppressionListImportAction must be PUT or DELETE' });
        if (!source?.S3Url?.startsWith('s3://') || (source.DataFormat !== 'CSV' && source.DataFormat !== 'JSON')) {
          return send(res, 400, 'BadRequestException', { message: 'ImportDataSource needs an s3:// S3Url and DataFormat CSV or JSON' });
        }
        if (this.importJobRefusals > 0) {
          this.importJobRefusals--;
          this.stats.limitExceeded++;
          return send(res, 400, 'LimitExceededException', { message: 'There are too many instances of the specified resource type.' });
        }
        const job: LocalImportJob = {
          jobId: `local-${randomUUID()}`,
          action,
          s3Url: source.S3Url,
          format: source.DataFormat,
          status: 'CREATED',
          createdAt: new Date(),
          processed: 0,
          failedRows: [],
        };
        this.importJobs.set(job.jobId, job);
        void this.runImport(job);
        return ok({ JobId: job.jobId });
      }
      case 'GetImportJob': {
        const job = this.importJobs.get(decodeURIComponent(url.pathname.slice(IMPORT_JOBS_PATH.length + 1)));
        if (!job) return send(res, 404, 'NotFoundException', { message: 'import job not found' });
        const done = job.status === 'COMPLETED' || job.status === 'FAILED';
        return ok({
          JobId: job.jobId,
          ImportDestination: { SuppressionListDestination: { SuppressionListImportAction: job.action } },
          ImportDataSource: { S3Url: job.s3Url, DataFormat: job.format },
          JobStatus: job.status,
          CreatedTimestamp: job.createdAt.getTime() / 1000,
          ...(job.completedAt ? { CompletedTimestamp: job.completedAt.getTime() / 1000 } : {}),
          ProcessedRecordsCount: job.processed,
          ...(done ? { FailedRecordsCount: job.failedRows.length } : {}),
          ...(done && (job.failedRows.length > 0 || job.errorMessage)
            ? { FailureInfo: { ...(job.failedRows.length > 0 ? { FailedRecordsS3Url: `${this.endpoint}${FAILED_RECORDS_PATH}${job.jobId}` } : {}), ...(job.errorMessage ? { ErrorMessage: job.errorMessage } : {}) } }
            : {}),
        });
      }
      case 'GetConfigurationSet':
      case 'PutConfigurationSetSendingOptions': {
        const name = decodeURIComponent(url.pathname.slice(CONFIGURATION_SETS_PATH.length + 1).replace(/\/sending$/, ''));
        const set = this.configurationSets.get(name);
        if (!set) return send(res, 404, 'NotFoundException', { message: `Configuration set <${name}> does not exist.` });
        if (operation === 'GetConfigurationSet') {
          return ok({
            ConfigurationSetName: name,
            SendingOptions: { SendingEnabled: set.sendingEnabled },
            ReputationOptions: { ReputationMetricsEnabled: true },
            SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
            Tags: Object.entries(set.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
          });
        }
        const input = JSON.parse(body || '{}') as { SendingEnabled?: unknown };
        if (input.SendingEnabled !== undefined && typeof input.SendingEnabled !== 'boolean') return send(res, 400, 'BadRequestException', { message: 'SendingEnabled must be a boolean' });
        set.sendingEnabled = input.SendingEnabled ?? false;
        return ok({});
      }
      case 'ListConfigurationSets': {
        // Pages of PageSize (SES's default is not documented: 100 here), in name order. The
        // SDK's model sends them in a JSON body (POST /v2/email/list-configuration-sets).
        const input = JSON.parse(body || '{}') as { PageSize?: number; NextToken?: string };
        const pageSize = Number(input.PageSize ?? 100);
        const offset = Number(input.NextToken ?? 0);
        const names = [...this.configurationSets.keys()].sort();
        return ok({ ConfigurationSets: names.slice(offset, offset + pageSize), ...(offset + pageSize < names.length ? { NextToken: String(offset + pageSize) } : {}) });
      }
      case 'GetAccount':
        return ok({
          DedicatedIpAutoWarmupEnabled: false,
          EnforcementStatus: this.account.enforcementStatus,
          ProductionAccessEnabled: this.account.productionAccess,
          SendingEnabled: this.account.sendingEnabled,
          SendQuota: { Max24HourSend: 50000, MaxSendRate: 14, SentLast24Hours: 0 },
          SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
        });
    }
  }

  /** Reads the job's file, applies its valid rows, keeps the invalid ones for the failed-records file. */
  private async runImport(job: LocalImportJob): Promise<void> {
    await delay(IMPORT_JOB_START_SECONDS * 1000);
    job.status = 'PROCESSING';
    try {
      const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(job.s3Url);
      if (!match || !this.options.readObject) throw new Error('cannot read the data source');
      const text = await this.options.readObject(match[1] ?? '', match[2] ?? '');
      const rows = text.split(/\r?\n/).filter((line) => line.trim() !== '');
      if (rows.length > (job.action === 'PUT' ? 100_000 : 10_000)) throw new Error(`too many records: ${rows.length}`);
      const perSecond = this.options.importRowsPerSecond ?? 20_000;
      for (let i = 0; i < rows.length; i += 1000) {
        for (const line of rows.slice(i, i + 1000)) {
          const parsed = parseImportRow(line, job.format, job.action);
          const row = typeof parsed !== 'string' && this.refused.has(parsed.emailAddress) ? 'refused for this test' : parsed;
          if (typeof row === 'string') {
            job.failedRows.push({ record: line, error: row });
          } else if (row.reason !== undefined) {
            this.list.set(row.emailAddress, { emailAddress: row.emailAddress, reason: row.reason, lastUpdateTime: new Date() });
          } else {
            this.list.delete(row.emailAddress);
          }
          job.processed++;
        }
        await delay((Math.min(1000, rows.length - i) / perSecond) * 1000);
      }
    } catch (error) {
      job.errorMessage = error instanceof Error ? error.message : String(error);
      job.status = 'FAILED';
      job.completedAt = new Date();
      return;
    }
    job.status = 'COMPLETED';
    job.completedAt = new Date();
  }
}

const IMPORT_JOBS_PATH = '/v2/email/import-jobs';
const CONFIGURATION_SETS_PATH = '/v2/email/configuration-sets';
const FAILED_RECORDS_PATH = '/local/failed-records/';

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The SESv2 operations this endpoint serves. */
export const SES_OPERATIONS = [
  'PutSuppressedDestination',
  'GetSuppressedDestination',
  'DeleteSuppressedDestination',
  'ListSuppressedDestinations',
  'GetAccount',
  'ListConfigurationSets',
  'GetConfigurationSet',
  'PutConfigurationSetSendingOptions',
  'CreateImportJob',
  'GetImportJob',
] as const;
export type SesOperation = (typeof SES_OPERATIONS)[number];

/** The SESv2 operation a request is, by the HTTP binding of the SDK's model (`@aws-sdk/client-sesv2`). */
export function sesOperationOf(method: string, path: string): SesOperation | undefined {
  if (path === '/v2/email/account' && method === 'GET') return 'GetAccount';
  if (path === '/v2/email/list-configuration-sets' && method === 'POST') return 'ListConfigurationSets';
  if (path.startsWith(`${CONFIGURATION_SETS_PATH}/`)) {
    if (path.endsWith('/sending') && method === 'PUT') return 'PutConfigurationSetSendingOptions';
    if (!path.slice(CONFIGURATION_SETS_PATH.length + 1).includes('/') && method === 'GET') return 'GetConfigurationSet';
  }
  if (path === IMPORT_JOBS_PATH && method === 'POST') return 'CreateImportJob';
  if (path.startsWith(`${IMPORT_JOBS_PATH}/`) && method === 'GET') return 'GetImportJob';
  if (path === SUPPRESSION_PATH) {
    if (method === 'PUT') return 'PutSuppressedDestination';
    if (method === 'GET') return 'ListSuppressedDestinations';
  }
  if (path.startsWith(`${SUPPRESSION_PATH}/`)) {
    if (method === 'GET') return 'GetSuppressedDestination';
    if (method === 'DELETE') return 'DeleteSuppressedDestination';
  }
  return undefined;
}

function send(res: ServerResponse, status: number, errorType: string | undefined, payload: unknown): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers).end(JSON.stringify(payload));
}

/** A small seeded PRNG, so fault injection is repeatable. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
