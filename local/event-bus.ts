import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalHttpService, readBody } from './http-service.js';

/** One event as a rule on the bus would match it. */
export interface BusEvent {
  readonly id: string;
  readonly eventBusName: string;
  readonly source: string;
  readonly detailType: string;
  readonly time: string;
  readonly detail: unknown;
}

export interface LocalEventBusOptions {
  /** Share of entries answered with an entry-level `ThrottlingException`, as EventBridge may. */
  readonly entryFailureRate?: number;
}

/**
 * A small EventBridge endpoint for PutEvents, speaking the real AWS JSON 1.1 wire format
 * (`X-Amz-Target: AWSEvents.PutEvents`), so `@aws-sdk/client-eventbridge` talks to it unchanged
 * (`AWS_ENDPOINT_URL_EVENTBRIDGE`). It keeps every event it accepted, for tests and `npm start`.
 */
export class LocalEventBus extends LocalHttpService {
  public readonly events: BusEvent[] = [];
  public calls = 0;
  private failures = 0;

  public constructor(private readonly options: LocalEventBusOptions = {}) {
    super();
  }

  /** Events with this detail type, their detail parsed. */
  public detailsOf<T>(detailType: string): T[] {
    return this.events.filter((e) => e.detailType === detailType).map((e) => e.detail as T);
  }

  protected fail(res: ServerResponse, error: unknown): void {
    reply(res, 500, { __type: 'InternalException', message: String(error) });
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
      return reply(res, 400, { __type: 'UnknownOperationException', message: `not supported here: ${String(req.headers['x-amz-target'])}` });
    }
    this.calls++;
    const { Entries = [] } = JSON.parse(body) as { Entries?: Array<{ EventBusName?: string; Source?: string; DetailType?: string; Detail?: string; Time?: number }> };
    if (Entries.length === 0 || Entries.length > 10) {
      return reply(res, 400, { __type: 'ValidationException', message: `1 to 10 entries per call, got ${Entries.length}` });
    }
    const results = Entries.map((entry) => {
      if (!entry.Source || !entry.DetailType || !entry.Detail) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Source, DetailType and Detail are required' };
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' };
      }
      // A deterministic share of entries fails (every n-th), so retries of failed entries are exercised.
      const rate = this.options.entryFailureRate ?? 0;
      if (rate > 0 && (this.failures += rate) >= 1) {
        this.failures -= 1;
        return { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' };
      }
      const id = randomUUID();
      const time = entry.Time === undefined ? new Date() : new Date(entry.Time * 1000);
      this.events.push({ id, eventBusName: entry.EventBusName ?? 'default', source: entry.Source, detailType: entry.DetailType, time: time.toISOString(), detail });
      return { EventId: id };
    });
    reply(res, 200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results });
  }
}

function reply(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload));
}
