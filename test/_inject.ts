// Fault injection through a mutable seam (storage/io.ts): swaps one function for a fake and puts
// the real one back in t.teardown, so a failed assertion never leaves a fault for later tests.
import type { ExecutionContext } from 'ava';

/** Replaces target[name] with fake until the test ends; returns a function that restores it now. */
export function inject<T extends object, K extends keyof T>(t: ExecutionContext, target: T, name: K, fake: T[K]): () => void {
  const real = target[name];
  target[name] = fake;
  const restore = (): void => {
    target[name] = real;
  };
  t.teardown(restore);
  return restore;
}
