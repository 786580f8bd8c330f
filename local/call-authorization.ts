/**
 * What IAM authorizes for one AWS API request: the action(s) and the resource ARN(s), as AWS's
 * service authorization reference names them (a batch call is authorized as its single action; a
 * PartiQL statement by its verb, on its table). The call meter records these per function, so a
 * local run says exactly what each function's role must allow in AWS.
 */

/** The account the local services (fauxqs) use in their ARNs and queue URLs. */
export const LOCAL_ACCOUNT = '000000000000';

/** One (action, resource) pair IAM checks for a request. */
export interface Authorization {
  readonly action: string;
  readonly resource: string;
}

/** A request as the meter saw it: which service, which operation, and its parts. */
export interface ObservedRequest {
  readonly service: 'dynamodb' | 'sqs' | 's3' | 'sesv2' | 'eventbridge' | 'sns' | 'cloudwatch';
  readonly operation: string;
  readonly method: string;
  /** Path and query, as received. */
  readonly url: string;
  readonly body: string;
  /** From the SigV4 credential scope. */
  readonly region: string;
}

/** Batch operations IAM authorizes as their single-item action. */
const SQS_BATCH: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

const PARTIQL_ACTION: Record<string, string> = { INSERT: 'PartiQLInsert', SELECT: 'PartiQLSelect', UPDATE: 'PartiQLUpdate', DELETE: 'PartiQLDelete' };

/**
 * The (action, resource) pairs of one request. An operation this does not model yields one pair
 * whose action starts with `unmodelled:`, so a check over them fails rather than passes blind.
 */
export function authorizationsOf(request: ObservedRequest): Authorization[] {
  const { service, operation, region } = request;
  const arn = (svc: string, resource: string) => `arn:aws:${svc}:${region}:${LOCAL_ACCOUNT}:${resource}`;
  const json = (): Record<string, unknown> => (request.body ? (JSON.parse(request.body) as Record<string, unknown>) : {});
  const unmodelled = (): Authorization[] => [{ action: `unmodelled:${service}:${operation}`, resource: '*' }];

  switch (service) {
    case 'dynamodb': {
      const input = json();
      const table = (name: string) => arn('dynamodb', `table/${name}`);
      switch (operation) {
        case 'GetItem':
        case 'PutItem':
        case 'UpdateItem':
        case 'DeleteItem':
          return [{ action: `dynamodb:${operation}`, resource: table(input.TableName as string) }];
        case 'Query':
        case 'Scan': {
          const index = input.IndexName ? `/index/${input.IndexName as string}` : '';
          return [{ action: `dynamodb:${operation}`, resource: `${table(input.TableName as string)}${index}` }];
        }
        case 'BatchGetItem':
        case 'BatchWriteItem':
          return Object.keys(input.RequestItems as object).map((name) => ({ action: `dynamodb:${operation}`, resource: table(name) }));
        case 'TransactWriteItems': {
          // No action of its own: AWS authorizes each item by the action it performs.
          const actions: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' };
          return (input.TransactItems as Array<Record<string, { TableName: string }>>).flatMap((item) =>
            Object.entries(item).map(([kind, request]) => ({ action: actions[kind] ? `dynamodb:${actions[kind]}` : `unmodelled:dynamodb:${kind}`, resource: table(request.TableName) })),
          );
        }
        case 'ExecuteStatement':
          return [partiql(input.Statement as string, table)];
        case 'BatchExecuteStatement':
          return (input.Statements as Array<{ Statement: string }>).map((s) => partiql(s.Statement, table));
        default:
          return unmodelled();
      }
    }
    case 'sqs': {
      const queue = queueArnOf(json().QueueUrl as string, region);
      return queue ? [{ action: `sqs:${SQS_BATCH[operation] ?? operation}`, resource: queue }] : unmodelled();
    }
    case 's3': {
      // Path-style requests (the SDK's choice for an IP-address endpoint): /<bucket>/<key>.
      const [bucket, ...key] = (request.url.split('?')[0] ?? '').slice(1).split('/');
      if (!bucket || key.length === 0) return unmodelled();
      const action = { PUT: 's3:PutObject', GET: 's3:GetObject', HEAD: 's3:GetObject', DELETE: 's3:DeleteObject' }[request.method];
      return action ? [{ action, resource: `arn:aws:s3:::${bucket}/${decodeURIComponent(key.join('/'))}` }] : unmodelled();
    }
    case 'sesv2': {
      if (operation === 'GetImportJob') {
        const jobId = /\/v2\/email\/import-jobs\/([^/?]+)/.exec(request.url)?.[1];
        return jobId ? [{ action: 'ses:GetImportJob', resource: arn('ses', `import-job/${jobId}`) }] : unmodelled();
      }
      if (operation === 'GetConfigurationSet' || operation === 'PutConfigurationSetSendingOptions') {
        const name = /\/v2\/email\/configuration-sets\/([^/?]+)/.exec(request.url)?.[1];
        return name ? [{ action: `ses:${operation}`, resource: arn('ses', `configuration-set/${decodeURIComponent(name)}`) }] : unmodelled();
      }
      // The account-level suppression list, the account and the list of configuration sets have no resource type.
      const accountWide = ['PutSuppressedDestination', 'GetSuppressedDestination', 'DeleteSuppressedDestination', 'ListSuppressedDestinations', 'CreateImportJob', 'GetAccount', 'ListConfigurationSets'];
      return accountWide.includes(operation) ? [{ action: `ses:${operation}`, resource: '*' }] : unmodelled();
    }
    case 'eventbridge': {
      if (operation !== 'PutEvents') return unmodelled();
      const entries = (json().Entries ?? []) as Array<{ EventBusName?: string }>;
      const buses = new Set(entries.map((e) => e.EventBusName ?? 'default'));
      return [...buses].map((bus) => ({ action: 'events:PutEvents', resource: bus.startsWith('arn:') ? bus : arn('events', `event-bus/${bus}`) }));
    }
    case 'sns': {
      // SNS speaks the query protocol: Action=Publish&TopicArn=... in a form body.
      const topic = new URLSearchParams(request.body).get('TopicArn');
      return operation === 'Publish' && topic ? [{ action: 'sns:Publish', resource: topic }] : unmodelled();
    }
    case 'cloudwatch':
      return operation === 'GetMetricData' ? [{ action: 'cloudwatch:GetMetricData', resource: '*' }] : unmodelled();
  }
}

