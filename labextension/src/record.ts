/**
 * The compact run record (`application/vnd.mlwork.record.v1+json`), checked at the boundary.
 *
 * Payloads are untrusted: `parseRecord` accepts only the documented shape and throws a
 * `RecordError` naming the first field that does not fit, so the renderer can say why.
 */

import * as Validate from './validate';

/** MIME type of the compact run record, version 1 (see docs/records.md). */
export const RECORD_MIME_TYPE = 'application/vnd.mlwork.record.v1+json';

/** A data set a run read or wrote. */
export interface IDataRef {
  kind: string;
  name: string;
  fingerprint: string | null;
  method: string | null;
  shape: number[] | null;
  size: number | null;
}

/** A file or object the run stored in the artifact store. */
export interface IArtifact {
  name: string;
  digest: string | null;
  size: number | null;
  path: string | null;
}

/** The short environment summary a record carries. */
export interface IEnvironment {
  hash: string | null;
  python: string | null;
  platform: string | null;
  packages: Array<[string, string]>;
  allPackagesCount: number | null;
}

/** A run record, normalised: optional fields are `null` or empty, never absent. */
export interface IRunRecord {
  id: string;
  parent: string | null;
  stage: string;
  name: string;
  status: string;
  started: string | null;
  durationS: number | null;
  notebook: string | null;
  cellId: string | null;
  codeHash: string | null;
  /** SHA-256 hex of the whole cell source that ran, as the notebook held it. */
  codeSha256: string | null;
  error: string | null;
  environment: IEnvironment | null;
  inputs: IDataRef[];
  outputs: IDataRef[];
  params: Array<[string, unknown]>;
  metrics: Array<[string, unknown]>;
  artifacts: IArtifact[];
  device: string | null;
  /** What TensorFlow printed while our code first imported it (kept, not shown). */
  tensorflowMessages: string | null;
  warnings: string[];
}

/** Raised when a payload does not have the shape of a version 1 record. */
export class RecordError extends Error {
  override name = 'RecordError';
}

/**
 * Check a payload and return it as a normalised record.
 *
 * @throws RecordError naming the first field that does not fit.
 */
export function parseRecord(payload: unknown): IRunRecord {
  const obj = Private.object(payload, 'record');
  if (obj.version !== 1) {
    throw new RecordError(
      `version is ${Private.describe(obj.version)}, this renderer reads version 1`
    );
  }
  return {
    id: Private.str(obj, 'id'),
    parent: Private.optStr(obj, 'parent'),
    stage: Private.str(obj, 'stage'),
    name: Private.str(obj, 'name'),
    status: Private.str(obj, 'status'),
    started: Private.optStr(obj, 'started'),
    durationS: Private.optNum(obj, 'duration_s'),
    notebook: Private.optStr(obj, 'notebook'),
    cellId: Private.optStr(obj, 'cell_id'),
    codeHash: Private.optStr(obj, 'code_hash'),
    codeSha256: Private.optStr(obj, 'code_sha256'),
    error: Private.optText(obj, 'error'),
    environment: Private.environment(obj.environment),
    inputs: Private.list(obj, 'inputs', Private.dataRef),
    outputs: Private.list(obj, 'outputs', Private.dataRef),
    params: Private.mapping(obj, 'params'),
    metrics: Private.mapping(obj, 'metrics'),
    artifacts: Private.list(obj, 'artifacts', Private.artifact),
    ...Private.device(obj),
    warnings: Private.list(obj, 'warnings', (value, where) =>
      Private.text(value, where)
    )
  };
}

namespace Private {
  type Obj = Validate.Obj;
  const fail = (message: string): Error => new RecordError(message);

  export const describe = Validate.describe;

  export function object(value: unknown, where: string): Obj {
    return Validate.expectObject(value, where, fail);
  }

  export function str(obj: Obj, key: string, where = key): string {
    return Validate.expectString(obj, key, where, fail);
  }

