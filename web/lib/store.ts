// A tiny observable value: page state lives in stores outside components, and components
// subscribe with useStore. One owner per store; everyone else reads or asks it to change.
import { useLayoutEffect, useState } from "preact/hooks";

export class Store<T> {
  private listeners = new Set<(v: T) => void>();
  constructor(private value: T) {}
  get(): T {
    return this.value;
  }
  set(next: T): void {
    if (Object.is(next, this.value)) return;
    this.value = next;
    for (const l of [...this.listeners]) l(next);
  }
  update(fn: (v: T) => T): void {
    this.set(fn(this.value));
  }
  subscribe(fn: (v: T) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/**
 * The store's value, re-rendering on every change. A component reads the value while rendering but
 * can only subscribe afterwards; a change landing in between (the account arriving before the first
 * frame, as it does when the server answers in a few ms) would otherwise never reach it. So the
 * subscription is made as soon as the render is committed, and a value that moved meanwhile
 * re-renders at once.
 */
export function useStore<T>(store: Store<T>): T {
  const value = store.get();
  const [, force] = useState(0);
  useLayoutEffect(() => {
    const unsubscribe = store.subscribe(() => force((n) => n + 1));
    if (!Object.is(store.get(), value)) force((n) => n + 1);
    return unsubscribe;
  }, [store]);
  return value;
}
