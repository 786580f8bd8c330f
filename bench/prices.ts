/**
 * AWS's published on-demand prices used by `npm run bench` to turn measured counts into dollars.
 * US East (N. Virginia), as listed on the services' pricing pages on the date below; free tiers
 * ignored. Update the date with the figures.
 */
export const PRICES = {
  asOf: '2026-11-23',
  region: 'us-east-1',
  /** https://aws.amazon.com/lambda/pricing/ (Arm) */
  lambdaPerRequest: 0.2 / 1e6,
  lambdaArmPerGbSecond: 0.0000133334,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ (after the November 2024 cut) */
  dynamodbPerWriteUnit: 0.625 / 1e6,
  dynamodbPerReadUnit: 0.125 / 1e6,
  /** https://aws.amazon.com/sqs/pricing/ (standard queue; every 64 KB chunk of a payload is a request) */
  sqsPerRequest: 0.4 / 1e6,
  /** https://aws.amazon.com/sns/pricing/ (standard topic publish; deliveries to SQS and Lambda are free) */
  snsPerPublish: 0.5 / 1e6,
  /** https://aws.amazon.com/s3/pricing/ (S3 Standard) */
  s3PerPut: 0.005 / 1000,
  s3PerGet: 0.0004 / 1000,
  /** https://aws.amazon.com/cloudwatch/pricing/ (logs ingestion, standard class) */
  logsPerGb: 0.5,
  /** https://aws.amazon.com/eventbridge/pricing/ (custom events published) */
  eventBridgePerEvent: 1 / 1e6,
  /**
   * https://aws.amazon.com/cloudwatch/pricing/ (alarms): a standard-resolution alarm, per metric it
   * watches, per month; a Metrics Insights alarm, per metric its query analyses, per month (no
   * free tier for these); a custom dashboard, per month. Read on 2026-12-07 as AWS's page is
   * quoted by the Price List API notes of public projects: the alarm table of the page itself could
   * not be read from the machine these figures were made on.
   */
  alarmPerMetricMonth: 0.1,
  metricsInsightsAlarmPerMetricMonth: 0.1,
  dashboardPerMonth: 3,
  /** SESv2 suppression-list and import-job API calls carry no charge (https://aws.amazon.com/ses/pricing/). */
  sesApiPerCall: 0,
} as const;
