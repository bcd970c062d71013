// Test helper: a ParserSink that records what the parser reports, as comparable strings.
import type { Command } from '../../protocol/commands.ts';
import type { ErrorCode } from '../../protocol/errors.ts';
import { DEFAULT_LIMITS, Parser, type ParserLimits, type ParserSink } from '../../protocol/parser.ts';
import { Pieces } from '../../protocol/pieces.ts';

export class Recorder implements ParserSink {
  readonly events: string[] = [];
  readonly commands: Command[] = [];

  command(cmd: Command): void {
    this.commands.push(cmd);
    // A MSG text kept in the pieces it arrived in reads as the bytes it stands for.
    this.events.push('cmd ' + JSON.stringify(cmd, (_key, value: unknown) => (value instanceof Pieces ? Buffer.concat(value.list).toJSON() : value)));
  }

  error(code: ErrorCode, message: string): void {
    this.events.push(`error ${code} ${message}`);
  }

  fatal(code: ErrorCode, message: string): void {
    this.events.push(`fatal ${code} ${message}`);
  }
}

/** Feeds `chunks` to a fresh parser; returns the recorder and the parser. */
export function feed(chunks: Buffer[], limits: ParserLimits = DEFAULT_LIMITS): { rec: Recorder; parser: Parser } {
  const rec = new Recorder();
  const parser = new Parser(limits, rec);
  for (const c of chunks) parser.push(c);
  return { rec, parser };
}

/** The events for `bytes` cut at the given positions (copies, as a socket would deliver them). */
export function eventsSplit(bytes: Buffer, cuts: number[], limits: ParserLimits = DEFAULT_LIMITS): string[] {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    chunks.push(Buffer.from(bytes.subarray(from, cut)));
    from = cut;
  }
  chunks.push(Buffer.from(bytes.subarray(from)));
  return feed(chunks, limits).rec.events;
}
