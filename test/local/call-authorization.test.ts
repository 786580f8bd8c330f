import { authorizationsOf, callerOf, regionOf, type ObservedRequest } from '../../local/call-authorization.js';

const request = (service: ObservedRequest['service'], operation: string, parts: Partial<ObservedRequest> = {}): ObservedRequest => ({
  service,
  operation,
  method: 'POST',
  url: '/',
  body: '',
  region: 'us-east-1',
  ...parts,
});
const table = 'arn:aws:dynamodb:us-east-1:000000000000:table/ses-feedback';

describe('authorizationsOf: what IAM checks for one API request', () => {
  it.each<[string, ObservedRequest, Array<{ action: string; resource: string }>]>([
    [
      'each PartiQL statement of a batch by its verb, on its table',
      request('dynamodb', 'BatchExecuteStatement', { body: JSON.stringify({ Statements: [{ Statement: `INSERT INTO "ses-feedback" VALUE {'pk': ?}` }, { Statement: 'SELECT * FROM "ses-feedback" WHERE pk = ?' }] }) }),
      [{ action: 'dynamodb:PartiQLInsert', resource: table }, { action: 'dynamodb:PartiQLSelect', resource: table }],
    ],
    ['a Query on an index, on the index', request('dynamodb', 'Query', { body: JSON.stringify({ TableName: 'ses-feedback', IndexName: 'byDay' }) }), [{ action: 'dynamodb:Query', resource: `${table}/index/byDay` }]],
    [
      'each item of a TransactWriteItems by the action it performs, on its table',
      request('dynamodb', 'TransactWriteItems', { body: JSON.stringify({ TransactItems: [{ Put: { TableName: 'ses-feedback' } }, { Delete: { TableName: 'ses-feedback' } }, { ConditionCheck: { TableName: 'ses-feedback' } }] }) }),
      [{ action: 'dynamodb:PutItem', resource: table }, { action: 'dynamodb:DeleteItem', resource: table }, { action: 'dynamodb:ConditionCheckItem', resource: table }],
    ],
    ['BatchWriteItem on each table it writes', request('dynamodb', 'BatchWriteItem', { body: JSON.stringify({ RequestItems: { 'ses-feedback': [] } }) }), [{ action: 'dynamodb:BatchWriteItem', resource: table }]],
    [
      'an SQS batch as its single action, on the queue of its URL',
      request('sqs', 'DeleteMessageBatch', { body: JSON.stringify({ QueueUrl: 'http://127.0.0.1:4566/000000000000/ses-feedback-dlq' }) }),
      [{ action: 'sqs:DeleteMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:ses-feedback-dlq' }],
    ],
    ['an S3 object write, path-style', request('s3', 'PutObject', { method: 'PUT', url: '/imports-bucket/imports/pipeline/a%20b.jsonl?x-id=PutObject' }), [{ action: 's3:PutObject', resource: 'arn:aws:s3:::imports-bucket/imports/pipeline/a b.jsonl' }]],
    ['GetImportJob on the job', request('sesv2', 'GetImportJob', { method: 'GET', url: '/v2/email/import-jobs/job-1' }), [{ action: 'ses:GetImportJob', resource: 'arn:aws:ses:us-east-1:000000000000:import-job/job-1' }]],
    ['PutSuppressedDestination on the account-wide list', request('sesv2', 'PutSuppressedDestination', { method: 'PUT' }), [{ action: 'ses:PutSuppressedDestination', resource: '*' }]],
    ['PutEvents on each bus of its entries', request('eventbridge', 'PutEvents', { body: JSON.stringify({ Entries: [{}, { EventBusName: 'audit' }] }) }), [
      { action: 'events:PutEvents', resource: 'arn:aws:events:us-east-1:000000000000:event-bus/default' },
      { action: 'events:PutEvents', resource: 'arn:aws:events:us-east-1:000000000000:event-bus/audit' },
    ]],
    ['an SNS Publish (query protocol) on its topic', request('sns', 'Publish', { body: 'Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aalerts&Message=x' }), [{ action: 'sns:Publish', resource: 'arn:aws:sns:us-east-1:000000000000:alerts' }]],
  ])('names %s', (_case, observed, expected) => {
    expect(authorizationsOf(observed)).toEqual(expected);
  });

  it('fails loudly on an operation it does not model (marked unmodelled), rather than pass it', () => {
    expect(authorizationsOf(request('dynamodb', 'TransactGetItems', { body: '{}' }))).toEqual([{ action: 'unmodelled:dynamodb:TransactGetItems', resource: '*' }]);
    expect(authorizationsOf(request('sesv2', 'SendEmail'))).toEqual([{ action: 'unmodelled:sesv2:SendEmail', resource: '*' }]);
  });
});

describe('callerOf and regionOf', () => {
  it('reads the function from the app ID, without the marker Powertools appends to it', () => {
    expect(callerOf({ 'user-agent': 'aws-sdk-js/3.1169.0 ua/2.1 os/linux lang/js md/nodejs#20.20.2 api/sqs#3.1169.0 m/E,N app/write-suppressions-PT-NO-OP-2.35.0-PTEnv-NA' })).toBe('write-suppressions');
    expect(callerOf({ 'user-agent': 'aws-sdk-js/3.1169.0 app/process-feedback' })).toBe('process-feedback');
    expect(callerOf({ 'user-agent': 'node' })).toBeNull();
  });

  it('reads the region from the SigV4 credential scope', () => {
    expect(regionOf('AWS4-HMAC-SHA256 Credential=local/20261127/eu-west-1/sqs/aws4_request, SignedHeaders=host, Signature=x')).toBe('eu-west-1');
  });
});
