// A materialized view: the state folded from a whole log, kept up to date live, the way a
// prevalence system rebuilds its state by replaying its transaction log and then applies
// each new transaction. The fold runs over follow() from id 1, so it survives disconnects.
import type { ConnectOptions } from './connection.ts';
import { follow } from './follow.ts';
import type { LogRecord } from './types.ts';

export type Reducer<S> = (state: S, record: LogRecord) => S;

export interface Materialized<S> {
  /** The state after applying records 1..id. */
  readonly state: S;
  /** The last applied id. */
  readonly id: number;
  /** Resolves once the state includes record `id`; rejects if the view stopped with an error. */
  wait(id: number): Promise<void>;
  /** Stops following; the state stays as it is. */
  close(): void;
}

interface Waiter {
  id: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

class View<S> implements Materialized<S> {
  state: S;
  id = 0;
  private waiters: Waiter[] = [];
  private error: Error | null = null;
  private readonly abort = new AbortController();

  constructor(
    private readonly reducer: Reducer<S>,
    initial: S,
  ) {
    this.state = initial;
  }

  async run(server: ConnectOptions, log: string): Promise<void> {
    try {
      for await (const record of follow(server, log, 1, { signal: this.abort.signal })) {
        this.state = this.reducer(this.state, record);
        this.id = record.id;
        if (this.waiters.length > 0) this.settle();
      }
    } catch (err) {
      this.error = err as Error;
      this.settle();
    }
  }

  wait(id: number): Promise<void> {
    if (id <= this.id) return Promise.resolve();
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => this.waiters.push({ id, resolve, reject }));
  }

  close(): void {
    this.abort.abort();
  }

  private settle(): void {
    const waiting: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.id <= this.id) w.resolve();
      else if (this.error) w.reject(this.error);
      else waiting.push(w);
    }
    this.waiters = waiting;
  }
}

/** Starts folding `log` and resolves once the state includes record `head`. */
export async function materialize<S>(server: ConnectOptions, log: string, head: number, reducer: Reducer<S>, initial: S): Promise<Materialized<S>> {
  const view = new View(reducer, initial);
  void view.run(server, log);
  try {
    await view.wait(head);
  } catch (err) {
    view.close();
    throw err;
  }
  return view;
}
