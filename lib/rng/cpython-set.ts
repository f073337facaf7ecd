/**
 * The hash-table layout, and so the iteration order, of CPython `set` objects
 * holding non-negative integers (`hash(i) == i` for i < 2^61 - 1), following
 * Objects/setobject.c. `list(set(a) - set(b))` fed the CIFAR-10.1 v6 draws, so
 * replaying that release needs the order of the CPython that ran it (3.6).
 *
 * The two rules differ only where the sources do:
 * - growth: 3.6 resizes once `fill*3 >= mask*2`, later CPython (3.11 here) once
 *   `fill*5 >= mask*3`, both to the smallest power of two above
 *   `used*4` (`used*2` past 50,000 entries); `set_merge` presizes an empty
 *   copy to the smallest power of two above `used*2` under the same ratios;
 * - re-using a deleted slot: 3.6 takes the first dummy on the probe path,
 *   3.11 the last one.
 */

export type SetRule = '3.6' | '3.11';

const MIN_SIZE = 8;
const LINEAR_PROBES = 9;
const PERTURB_DIVISOR = 32; // perturb >>= PERTURB_SHIFT (5)
const EMPTY = -1;
const DUMMY = -2;

export class PySet {
  private table = new Float64Array(MIN_SIZE).fill(EMPTY);
  private fill = 0;
  private used = 0;

  constructor(readonly rule: SetRule) {}

  /** `set(list)`: the elements added one by one, in list order. */
  static fromList(items: Iterable<number>, rule: SetRule): PySet {
    const set = new PySet(rule);
    for (const item of items) set.add(item);
    return set;
  }

  get size(): number {
    return this.used;
  }

  has(key: number): boolean {
    return this.find(checkKey(key)) >= 0;
  }

  /** `set.add` (`set_add_entry`), growing the table as the rule says. */
  add(key: number): void {
    const found = this.find(checkKey(key));
    if (found >= 0) return;
    const slot = ~found;
    const wasDummy = this.table[slot] === DUMMY;
    this.table[slot] = key;
    this.used++;
    if (wasDummy) return;
    this.fill++;
    if (this.overfull(this.fill)) this.resize(this.used > 50000 ? this.used * 2 : this.used * 4);
  }

  /** `set.discard`: the slot becomes a dummy, the table is not rebuilt. */
  discard(key: number): boolean {
    const slot = this.find(checkKey(key));
    if (slot < 0) return false;
    this.table[slot] = DUMMY;
    this.used--;
    return true;
  }

  /** The elements in iteration (table) order, as `list(s)`. */
  toArray(): number[] {
    const out: number[] = [];
    for (const v of this.table) if (v >= 0) out.push(v);
    return out;
  }

  /** `set.copy()`: `set_merge` into a fresh set. */
  copy(): PySet {
    const out = new PySet(this.rule);
    if (this.used === 0) return out;
    if (out.overfull(this.used)) out.resize(this.used * 2);
    if (out.table.length === this.table.length && this.fill === this.used) {
      out.table = this.table.slice(); // same size and no dummies: a verbatim table copy
    } else {
      for (const v of this.table) if (v >= 0) out.insertClean(v);
    }
    out.fill = out.used = this.used;
    return out;
  }

  /** `self - other` (`set_difference`). */
  difference(other: PySet): PySet {
    if (this.used >> 2 > other.used) {
      // Copy, then discard other's elements (in other's order): the copy's
      // layout survives, with dummies where elements left. CPython would then
      // rebuild if over a quarter of the slots were dummies, which cannot
      // happen here: the copy has mask >= 2*used and fewer than used/4 go.
      const result = this.copy();
      for (const v of other.table) if (v >= 0) result.discard(v);
      return result;
    }
    const result = new PySet(this.rule);
    for (const v of this.table) if (v >= 0 && !other.has(v)) result.add(v);
    return result;
  }

  /** Whether a table with `fill` used-or-dummy slots must grow (checked after an insertion). */
  private overfull(fill: number): boolean {
    const mask = this.table.length - 1;
    return this.rule === '3.6' ? fill * 3 >= mask * 2 : fill * 5 >= mask * 3;
  }

  /**
   * The probe sequence shared by lookup and insertion: slot i, then the next
   * LINEAR_PROBES slots if they fit before the table end, then
   * `i = (i*5 + 1 + perturb) & mask` with `perturb >>= 5`. Returns the slot
   * holding `key`, or `~slot` for where to insert it (a dummy passed on the
   * way, per the rule, else the first empty slot).
   */
  private find(key: number): number {
    const table = this.table;
    const size = table.length;
    const firstDummyWins = this.rule === '3.6';
    let i = key % size;
    let perturb = key;
    let free = -1;
    for (;;) {
      const last = i + LINEAR_PROBES <= size - 1 ? i + LINEAR_PROBES : i;
      for (let j = i; j <= last; j++) {
        const v = table[j];
        if (v === EMPTY) return ~(free >= 0 ? free : j);
        if (v === key) return j;
        if (v === DUMMY && (free < 0 || !firstDummyWins)) free = j;
      }
      perturb = Math.floor(perturb / PERTURB_DIVISOR);
      // (i*5 + 1 + perturb) mod size, kept exact in doubles for keys up to 2^53.
      i = (i * 5 + 1 + (perturb % size)) % size;
    }
  }

  /** `set_insert_clean`: place a key known to be absent in a table without dummies. */
  private insertClean(key: number): void {
    this.table[~this.find(key)] = key;
  }

  /** `set_table_resize`: a table of the smallest power of two above `minused`, entries re-inserted in old table order. */
  private resize(minused: number): void {
    let size = MIN_SIZE;
    while (size <= minused) size *= 2;
    if (size === MIN_SIZE && this.table.length === MIN_SIZE && this.fill === this.used) return;
    const old = this.table;
    this.table = new Float64Array(size).fill(EMPTY);
    for (const v of old) if (v >= 0) this.insertClean(v);
    this.fill = this.used;
  }
}

function checkKey(key: number): number {
  if (!Number.isSafeInteger(key) || key < 0) throw new RangeError(`PySet holds non-negative safe integers, got ${key}`);
  return key;
}
