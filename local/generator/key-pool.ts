// A set of integer keys with O(1) add, remove and uniform random pick (swap-remove on a typed
// array), so choosing "an existing key" stays cheap at a million rows.
import type { Rng } from "./prng";

export class KeyPool {
  private readonly keys: Int32Array;
  private readonly pos: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.keys = new Int32Array(capacity + 1);
    this.pos = new Int32Array(capacity + 1).fill(-1);
  }

  has(key: number): boolean {
    return this.pos[key] >= 0;
  }

  add(key: number): void {
    if (this.pos[key] >= 0) return;
    this.pos[key] = this.size;
    this.keys[this.size++] = key;
  }

  remove(key: number): void {
    const at = this.pos[key];
    if (at < 0) return;
    const last = this.keys[--this.size];
    this.keys[at] = last;
    this.pos[last] = at;
    this.pos[key] = -1;
  }

  pick(rng: Rng): number {
    return this.keys[rng.int(this.size)];
  }
}
