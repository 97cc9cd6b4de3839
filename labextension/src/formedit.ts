/**
 * The source bridge's pure half: read the kernel's requests and apply an edit to a cell's
 * source only if the cell still holds what the kernel saw. Protocol: `form_bridge.py`.
 */
import type { Obj } from './validate';
import { describe, expectObject, expectString } from './validate';

/** Version of the bridge protocol, sent in the `ready` event. */
export const PROTOCOL = 1;

/** MIME type of a form's payload (`mlwork_jupyter/display/form.py`). */
export const FORM_MIME_TYPE = 'application/vnd.mlwork.form.v1+json';

/** A malformed request or payload, in one line. */
export class FormProtocolError extends Error {}

const fail = (message: string): Error => new FormProtocolError(message);

function expectInt(obj: Obj, key: string, where: string): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw fail(`${where}.${key} is ${describe(value)}, expected an integer >= 0`);
  }
  return value;
}

/** Replace `[start, end)` of the cell's source with `text`. */
export interface IEditRequest {
  op: 'edit';
  seq: number;
  cellId: string;
  expected: string;
  start: number;
  end: number;
  text: string;
}

/** Run the cell. */
export interface IRunRequest {
  op: 'run';
  seq: number;
  cellId: string;
}

export type BridgeRequest = IEditRequest | IRunRequest;

/** Read a kernel request; throws `FormProtocolError` naming the bad field. */
export function parseRequest(content: unknown): BridgeRequest {
  const obj = expectObject(content, 'request', fail);
  const op = expectString(obj, 'op', 'request.op', fail);
  const seq = expectInt(obj, 'seq', 'request');
  const cellId = expectString(obj, 'cell_id', 'request.cell_id', fail);
  if (op === 'run') {
    return { op, seq, cellId };
  }
  if (op !== 'edit') {
    throw fail(`request.op is ${JSON.stringify(op)}, expected "edit" or "run"`);
  }
  const expected = expectString(obj, 'expected', 'request.expected', fail);
  const start = expectInt(obj, 'start', 'request');
  const end = expectInt(obj, 'end', 'request');
  const text = expectString(obj, 'text', 'request.text', fail);
  if (end < start || end > expected.length) {
    throw fail(
      `request span [${start}, ${end}) is outside the source (${expected.length} code units)`
    );
  }
  return { op, seq, cellId, expected, start, end, text };
}

/** What an edit needs of a cell's shared model. */
export interface IEditableSource {
  getSource(): string;
  updateSource(start: number, end: number, value: string): void;
}

export type EditStatus = 'applied' | 'conflict' | 'missing';

/**
 * Apply an edit if the source is still `expected`; change nothing otherwise.
 *
 * `updateSource` replaces only the span, so the undo history, other users' cursors and the
 * rest of the text are left alone.
 */
export function applyEdit(
  cell: IEditableSource | null,
  request: IEditRequest
): EditStatus {
  if (cell === null) {
    return 'missing';
  }
  if (cell.getSource() !== request.expected) {
    return 'conflict';
  }
  cell.updateSource(request.start, request.end, request.text);
  return 'applied';
}

/** A form's payload: the widget model to show and the words for when it is gone. */
export interface IFormPayload {
  modelId: string;
  message: string;
  /** The cell whose source the form edits; null where the front end sent no cell id. */
  cellId: string | null;
}

/** Read a form payload; throws `FormProtocolError` naming the bad field. */
export function parseFormPayload(data: unknown): IFormPayload {
  const obj = expectObject(data, 'form', fail);
  if (obj.version !== 1) {
    throw fail(`form.version is ${JSON.stringify(obj.version)}, expected 1`);
  }
  const cellId = obj.cell_id ?? null;
  if (cellId !== null && typeof cellId !== 'string') {
    throw fail(`form.cell_id is ${describe(cellId)}, expected a string or null`);
  }
  return {
    modelId: expectString(obj, 'model_id', 'form.model_id', fail),
    message: expectString(obj, 'message', 'form.message', fail),
    cellId
  };
}
