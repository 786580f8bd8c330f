import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
  /** Seed of the fault dice, so a fault run can be replayed. @default 1 */
  readonly seed?: number;
}

export interface LocalSesStats {
  /** Requests answered 2xx, by operation. */
  readonly succeeded: Record<string, number>;
  readonly throttled: number;
  readonly failed: number;
}

const SUPPRESSION_PATH = '/v2/email/suppression/addresses';
const PAGE_SIZE_DEFAULT = 1000;

/**
 * A small SESv2 endpoint for the account-level suppression list and GetAccount, speaking the
 * real REST/JSON wire format, so the real `@aws-sdk/client-sesv2` talks to it unchanged
 * (`endpoint` or `AWS_ENDPOINT_URL_SESV2`). It enforces SES's rate for non-send actions with a
 * token bucket and answers excess calls with HTTP 429 TooManyRequestsException, as SES does.
 */
export class LocalSes {
  public readonly list = new Map<string, SuppressedDestination>();
  /** Accepted PutSuppressedDestination calls per address: "at most one call per address" is checked on this. */
  public readonly putCalls = new Map<string, number>();
  private readonly stats = { succeeded: {} as Record<string, number>, throttled: 0, failed: 0 };
  private server: Server | undefined;
  private tokens: number;
  private lastRefill = Date.now();
  private random: () => number;

  public constructor(private readonly options: LocalSesOptions = {}) {
    this.tokens = this.rate;
    this.random = mulberry32(options.seed ?? 1);
  }

  private get rate(): number {
    return this.options.requestsPerSecond ?? 1;
  }

  /** Listens on a free port of 127.0.0.1 and returns the endpoint URL. */
  public async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => send(res, 500, 'InternalFailure', { message: String(error) }));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }

  public getStats(): LocalSesStats {
    return { succeeded: { ...this.stats.succeeded }, throttled: this.stats.throttled, failed: this.stats.failed };
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const operation = route(req.method ?? 'GET', url.pathname);
    if (!operation) return send(res, 404, 'NotFoundException', { message: `no route for ${req.method} ${url.pathname}` });

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
      case 'GetAccount':
        return ok({
          DedicatedIpAutoWarmupEnabled: false,
          EnforcementStatus: 'HEALTHY',
          ProductionAccessEnabled: true,
          SendingEnabled: true,
          SendQuota: { Max24HourSend: 50000, MaxSendRate: 14, SentLast24Hours: 0 },
          SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
        });
    }
  }
}

type Operation = 'PutSuppressedDestination' | 'GetSuppressedDestination' | 'DeleteSuppressedDestination' | 'ListSuppressedDestinations' | 'GetAccount';

function route(method: string, path: string): Operation | undefined {
  if (path === '/v2/email/account' && method === 'GET') return 'GetAccount';
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

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
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
