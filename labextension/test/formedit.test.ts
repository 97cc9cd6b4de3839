import { describe, expect, test } from 'vitest';

import type { IEditRequest, IEditableSource } from '../src/formedit';
import {
  FormProtocolError,
  applyEdit,
  parseFormPayload,
  parseRequest
} from '../src/formedit';

/** A cell source with `updateSource` as @jupyter/ydoc implements it (insert, then delete). */
class Source implements IEditableSource {
  constructor(public text: string) {}
  getSource(): string {
    return this.text;
  }
  updateSource(start: number, end: number, value: string): void {
    this.text = this.text.slice(0, start) + value + this.text.slice(end);
  }
}

const SOURCE = '%%mlwork train --form\n# 😀\nepochs = 3  # @param {type:"integer"}\n';

function edit(changes: Record<string, unknown> = {}): Record<string, unknown> {
  const start = SOURCE.indexOf('3  #');
  return {
    op: 'edit',
    seq: 1,
    cell_id: 'c1',
    expected: SOURCE,
    start,
    end: start + 1,
    text: '30',
    ...changes
  };
}

function editRequest(): IEditRequest {
  const request = parseRequest(edit());
  if (request.op !== 'edit') {
    throw new Error('expected an edit');
  }
  return request;
}

describe('parseRequest', () => {
  test('reads an edit and a run', () => {
    const request = parseRequest(edit());
    expect(request).toMatchObject({ op: 'edit', seq: 1, cellId: 'c1', text: '30' });
    expect(parseRequest({ op: 'run', seq: 2, cell_id: 'c1' })).toEqual({
      op: 'run',
      seq: 2,
      cellId: 'c1'
    });
  });

  test.each([
    [{ op: 'drop' }, 'request.op is "drop"'],
    [{ seq: -1 }, 'request.seq is a number, expected an integer >= 0'],
    [{ cell_id: 3 }, 'request.cell_id is a number, expected a string'],
    [{ start: 5, end: 4 }, 'request span [5, 4) is outside the source'],
    [{ end: 10_000 }, 'is outside the source'],
    [{ text: null }, 'request.text is null, expected a string']
  ])('names what is wrong: %j', (changes, message) => {
    expect(() => parseRequest(edit(changes))).toThrow(FormProtocolError);
    expect(() => parseRequest(edit(changes))).toThrow(message);
  });

  test('a non-object is refused', () => {
    expect(() => parseRequest('edit')).toThrow('request is a string');
  });
});

describe('applyEdit', () => {
  test('changes only the span, counting UTF-16 code units as JavaScript does', () => {
    const cell = new Source(SOURCE);
    expect(applyEdit(cell, editRequest())).toBe('applied');
    expect(cell.text).toBe(SOURCE.replace('epochs = 3', 'epochs = 30'));
  });

  test('a cell edited since the kernel saw it is left alone', () => {
    const cell = new Source(SOURCE + '# by hand\n');
    expect(applyEdit(cell, editRequest())).toBe('conflict');
    expect(cell.text).toBe(SOURCE + '# by hand\n');
  });

  test('a cell that is gone is missing', () => {
    expect(applyEdit(null, editRequest())).toBe('missing');
  });
});

describe('parseFormPayload', () => {
  test('reads the model id, the message and the cell', () => {
    expect(
      parseFormPayload({ version: 1, model_id: 'abc', message: 'run it' })
    ).toEqual({ modelId: 'abc', message: 'run it', cellId: null });
    expect(
      parseFormPayload({
        version: 1,
        model_id: 'abc',
        message: '',
        cell_id: 'c1'
      }).cellId
    ).toBe('c1');
    expect(() =>
      parseFormPayload({ version: 1, model_id: 'a', message: '', cell_id: 3 })
    ).toThrow('form.cell_id is a number');
  });

  test('refuses another version', () => {
    expect(() =>
      parseFormPayload({ version: 2, model_id: 'abc', message: '' })
    ).toThrow('form.version is 2, expected 1');
  });
});
