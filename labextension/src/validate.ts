/**
 * Checks of untrusted JSON payloads, shared by the record, panel and evaluation parsers: each
 * names the field and what was found, through the error type its caller chooses.
 */

export type Obj = Record<string, unknown>;

/** Makes the error a check throws. */
export type Fail = (message: string) => Error;

/** How a value reads in a one-line message: `null`, `a list`, `missing`, `a number`. */
export function describe(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'a list';
  }
  if (value === undefined) {
    return 'missing';
  }
  return `a ${typeof value}`;
}

/** The value as a plain object, or the error `fail` makes. */
export function expectObject(value: unknown, where: string, fail: Fail): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(`${where} is ${describe(value)}, expected an object`);
  }
  return value as Obj;
}

/** `obj[key]` as a string, or the error `fail` makes. */
export function expectString(obj: Obj, key: string, where: string, fail: Fail): string {
  const value = obj[key];
  if (typeof value !== 'string') {
    throw fail(`${where} is ${describe(value)}, expected a string`);
  }
  return value;
}

/** The value as a list, or the error `fail` makes. */
export function expectList(value: unknown, where: string, fail: Fail): unknown[] {
  if (!Array.isArray(value)) {
    throw fail(`${where} is ${describe(value)}, expected a list`);
  }
  return value;
}

/** A finite number, or `null` for a missing, `null` or non-finite one. */
export function expectNumber(value: unknown, where: string, fail: Fail): number | null {
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value !== 'number') {
    throw fail(`${where} is ${describe(value)}, expected a number`);
  }
  return Number.isFinite(value) ? value : null;
}

/**
 * Checks bound to one error type and one place in a payload, for parsers with many fields:
 * `at('metrics').at(2).number('value')` names `metrics[2].value` in its message.
 */
export class Checker {
  constructor(
    readonly value: unknown,
    readonly where: string,
    private readonly _fail: Fail
  ) {}

  /** The field `key` (an object's member, or a list's item when `key` is a number). */
  at(key: string | number): Checker {
    const where =
      typeof key === 'number'
        ? `${this.where}[${key}]`
        : this.where === ''
          ? key
          : `${this.where}.${key}`;
    const value = typeof key === 'number' ? this._list()[key] : this._object()[key];
    return new Checker(value, where, this._fail);
  }

  /** This field, which must be an object. */
  object(): this {
    this._object();
    return this;
  }

  /** Whether the value is missing or `null`. */
  get absent(): boolean {
    return this.value === undefined || this.value === null;
  }

  /** The items of a list, each as its own checker. */
  items(): Checker[] {
    return this._list().map((_, i) => this.at(i));
  }

  string(): string {
    if (typeof this.value !== 'string') {
      throw this.fail(`${this._found()}, expected a string`);
    }
    return this.value;
  }

  optString(): string | null {
    return this.absent ? null : this.string();
  }

  /** A finite number, or `null` (missing, `null` and non-finite numbers alike). */
  number(): number | null {
    return expectNumber(this.value, this.where, this._fail);
  }

  /** A finite number that must be there. */
  finite(): number {
    const value = this.number();
    if (value === null) {
      throw this.fail(`${this._found()}, expected a finite number`);
    }
    return value;
  }

  /** A whole number ≥ 0. */
  count(): number {
    const value = this.finite();
    if (!Number.isInteger(value) || value < 0) {
      throw this.fail(
        `${this.where} is ${value}, expected a count (a whole number ≥ 0)`
      );
    }
    return value;
  }

  optBoolean(): boolean | null {
    if (this.absent) {
      return null;
    }
    if (typeof this.value !== 'boolean') {
      throw this.fail(`${this._found()}, expected true or false`);
    }
    return this.value;
  }

  numbers(): Array<number | null> {
    return this.items().map(item => item.number());
  }

  strings(): string[] {
    return this.items().map(item => item.string());
  }

  /** A list of exactly `length` items. */
  sized(length: number, what: string): this {
    const items = this._list();
    if (items.length !== length) {
      throw this.fail(
        `${this.where} has ${items.length} items, expected ${length} (${what})`
      );
    }
    return this;
  }

  /** The error of this field, with `message` as it reads. */
  fail(message: string): Error {
    return this._fail(message);
  }

  private _object(): Obj {
    return expectObject(this.value, this.where || 'payload', this._fail);
  }

  private _list(): unknown[] {
    return expectList(this.value, this.where, this._fail);
  }

  private _found(): string {
    return `${this.where} is ${describe(this.value)}`;
  }
}
