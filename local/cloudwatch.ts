import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalHttpService, readBody } from './http-service.js';

/** The latest account-wide reputation rates the endpoint reports (fractions); null: no data, as before any bounce. */
export interface ReputationRates {
  bounce: number | null;
  complaint: number | null;
}

/**
 * A small CloudWatch endpoint for GetMetricData, speaking the AWS JSON 1.0 wire format the SDK uses
 * (`X-Amz-Target: GraniteServiceVersion20100801.GetMetricData`), so the reputation watcher's real
 * client reads SES's reputation rates from it (`AWS_ENDPOINT_URL_CLOUDWATCH`). It answers each
 * query whose Id is `bounce` or `complaint` with {@link rates}; tests set them as AWS would.
 */
export class LocalCloudWatch extends LocalHttpService {
  public readonly rates: ReputationRates = { bounce: null, complaint: null };

  protected fail(res: ServerResponse, error: unknown): void {
    reply(res, 500, { __type: 'InternalServiceFault', message: String(error) });
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (req.headers['x-amz-target'] !== 'GraniteServiceVersion20100801.GetMetricData') {
      return reply(res, 400, { __type: 'InvalidAction', message: `not supported here: ${String(req.headers['x-amz-target'])}` });
    }
    const { MetricDataQueries = [] } = JSON.parse(body) as { MetricDataQueries?: Array<{ Id: string }> };
    const now = Date.now() / 1000;
    const results = MetricDataQueries.map(({ Id }) => {
      const value = Id === 'bounce' ? this.rates.bounce : Id === 'complaint' ? this.rates.complaint : null;
      return { Id, Values: value === null ? [] : [value], Timestamps: value === null ? [] : [now], StatusCode: 'Complete' };
    });
    reply(res, 200, { MetricDataResults: results });
  }
}

function reply(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(payload));
}
