import type { LocalEventBusOptions } from './event-bus.js';
import type { LocalSesOptions } from './ses-server.js';

/** How a local pipeline runs: what `LocalPipeline.start` takes (in its own file, so the functions' environment reads it without the pipeline). */
export interface LocalPipelineOptions {
  /** The local SES endpoint's rate limit and faults. @default SES's 1 request/s, no faults */
  readonly ses?: LocalSesOptions;
  /**
   * Local time runs this many times faster than the stack's: every duration (function timeout,
   * suppression lease, visibility timeout) is divided by it and every rate (SES's 1 request/s, the
   * handler's share of it) multiplied, so function timeout < lease < visibility timeout and the
   * SES calls one invocation can make all hold as in AWS.
   * @default 10 (SES 10 requests/s, timeout 6 s, lease 9 s, visibility timeout 36 s)
   */
  readonly timeCompression?: number;
  /** Where the worker's logs go. @default .local/logs */
  readonly logDir?: string;
  /** AWS SDK attempts per call in the handler (the stack sets 8). Fewer let injected faults reach the handler. */
  readonly sdkMaxAttempts?: number;
  /** Receives before the queue moves a message to the DLQ. @default the stack's (5) */
  readonly maxReceiveCount?: number;
  /** From this many new addresses in a writer batch, an import job. @default the stack's (25) */
  readonly importThreshold?: number;
  /** The suppression writer's batching window, in stack time (divided by timeCompression). @default the stack's (`DEFAULT_SETTINGS.suppressionBatchingWindowInSeconds`) */
  readonly suppressionBatchingWindowSeconds?: number;
  /**
   * How long a suppression that soft bounces escalated lasts, in real seconds (a test waits it out).
   * @default the stack's (`DEFAULT_SETTINGS.softBounceSuppressionPeriodInDays`)
   */
  readonly temporarySuppressionSeconds?: number;
  /**
   * Route the functions' AWS calls through a call meter (`local/call-meter.ts`) that counts them (`npm run bench`)
   * and records what IAM authorizes for each, per function. @default false
   */
  readonly meter?: boolean;
  /**
   * The managed configuration sets (short names) the local deploy has, each created on the local
   * SES endpoint as `cdk deploy` leaves it: sending, and tagged pausable unless it is never paused
   * by default. @default the stack's (`DEFAULT_MANAGED_CONFIGURATION_SETS`)
   */
  readonly managedConfigurationSets?: readonly string[];
  /** Faults of the local event bus. @default none */
  readonly eventBus?: LocalEventBusOptions;
}
