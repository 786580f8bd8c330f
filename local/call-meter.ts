import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FEEDBACK_TABLE } from '../lambdas/shared/contract.js';
import { authorizationsOf, callerOf, regionOf, type Authorization, type ObservedRequest } from './call-authorization.js';

const TIME_INDEX_KEY = FEEDBACK_TABLE.timeIndex.partitionKey;

/** The AWS services the functions call, as their `AWS_ENDPOINT_URL_<SERVICE>` names them. */
export type MeteredService = ObservedRequest['service'];

/** What IAM authorized for a function's calls: one entry per (function, action, resource). */
export interface AuthorizedCall extends Authorization {
  /** The function, from the app ID in the SDK's User-Agent (`AWS_SDK_UA_APP_ID`); null for a caller that set none. */
  readonly caller: string | null;
  readonly service: MeteredService;
  /** API operations that needed it (`SendMessageBatch` needs sqs:SendMessage). */
  readonly operations: readonly string[];
  readonly calls: number;
}

/** What the functions asked of one service. */
export interface ServiceCalls {
  /** Calls per API operation (`PutItem`, `SendMessageBatch`, `PutSuppressedDestination` ...). */
  readonly operations: Record<string, number>;
  /** Calls answered with an error (throttles, conditional check failures ...). */
  readonly errors: Record<string, number>;
}

export interface MeterReading {
  readonly services: Record<MeteredService, ServiceCalls>;
  readonly dynamodb: {
    /** Capacity units as DynamoDB reports them (ReturnConsumedCapacity INDEXES), table and indexes. */
    readonly readUnits: number;
    readonly writeUnits: number;
    /** Of writeUnits, those spent on global secondary indexes. */
    readonly indexWriteUnits: number;
    /** Items written and read (a BatchWriteItem of 25 puts is 25 items). */
    readonly itemsWritten: number;
    readonly itemsRead: number;
    /** Conditional writes refused (duplicates): they consume write units too, estimated from the item size. */
    readonly refusedWrites: number;
  };
  readonly sqs: {
    /** Messages handed out by ReceiveMessage calls that returned any. */
    readonly messagesReceived: number;
    readonly emptyReceives: number;
    /** SQS bills each 64 KB of a request's payload as one request. */
    readonly billedSendRequests: number;
  };
}

const DYNAMODB_CAPACITY_OPERATIONS = new Set([
  'PutItem', 'UpdateItem', 'DeleteItem', 'GetItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem', 'TransactWriteItems', 'TransactGetItems',
]);

/**
 * A metering proxy in front of each local service: the functions' AWS SDK clients are pointed at it
 * (`AWS_ENDPOINT_URL_*`), it forwards every request unchanged (except that it asks DynamoDB for
 * its consumed capacity) and counts what was asked, per service and operation, and records what
 * IAM would authorize for it (action, resource) per calling function. Only the functions' own
 * calls pass through it; the harness (publishing, queue depths) talks to the services directly.
 */
export class CallMeter {
  private readonly servers: Server[] = [];
  private readonly endpoints = new Map<MeteredService, string>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private calls = emptyCalls();
  private dynamodb = { readUnits: 0, writeUnits: 0, indexWriteUnits: 0, itemsWritten: 0, itemsRead: 0, refusedWrites: 0 };
  private sqs = { messagesReceived: 0, emptyReceives: 0, billedSendRequests: 0 };
  private authorized = new Map<string, AuthorizedCall>();

