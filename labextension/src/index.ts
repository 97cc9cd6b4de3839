/**
 * JupyterLab MIME renderer extension for mlwork run records.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';

import { RECORD_MIME_TYPE } from './record';
import { RenderedRecord } from './widget';

export { RECORD_MIME_TYPE, RenderedRecord };

/**
 * Creates record renderers. Rank 0 puts it ahead of `text/html` (rank 50): the lower rank wins.
 * `safe`: it writes text only, so it also renders in untrusted notebooks.
 */
export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [RECORD_MIME_TYPE],
  defaultRank: 0,
  createRenderer: options => new RenderedRecord(options)
};

const extension: IRenderMime.IExtension = {
  id: 'mlwork-jupyter:record-renderer',
  description: 'Shows mlwork run records as compact cards.',
  rendererFactory,
  rank: 0,
  dataType: 'json'
};

export default extension;
