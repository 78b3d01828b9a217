/** A bounded "seen recently" set: two generations swapped at capacity, so memory stays flat. */
export class RecentSet {
  #young = new Set<string>();
  #old = new Set<string>();
  constructor(private readonly capacity: number) {}

  has(key: string): boolean {
    return this.#young.has(key) || this.#old.has(key);
  }

  /** Adds the key; returns false if it was already seen recently. */
  add(key: string): boolean {
    if (this.#young.has(key) || this.#old.has(key)) return false;
    if (this.#young.size >= this.capacity) {
      this.#old = this.#young;
      this.#young = new Set();
    }
    this.#young.add(key);
    return true;
  }
}
