import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A small HTTP endpoint of the local pipeline (SES, EventBridge) on a free port of 127.0.0.1. */
export abstract class LocalHttpService {
  private server: Server | undefined;

  /** Listens on a free port of 127.0.0.1 and returns the endpoint URL. */
  public async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => this.fail(res, error));
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

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Answers a request whose handling threw, in the service's error format. */
  protected abstract fail(res: ServerResponse, error: unknown): void;
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
