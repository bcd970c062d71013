// Test helper: headless Chromium (the Debian `chromium` package) driven over the DevTools
// protocol on a pipe (--remote-debugging-pipe: JSON messages ended by NUL on fds 3 and 4), so no
// npm browser package is needed. Missing Chromium fails the test: it is never skipped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** The flags every headless run here uses (root in CI needs --no-sandbox). */
export const HEADLESS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check', '--hide-scrollbars'];

export function requireChromium(): void {
  if (!existsSync(CHROMIUM) || spawnSync(CHROMIUM, ['--version']).status !== 0) {
    throw new Error(`${CHROMIUM} is missing or does not run: install the Debian package "chromium" (.ci/run does)`);
  }
}

interface Pending {
  resolve: (result: Record<string, unknown>) => void;
  reject: (err: Error) => void;
}

export class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffered = '';
  private readonly profile = mkdtempSync(join(tmpdir(), 'logd-chromium-'));
  private readonly proc: ChildProcess;
  private readonly exited: Promise<void>;
  private stderr = '';

  constructor() {
    requireChromium();
    this.proc = spawn(CHROMIUM, [...HEADLESS, '--remote-debugging-pipe', `--user-data-dir=${this.profile}`, 'about:blank'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    });
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.exited = new Promise((resolve) => this.proc.on('exit', () => resolve()));
    void this.exited.then(() => this.failAll(new Error(`chromium exited:\n${this.stderr}`)));
    const out = this.proc.stdio[4] as Readable;
    out.setEncoding('utf8');
    out.on('data', (text: string) => this.onData(text));
  }

  /** Sends a DevTools command (to a page session when given); resolves with its result. */
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    (this.proc.stdio[3] as Writable).write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  /** Opens a page at the URL; returns its session. */
  async open(url: string): Promise<Page> {
    const { targetId } = (await this.send('Target.createTarget', { url })) as { targetId: string };
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    return new Page(this, sessionId);
  }

  /** Closes the browser (Browser.close, SIGKILL if that fails) and removes its profile. */
  async close(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      await this.send('Browser.close').catch(() => this.proc.kill('SIGKILL'));
    }
    await this.exited;
    // Its helper processes may still be leaving files behind for a moment.
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
  }

  private onData(text: string): void {
    this.buffered += text;
    let end: number;
    while ((end = this.buffered.indexOf('\0')) >= 0) {
      const message = JSON.parse(this.buffered.slice(0, end)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
      this.buffered = this.buffered.slice(end + 1);
      const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiter) continue; // events: not used
      this.pending.delete(message.id!);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result ?? {});
    }
  }

  private failAll(err: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}

export class Page {
  constructor(
    private readonly browser: Browser,
    private readonly sessionId: string,
  ) {}

  /** The value of a JavaScript expression evaluated in the page (awaited if a promise). */
  async evaluate<T>(expression: string): Promise<T> {
    const reply = (await this.browser.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, this.sessionId)) as {
      result: { value: T };
      exceptionDetails?: { text: string };
    };
    if (reply.exceptionDetails) throw new Error(`in the page: ${reply.exceptionDetails.text}`);
    return reply.result.value;
  }
}