  /** Starts one proxy per service; returns the endpoints to give the functions. */
  public async start(targets: Record<MeteredService, string>): Promise<Record<MeteredService, string>> {
    for (const [service, target] of Object.entries(targets) as Array<[MeteredService, string]>) {
      const server = createServer((req, res) => void this.forward(service, new URL(target), req, res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.servers.push(server);
      this.endpoints.set(service, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    return Object.fromEntries(this.endpoints) as Record<MeteredService, string>;
  }

  /** Everything counted since the start or the last {@link reset}. */
  public read(): MeterReading {
    return structuredClone({ services: this.calls, dynamodb: this.dynamodb, sqs: this.sqs });
  }

  /** What IAM authorized, per function, action and resource, since the start or the last {@link reset}. */
  public authorizations(): AuthorizedCall[] {
    return [...this.authorized.values()];
  }

  public reset(): void {
    this.authorized.clear();
    this.calls = emptyCalls();
    this.dynamodb = { readUnits: 0, writeUnits: 0, indexWriteUnits: 0, itemsWritten: 0, itemsRead: 0, refusedWrites: 0 };
    this.sqs = { messagesReceived: 0, emptyReceives: 0, billedSendRequests: 0 };
  }

  public async stop(): Promise<void> {
    this.agent.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private async forward(service: MeteredService, target: URL, req: IncomingMessage, res: ServiceResponse): Promise<void> {
    let body = await readAll(req);
    const operation = operationOf(service, req, body);
    this.authorize({ service, operation, method: req.method ?? 'GET', url: req.url ?? '/', body: body.toString('utf8'), region: regionOf(req.headers.authorization) }, callerOf(req.headers));
    if (service === 'dynamodb' && DYNAMODB_CAPACITY_OPERATIONS.has(operation)) {
      body = Buffer.from(JSON.stringify({ ...(JSON.parse(body.toString('utf8')) as object), ReturnConsumedCapacity: 'INDEXES' }));
    }
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent: this.agent });
    upstream.on('response', (answer) => {
      void readAll(answer).then((reply) => {
        this.count(service, operation, body, answer.statusCode ?? 500, reply);
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        res.end(reply);
      });
    });
    upstream.on('error', (error) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`call meter: ${error.message}`);
    });
    upstream.end(body);
  }

  /** IAM authorizes a request before the service acts on it: recorded whatever the answer. */
  private authorize(request: ObservedRequest, caller: string | null): void {
    for (const { action, resource } of authorizationsOf(request)) {
      const key = JSON.stringify([caller, action, resource]);
      const seen = this.authorized.get(key);
      const operations = seen === undefined ? [request.operation] : seen.operations.includes(request.operation) ? seen.operations : [...seen.operations, request.operation];
      this.authorized.set(key, { caller, service: request.service, action, resource, operations, calls: (seen?.calls ?? 0) + 1 });
    }
  }

  private count(service: MeteredService, operation: string, request: Buffer, status: number, reply: Buffer): void {
    const calls = this.calls[service];
    calls.operations[operation] = (calls.operations[operation] ?? 0) + 1;
    if (status >= 400) calls.errors[operation] = (calls.errors[operation] ?? 0) + 1;
    if (service === 'dynamodb') this.countDynamoDb(operation, request, status, reply);
    if (service === 'sqs') this.countSqs(operation, request, status, reply);
  }

  private countDynamoDb(operation: string, requestBody: Buffer, status: number, reply: Buffer): void {
    const input = JSON.parse(requestBody.toString('utf8')) as DynamoDbRequest;
    if (status >= 400) {
      // A refused conditional write still consumes write units for the item's size (AWS docs:
      // "ConditionExpression ... evaluates to false ... still consumes write capacity").
      if (/ConditionalCheckFailed/.test(reply.toString('utf8'))) {
        this.dynamodb.refusedWrites++;
        this.dynamodb.writeUnits += Math.max(1, Math.ceil(JSON.stringify(input.Item ?? input.Key ?? {}).length / 1024));
      }
      return;
    }
    const output = JSON.parse(reply.toString('utf8') || '{}') as DynamoDbResponse;
    if (operation === 'BatchExecuteStatement') {
      this.countStatements(input, output);
      return;
    }
    const consumed = ([] as Capacity[]).concat(output.ConsumedCapacity ?? []);
    const writes = /Put|Update|Delete|Write/.test(operation);
    for (const c of consumed) {
      const units = Number(c.CapacityUnits ?? 0);
      const indexUnits = Object.values(c.GlobalSecondaryIndexes ?? {}).reduce((s, i) => s + Number(i.CapacityUnits ?? 0), 0);
      if (writes) {
        this.dynamodb.writeUnits += units;
        this.dynamodb.indexWriteUnits += indexUnits;
      } else {
        this.dynamodb.readUnits += units;
      }
    }
    if (operation === 'BatchWriteItem') {
      const requested = Object.values(input.RequestItems ?? {}).reduce((s, items) => s + items.length, 0);
      const unprocessed = Object.values(output.UnprocessedItems ?? {}).reduce((s, items) => s + items.length, 0);
      this.dynamodb.itemsWritten += requested - unprocessed;
    } else if (operation === 'BatchGetItem') {
      this.dynamodb.itemsRead += Object.values(output.Responses ?? {}).reduce((s, items) => s + items.length, 0);
    } else if (writes) {
      this.dynamodb.itemsWritten += 1;
    } else {
      this.dynamodb.itemsRead += operation === 'GetItem' ? (output.Item ? 1 : 0) : Number(output.Count ?? 0);
    }
  }

  /**
   * PartiQL INSERTs (the event records). DynamoDB Local reports no consumed capacity for
   * BatchExecuteStatement, so it is worked out as DynamoDB bills a put: 1 write unit per KB of the
   * item, plus 1 for the time index (its INCLUDE projection is far under 1 KB) when the item has the
   * index's key; an INSERT refused as a duplicate is a refused conditional write.
   */
  private countStatements(input: DynamoDbRequest, output: DynamoDbResponse): void {
    (input.Statements ?? []).forEach((statement, i) => {
      const names = [...statement.Statement.matchAll(/'([^']+)'\s*:\s*\?/g)].map((m) => m[1] ?? '');
      const size = names.reduce((sum, name, j) => sum + Buffer.byteLength(name) + attributeSize(statement.Parameters?.[j]), 0);
      const units = Math.max(1, Math.ceil(size / 1024));
      const error = (output.Responses as Array<{ Error?: { Code?: string } }> | undefined)?.[i]?.Error;
      if (error?.Code === 'DuplicateItem') {
        this.dynamodb.refusedWrites++;
        this.dynamodb.writeUnits += units;
      } else if (!error) {
        const indexed = names.includes(TIME_INDEX_KEY) ? 1 : 0;
        this.dynamodb.writeUnits += units + indexed;
        this.dynamodb.indexWriteUnits += indexed;
        this.dynamodb.itemsWritten++;
      }
    });
  }

  private countSqs(operation: string, requestBody: Buffer, status: number, reply: Buffer): void {
    if (status >= 400) return;
    if (operation === 'ReceiveMessage') {
      const received = ((JSON.parse(reply.toString('utf8') || '{}') as { Messages?: unknown[] }).Messages ?? []).length;
      this.sqs.messagesReceived += received;
      if (received === 0) this.sqs.emptyReceives++;
    }
    if (operation === 'SendMessage' || operation === 'SendMessageBatch') {
      this.sqs.billedSendRequests += Math.max(1, Math.ceil(requestBody.length / 65_536));
    }
  }
}

type ServiceResponse = ServerResponse<IncomingMessage>;

/** The parts of DynamoDB's JSON wire format the meter reads. */
interface DynamoDbRequest {
  readonly Statements?: Array<{ readonly Statement: string; readonly Parameters?: unknown[] }>;
  readonly Item?: unknown;
  readonly Key?: unknown;
  readonly RequestItems?: Record<string, unknown[]>;
}
interface Capacity {
  readonly CapacityUnits?: number;
  readonly GlobalSecondaryIndexes?: Record<string, { readonly CapacityUnits?: number }>;
}
interface DynamoDbResponse {
  readonly ConsumedCapacity?: Capacity | Capacity[];
  readonly UnprocessedItems?: Record<string, unknown[]>;
  readonly Responses?: Record<string, unknown[]>;
  readonly Item?: unknown;
  readonly Count?: number;
}

/** An attribute value's billed size (DynamoDB's item size rules, numbers approximated by their digits). */
function attributeSize(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const [type, inner] = Object.entries(value)[0] ?? [];
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(inner));
    case 'N':
      return Math.ceil(String(inner).replace(/^-|\./g, '').length / 2) + 1;
    case 'M':
      return 3 + Object.entries(inner as Record<string, unknown>).reduce((sum, [name, v]) => sum + 1 + Buffer.byteLength(name) + attributeSize(v), 0);
    case 'L':
      return 3 + (inner as unknown[]).reduce((sum: number, v) => sum + 1 + attributeSize(v), 0);
    default:
      return 1;
  }
}

