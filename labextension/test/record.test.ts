import { describe, expect, test } from 'vitest';

import { parseRecord, RecordError } from '../src/record';

const base = {
  version: 1,
  id: '01ABC',
  stage: 'train',
  name: 'n',
  status: 'ok'
};

describe('parseRecord device', () => {
  test('keeps TensorFlow start-up lines apart from the device description', () => {
    const record = parseRecord({
      ...base,
      device: { strategy: 'default', tensorflow_messages: 'E0000 cuInit (303)' }
    });
    expect(record.tensorflowMessages).toBe('E0000 cuInit (303)');
    expect(record.device).toBe('{"strategy":"default"}');
  });

  test('a device of messages only has no description', () => {
    const record = parseRecord({ ...base, device: { tensorflow_messages: 'x' } });
    expect(record.device).toBeNull();
    expect(record.tensorflowMessages).toBe('x');
  });

  test('no device, or a device given as text, has no messages', () => {
    expect(parseRecord(base).tensorflowMessages).toBeNull();
    expect(parseRecord({ ...base, device: 'cpu' }).device).toBe('cpu');
  });

  test('a malformed field is named', () => {
    expect(() =>
      parseRecord({ ...base, device: { tensorflow_messages: undefined, x: 1 }, id: 3 })
    ).toThrow(RecordError);
  });
});
