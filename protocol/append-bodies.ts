// The bodies of one APPEND as they stream in after its line (the parser's BODY state).
//
// Bodies are counted, never scanned. A body inside one read is a view of it (Node gives every
// 'data' event a fresh Buffer, so views are safe to keep); a body spanning reads is copied into
// one Buffer of its exact size. A refused APPEND (over a limit, bad name) skips its bodies as they
// stream in, holding nothing. The CRLF/LF after each body is the parser's (TERMINATOR states).
import type { Command } from './commands.ts';

const NO_BYTES = Buffer.alloc(0);

export class AppendBodies {
  private log = '';
  /** The APPEND's expected next id (`<log>@<next-id>`), 0 when unconditional. */
  private expect = 0;
  private lens: number[] = [];
  /** null while the bodies of a refused APPEND are skipped. */
  private payloads: Buffer[] | null = null;
  private index = 0;
  /** Bytes of the current body still to come. */
  left = 0;
  /** A body that spans reads, filled up to filled. */
  private body: Buffer | null = null;
  private filled = 0;
  /** Bytes held for this APPEND (memory accounting). */
  held = 0;

  /** Starts an APPEND of bodies of these lengths (at least one); refused: skip them, keep nothing. */
  start(log: string, expect: number, lens: number[], refused: boolean): void {
    this.log = log;
    this.expect = expect;
    this.lens = lens;
    this.payloads = refused ? null : [];
    this.index = 0;
    this.startBody();
  }

  /** Moves to the next body after a terminator; false when the APPEND is complete (see finish). */
  next(): boolean {
    this.index++;
    if (this.index >= this.lens.length) return false;
    this.startBody();
    return true;
  }

  /** The bytes of data[pos, end) that belong to the current body; returns the position after them. */
  read(data: Buffer, pos: number, end: number): number {
    const n = Math.min(end - pos, this.left);
    if (this.payloads !== null) {
      if (this.body === null && n === this.left) {
        this.payloads.push(data.subarray(pos, pos + n)); // the whole body is here: a view, no copy
        this.held += n;
      } else {
        if (this.body === null) {
          this.body = Buffer.allocUnsafe(this.left);
          this.filled = 0;
          this.held += this.left;
        }
        data.copy(this.body, this.filled, pos, pos + n);
        this.filled += n;
        if (n === this.left) {
          this.payloads.push(this.body);
          this.body = null;
        }
      }
    }
    this.left -= n;
    return pos + n;
  }

  /** The complete APPEND as a command (null when refused); the bodies are let go. */
  finish(): Command | null {
    const { log, expect, payloads } = this;
    this.drop();
    if (payloads === null) return null;
    return expect === 0 ? { verb: 'APPEND', log, payloads } : { verb: 'APPEND', log, payloads, expect };
  }

  drop(): void {
    this.lens = [];
    this.payloads = null;
    this.body = null;
    this.held = 0;
  }

  private startBody(): void {
    this.left = this.lens[this.index] as number;
    if (this.left === 0) this.payloads?.push(NO_BYTES);
  }
}
