// One caller at a time, in arrival order: clients of a one-slot container share it the way
// modelhub's queue shares it, so direct and proxied figures compare like with like.
export class FifoLock {
  private tail = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn);
    this.tail = next.then(
      () => {},
      () => {},
    );
    return next;
  }
}