function emptyCalls(): Record<MeteredService, { operations: Record<string, number>; errors: Record<string, number> }> {
  const services: MeteredService[] = ['dynamodb', 'sqs', 's3', 'sesv2', 'eventbridge', 'sns', 'cloudwatch'];
  return Object.fromEntries(services.map((service) => [service, { operations: {}, errors: {} }])) as Record<MeteredService, ServiceCalls>;
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The API operation of a request: the JSON protocols name it in X-Amz-Target, the query protocol (SNS) in its form, REST ones by method and path. */
function operationOf(service: MeteredService, req: IncomingMessage, body: Buffer): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  const queryAction = String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body.toString('utf8')).get('Action') : null;
  if (queryAction) return queryAction;
  const path = (req.url ?? '').split('?')[0] ?? '';
  if (service === 'sesv2') {
    if (path.startsWith('/v2/email/suppression/addresses')) return req.method === 'PUT' ? 'PutSuppressedDestination' : req.method === 'DELETE' ? 'DeleteSuppressedDestination' : 'GetSuppressedDestination';
    if (path.startsWith('/v2/email/import-jobs')) return req.method === 'POST' ? 'CreateImportJob' : 'GetImportJob';
    if (path === '/v2/email/account') return 'GetAccount';
    if (path.startsWith('/v2/email/configuration-sets/')) return req.method === 'PUT' && path.endsWith('/sending') ? 'PutConfigurationSetSendingOptions' : 'GetConfigurationSet';
    if (path.startsWith('/local/failed-records')) return 'GetFailedRecords';
  }
  if (service === 's3') return req.method === 'PUT' ? 'PutObject' : req.method === 'GET' ? 'GetObject' : `${req.method ?? ''}Object`;
  return `${req.method ?? 'GET'} ${path}`;
}
