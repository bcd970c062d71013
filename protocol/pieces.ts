// A record's payload as the parser hands it over: one buffer, or, for a long MSG text that arrived
// in several socket reads, the pieces it came in (views of those reads). A 64 KiB message is then
// never copied on its way to the disk: storage writes the pieces where they are (writev).
// protocol/frame.ts frames and CRCs either kind.
export class Pieces {
  constructor(
    readonly list: readonly Buffer[],
    /** The total of the pieces' lengths. */
    readonly length: number,
  ) {}
}

export type RecordPayload = Buffer | Pieces;

/** Bytes [from, to) of the concatenation of `views`, as views (no copy). */
export function sliceViews(views: readonly Buffer[], from: number, to: number): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const view of views) {
    const start = Math.max(from - at, 0);
    const end = Math.min(to - at, view.length);
    if (start < end) out.push(start === 0 && end === view.length ? view : view.subarray(start, end));
    at += view.length;
    if (at >= to) break;
  }
  return out;
}