  export function optStr(obj: Obj, key: string, where = key): string | null {
    const value = obj[key];
    if (value === undefined || value === null) {
      return null;
    }
    if (typeof value !== 'string') {
      throw new RecordError(`${where} is ${describe(value)}, expected a string`);
    }
    return value;
  }

  export function optNum(obj: Obj, key: string, where = key): number | null {
    const value = obj[key];
    if (value === undefined || value === null) {
      return null;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new RecordError(`${where} is ${describe(value)}, expected a number`);
    }
    return value;
  }

  /** Text a producer may send as a string or as a small object (e.g. an error summary). */
  export function text(value: unknown, where: string): string {
    if (typeof value === 'string') {
      return value;
    }
    if (typeof value === 'number' || typeof value === 'boolean') {
      return String(value);
    }
    if (typeof value === 'object' && value !== null) {
      return JSON.stringify(value);
    }
    throw new RecordError(`${where} is ${describe(value)}, expected text`);
  }

  /** The device section, with TensorFlow's start-up lines apart from the rest. */
  export function device(obj: Obj): {
    device: string | null;
    tensorflowMessages: string | null;
  } {
    const value = obj.device;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { device: optText(obj, 'device'), tensorflowMessages: null };
    }
    const { tensorflow_messages: messages, ...rest } = value as Obj;
    return {
      device: Object.keys(rest).length > 0 ? text(rest, 'device') : null,
      tensorflowMessages:
        messages === undefined || messages === null
          ? null
          : text(messages, 'device.tensorflow_messages')
    };
  }

  export function optText(obj: Obj, key: string): string | null {
    const value = obj[key];
    return value === undefined || value === null ? null : text(value, key);
  }

  export function list<T>(
    obj: Obj,
    key: string,
    item: (value: unknown, where: string) => T
  ): T[] {
    const value = obj[key];
    if (value === undefined || value === null) {
      return [];
    }
    if (!Array.isArray(value)) {
      throw new RecordError(`${key} is ${describe(value)}, expected a list`);
    }
    return value.map((entry, i) => item(entry, `${key}[${i}]`));
  }

  export function mapping(obj: Obj, key: string): Array<[string, unknown]> {
    const value = obj[key];
    if (value === undefined || value === null) {
      return [];
    }
    return Object.entries(object(value, key));
  }

  function shape(value: unknown, where: string): number[] | null {
    if (value === undefined || value === null) {
      return null;
    }
    if (!Array.isArray(value) || !value.every(d => typeof d === 'number')) {
      throw new RecordError(
        `${where} is ${describe(value)}, expected a list of numbers`
      );
    }
    return value;
  }

  export function dataRef(value: unknown, where: string): IDataRef {
    const obj = object(value, where);
    return {
      kind: str(obj, 'kind', `${where}.kind`),
      name: str(obj, 'name', `${where}.name`),
      fingerprint: optStr(obj, 'fingerprint', `${where}.fingerprint`),
      method: optStr(obj, 'method', `${where}.method`),
      shape: shape(obj.shape, `${where}.shape`),
      size: optNum(obj, 'size', `${where}.size`)
    };
  }

  export function artifact(value: unknown, where: string): IArtifact {
    const obj = object(value, where);
    return {
      name: str(obj, 'name', `${where}.name`),
      digest: optStr(obj, 'digest', `${where}.digest`),
      size: optNum(obj, 'size', `${where}.size`),
      path: optStr(obj, 'path', `${where}.path`)
    };
  }

  export function environment(value: unknown): IEnvironment | null {
    if (value === undefined || value === null) {
      return null;
    }
    const obj = object(value, 'environment');
    const packages = mapping(obj, 'packages').map(
      ([name, version]): [string, string] => [
        name,
        text(version, `environment.packages.${name}`)
      ]
    );
    const all = obj.all_packages;
    return {
      hash: optStr(obj, 'hash', 'environment.hash'),
      python: optStr(obj, 'python', 'environment.python'),
      platform: optStr(obj, 'platform', 'environment.platform'),
      packages,
      allPackagesCount:
        typeof all === 'object' && all !== null && !Array.isArray(all)
          ? Object.keys(all).length
          : null
    };
  }
}
