/**
 * What start-up has acquired so far (lock, PostgreSQL, pool, app), released in reverse order. A
 * signal may arrive half-way through start-up, so release works on whatever is there by then, and
 * anything acquired after release began is released at once.
 */
export class Resources {
  private readonly stack: { name: string; release: () => Promise<void> }[] = [];
  private releasing: Promise<void> | undefined;

  constructor(private readonly onError: (name: string, err: unknown) => void = () => {}) {}

  add(name: string, release: () => Promise<void>): void {
    if (this.releasing) {
      release().catch((err) => this.onError(name, err));
      return;
    }
    this.stack.push({ name, release });
  }

  releaseAll(): Promise<void> {
    this.releasing ??= (async () => {
      for (let item = this.stack.pop(); item; item = this.stack.pop()) {
        try {
          await item.release();
        } catch (err) {
          this.onError(item.name, err);
        }
      }
    })();
    return this.releasing;
  }

  get released(): boolean {
    return this.releasing !== undefined;
  }
}