/** A queue's ARN from its URL (`.../<account>/<name>`), in `region`; undefined for anything else. */
export function queueArnOf(url: string, region: string): string | undefined {
  const [, account, name] = /\/(\d{12})\/([^/?]+)$/.exec(url) ?? [];
  return account && name ? `arn:aws:sqs:${region}:${account}:${name}` : undefined;
}

/** A PartiQL statement's action (by its verb) and table. */
function partiql(statement: string, table: (name: string) => string): Authorization {
  const match = /^\s*(?:(INSERT)\s+INTO|(SELECT)\s.+?\sFROM|(UPDATE)|(DELETE)\s+FROM)\s+"?([^"\s.]+)"?/is.exec(statement);
  const verb = match?.[1] ?? match?.[2] ?? match?.[3] ?? match?.[4];
  const action = verb === undefined ? undefined : PARTIQL_ACTION[verb.toUpperCase()];
  const name = match?.[5];
  return action && name ? { action: `dynamodb:${action}`, resource: table(name) } : { action: 'unmodelled:dynamodb:PartiQL', resource: statement.slice(0, 40) };
}

/** The region of a SigV4-signed request (`Credential=<key>/<date>/<region>/<service>/aws4_request`). */
export function regionOf(authorization: string | undefined): string {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(authorization ?? '')?.[1] ?? 'unknown-region';
}

/**
 * The function a request came from: the app ID (`AWS_SDK_UA_APP_ID`) the SDK puts in its
 * User-Agent as `app/<id>`. Powertools appends its own marker to that ID (`<id>/PT/NO-OP/...`,
 * which the SDK writes with `-` for `/`): what precedes it is ours.
 */
export function callerOf(headers: Record<string, string | string[] | undefined>): string | null {
  for (const name of ['x-amz-user-agent', 'user-agent']) {
    const value = headers[name];
    const id = typeof value === 'string' ? /(?:^|\s)app\/(\S+)/.exec(value)?.[1] : undefined;
    if (id) return id.replace(/[-/]PT[-/].*$/, '');
  }
  return null;
}
