// Unit tests of the labextension's pure logic (payload parsing, series merging); the DOM and
// the charts are tested in a real JupyterLab by tests/browser.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['labextension/test/**/*.test.ts'],
    environment: 'node'
  }
});
