/**
 * Checks of untrusted JSON payloads, shared by the record and panel parsers: each names the
 * field and what was found, through the error type its caller chooses.
 */

export type Obj = Record<string, unknown>;

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
export function expectObject(
  value: unknown,
  where: string,
  fail: (message: string) => Error
): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(`${where} is ${describe(value)}, expected an object`);
  }
  return value as Obj;
}

/** `obj[key]` as a string, or the error `fail` makes. */
export function expectString(
  obj: Obj,
  key: string,
  where: string,
  fail: (message: string) => Error
): string {
  const value = obj[key];
  if (typeof value !== 'string') {
    throw fail(`${where} is ${describe(value)}, expected a string`);
  }
  return value;
}
