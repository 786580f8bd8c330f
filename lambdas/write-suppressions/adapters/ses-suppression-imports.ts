import { randomUUID } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateImportJobCommand, GetImportJobCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { IMPORT_FILES } from '../../shared/contract.js';
import { fromImportFile, readTemporaryRows, temporaryRowsFile, toImportFile, type ImportRow } from '../import-files.js';
import { type ImportJobRef, type SuppressionEntry } from '../../shared/suppression.js';
import { type ImportJobStatus, type RecordedJob, type SuppressionImports } from '../ports.js';
import { SesPacer } from '../../shared/adapters/ses-pacer.js';
import { asRejection } from './ses-suppression-list.js';

export interface SesSuppressionImportsOptions {
  readonly ses: SESv2Client;
  /**
   * The client for CreateImportJob: one attempt, as an SDK retry of a call that timed out after SES
   * created the job would create a second one, the first unfollowed. @default `ses`
   */
  readonly createWith?: SESv2Client;
  readonly s3: S3Client;
  /** The stack's import bucket: SES may read it (bucket policy) and decrypt its objects (key policy). */
  readonly bucketName: string;
  /** Key prefix of the files this writer creates. @default IMPORT_FILES.pipelinePrefix */
  readonly prefix?: string;
  readonly pacer?: SesPacer;
  /** Downloads the failed-records file SES links to (a presigned URL). @default fetch */
  readonly download?: (url: string) => Promise<string>;
}

/**
 * SES suppression-list import jobs: the rows go to S3 as SES's JSON-lines format, then one
 * CreateImportJob (action PUT) takes them all. GetImportJob reports progress, and hands over the
 * failed-records file SES links to, unread: the writer matches it to the rows submitted (import-files.ts).
 */
export class SesSuppressionImports implements SuppressionImports {
  private readonly pacer: SesPacer;
  private readonly download: (url: string) => Promise<string>;

  public constructor(private readonly options: SesSuppressionImportsOptions) {
    this.pacer = options.pacer ?? new SesPacer();
    this.download = options.download ?? fetchText;
  }

  public async prepare(rows: readonly SuppressionEntry[]): Promise<ImportJobRef> {
    const { prefix = IMPORT_FILES.pipelinePrefix } = this.options;
    const objectKey = `${prefix}${new Date().toISOString().slice(0, 10)}/${randomUUID()}.jsonl`;
    await this.write(objectKey, toImportFile(rows), 'application/x-ndjson');
    // Which rows are temporary goes beside the file: SES's format has no field for it.
    const temporaryRows = temporaryRowsFile(rows);
    if (temporaryRows !== undefined) await this.write(temporaryRowsKey(objectKey), temporaryRows, 'application/json');
    // The job's record exists from the start (reading a key that does not exist is refused without s3:ListBucket).
    await this.write(jobRecordKey(objectKey), JOB_PENDING, 'text/plain');
    return { jobId: '', objectKey, rows: rows.length, ...(temporaryRows !== undefined ? { temporary: true as const } : {}) };
  }

  public async create(job: ImportJobRef): Promise<string> {
    const { ses, createWith = ses, bucketName } = this.options;
    let jobId: string | undefined;
    try {
      ({ JobId: jobId } = await this.pacer.run(() =>
        createWith.send(
          new CreateImportJobCommand({
            ImportDestination: { SuppressionListDestination: { SuppressionListImportAction: 'PUT' } },
            ImportDataSource: { S3Url: `s3://${bucketName}/${job.objectKey}`, DataFormat: 'JSON' },
          }),
        ),
      ));
    } catch (error) {
      // SES answered with a client error (refused, throttled, over a limit): no job was created.
      // Anything else (a 5xx, a timeout) may have created one: the record stays pending.
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== undefined && status >= 400 && status < 500) await this.write(jobRecordKey(job.objectKey), JOB_NOT_CREATED, 'text/plain');
      throw asRejection(error, 'CreateImportJob');
    }
    if (!jobId) throw new Error('SES CreateImportJob returned no JobId');
    await this.write(jobRecordKey(job.objectKey), jobId, 'text/plain');
    return jobId;
  }

  public async recordedJob(job: ImportJobRef): Promise<RecordedJob> {
    const recorded = (await this.read(jobRecordKey(job.objectKey))).trim();
    return recorded === JOB_PENDING ? undefined : recorded === JOB_NOT_CREATED ? 'not-created' : { jobId: recorded };
  }

  public async status(jobId: string): Promise<ImportJobStatus> {
    const job = await this.pacer.run(() => this.options.ses.send(new GetImportJobCommand({ JobId: jobId })));
    switch (job.JobStatus) {
      case 'COMPLETED': {
        const failedCount = job.FailedRecordsCount ?? 0;
        const url = job.FailureInfo?.FailedRecordsS3Url;
        // Which rows failed is decided by the writer (matchFailedRecords, import-files.ts), against the rows submitted.
        const failedRecords = failedCount > 0 && url ? await this.download(url) : '';
        return { state: 'completed', failedCount, failedRecords, errorMessage: job.FailureInfo?.ErrorMessage };
      }
      case 'FAILED':
      case 'CANCELLED':
        return { state: 'failed', errorMessage: job.FailureInfo?.ErrorMessage ?? `job ${job.JobStatus.toLowerCase()}` };
      default:
        return { state: 'running', processed: job.ProcessedRecordsCount };
    }
  }

  public async rows(job: ImportJobRef): Promise<ImportRow[]> {
    const temporaryRows = job.temporary ? readTemporaryRows(await this.read(temporaryRowsKey(job.objectKey))) : new Set<number>();
    return fromImportFile(await this.read(job.objectKey), temporaryRows);
  }

  private async write(key: string, body: string, contentType: string): Promise<void> {
    await this.options.s3.send(new PutObjectCommand({ Bucket: this.options.bucketName, Key: key, Body: body, ContentType: contentType }));
  }

  private async read(key: string): Promise<string> {
    const object = await this.options.s3.send(new GetObjectCommand({ Bucket: this.options.bucketName, Key: key }));
    return (await object.Body?.transformToString('utf8')) ?? '';
  }
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`failed-records file: HTTP ${response.status}`);
  return response.text();
}

/** Where the list of a job's temporary rows goes: beside its rows, under the writer's own prefix. */
function temporaryRowsKey(objectKey: string): string {
  return `${objectKey}.temporary.json`;
}

/** What the job record says before SES has answered, and when SES answered without creating the job. */
const JOB_PENDING = 'pending';
const JOB_NOT_CREATED = 'not-created';

/** Where a job's id is recorded once SES created it: beside its rows. */
function jobRecordKey(objectKey: string): string {
  return `${objectKey}.job`;
}

