/**
 * Idle workers, most recently returned on top (LIFO): the hot ones stay hot, and the cold ones
 * sink to the bottom, where their own idle timeout ends them. Workers that left or died are
 * skipped and dropped.
 */
export class WorkerCache<W extends { readonly usable: boolean }> {
  private stack: W[] = [];

  push(worker: W): void {
    this.stack.push(worker);
  }

  /** The most recently returned worker that can still take a job. */
  pop(): W | undefined {
    while (this.stack.length > 0) {
      let worker = this.stack.pop()!;
      if (worker.usable) return worker;
    }
    return undefined;
  }

  remove(worker: W): void {
    let at = this.stack.indexOf(worker);
    if (at >= 0) this.stack.splice(at, 1);
  }

  /** How many can take a job, after dropping those that cannot. */
  get size(): number {
    this.stack = this.stack.filter((worker) => worker.usable);
    return this.stack.length;
  }
}
