/**
 * A private redis-server for the tests and the farm bench: on a free port,
 * with its data (an append-only file) in a directory of its own, so it can
 * be stopped and started again with what it had: a Redis restart, as a farm
 * must survive one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';

export interface RedisServerOptions {
  /** Where its append-only file lives. */
  dir: string;
  /** Default: a free port. */
  port?: number;
  /** The redis-server program; default the one on PATH. */
  binary?: string;
  /** How long it may take to answer PING, in ms; default 10_000. */
  readyMs?: number;
  /** A password it asks of every client (requirepass); default none. */
  password?: string;
}

/** A free TCP port on 127.0.0.1 (free when asked: another program may take it after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether something on `port` answers PING with PONG (or, asking for a password, with NOAUTH: it is up). */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' });
    let text = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      text += d.toString();
      if (text.includes('\r\n')) done(text.startsWith('+PONG') || text.startsWith('-NOAUTH'));
    });
  });
}

export class RedisServer {
  private child: ChildProcess | null = null;
  private output = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly binary: string,
    private readonly readyMs: number,
    private readonly password: string | null,
  ) {}

  /** Start one and wait until it answers; an Error saying why when it cannot (not installed, port taken). */
  static async start(options: RedisServerOptions): Promise<RedisServer> {
    const s = new RedisServer(options.port ?? (await freePort()), options.dir, options.binary ?? 'redis-server', options.readyMs ?? 10_000, options.password ?? null);
    await s.start();
    return s;
  }

  /** Its URL, with its password when it has one. */
  get url(): string {
    return this.password === null ? `redis://127.0.0.1:${this.port}` : `redis://:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}`;
  }

  /** The server's process id, while it runs. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Start it again (after stop) on the same port with the same data. */
  async start(): Promise<void> {
    if (this.child !== null) return;
    // appendonly: every write is logged (fsync each second, and at shutdown), so a restart keeps the farm's state.
    const auth = this.password === null ? [] : ['--requirepass', this.password];
    const child = spawn(this.binary, ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no', ...auth], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.output = '';
    child.stdout!.on('data', (d) => (this.output = (this.output + d.toString()).slice(-4000)));
    child.stderr!.on('data', (d) => (this.output = (this.output + d.toString()).slice(-4000)));
    const failed = new Promise<Error>((resolve) => {
      child.once('error', (e: NodeJS.ErrnoException) =>
        resolve(e.code === 'ENOENT' ? new Error(`${this.binary} is not installed (on Debian or Ubuntu: apt-get install redis-server)`) : e),
      );
      child.once('exit', (code) => resolve(new Error(`${this.binary} exited with code ${code} before it answered: ${this.output.trim().split('\n').slice(-3).join(' | ')}`)));
    });
    const deadline = Date.now() + this.readyMs;
    for (;;) {
      const r = await Promise.race([failed, pings(this.port)]);
      if (r === true) return;
      if (r instanceof Error) {
        this.child = null;
        throw r;
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`${this.binary} on port ${this.port} did not answer PING within ${this.readyMs} ms`);
      }
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  /** Stop it the way an operator would (SIGTERM: it writes out its append-only file first) and wait until it is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}
