import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SesSuppressionList } from '../../../../lambdas/write-suppressions/adapters/ses-suppression-list.js';
import { SuppressionRejectedError } from '../../../../lambdas/shared/errors.js';

/** A minimal SESv2 endpoint: PUT /v2/email/suppression/addresses, answering from a script. */
async function fakeSes(answers: number[]) {
  const requests: Array<{ body: any; at: number }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      requests.push({ body: JSON.parse(body || '{}'), at: Date.now() });
      const status = answers.shift() ?? 200;
      setTimeout(() => {
        inFlight--;
        if (req.method !== 'PUT' || req.url !== '/v2/email/suppression/addresses') {
          res.writeHead(404).end();
        } else if (status === 200) {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } else {
          const type = status === 429 ? 'TooManyRequestsException' : 'BadRequestException';
          res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type }).end(JSON.stringify({ message: `${type} for test` }));
        }
      }, 20);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new SESv2Client({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    retryMode: 'adaptive',
    maxAttempts: 8,
  });
  return { client, requests, maxInFlight: () => maxInFlight, close: () => new Promise((r) => server.close(r)) };
}

describe('SesSuppressionList (real SESv2 client, local endpoint)', () => {
  it('sends PutSuppressedDestination with the address and reason', async () => {
    const ses = await fakeSes([]);
    try {
      await new SesSuppressionList(ses.client).suppress('jane@example.com', 'COMPLAINT');
      expect(ses.requests.map((r) => r.body)).toEqual([{ EmailAddress: 'jane@example.com', Reason: 'COMPLAINT' }]);
    } finally {
      await ses.close();
    }
  });

  it('absorbs TooManyRequestsException (429) with backoff and succeeds', async () => {
    const ses = await fakeSes([429, 429, 200]);
    try {
      await new SesSuppressionList(ses.client).suppress('jane@example.com', 'BOUNCE');
      expect(ses.requests).toHaveLength(3);
    } finally {
      await ses.close();
    }
  });

  it('sends one call at a time however many are asked for at once', async () => {
    const ses = await fakeSes([]);
    try {
      const list = new SesSuppressionList(ses.client);
      await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => list.suppress(`${n}@example.com`, 'BOUNCE')));
      expect(ses.requests).toHaveLength(5);
      expect(ses.maxInFlight()).toBe(1);
    } finally {
      await ses.close();
    }
  });

  it('fails with SuppressionRejectedError when SES answers BadRequest, and keeps serving later calls', async () => {
    const ses = await fakeSes([400, 200]);
    try {
      const list = new SesSuppressionList(ses.client);
      await expect(list.suppress('bad@example.com', 'BOUNCE')).rejects.toBeInstanceOf(SuppressionRejectedError);
      await expect(list.suppress('good@example.com', 'BOUNCE')).resolves.toBeUndefined();
    } finally {
      await ses.close();
    }
  });
});
