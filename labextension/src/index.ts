/**
 * JupyterLab MIME renderer extension for mlwork run records and live panels.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';

import { PANEL_MIME_TYPE } from './panel';
import { RenderedPanel } from './panelwidget';
import { RECORD_MIME_TYPE } from './record';
import { RenderedRecord } from './widget';

export { PANEL_MIME_TYPE, RECORD_MIME_TYPE, RenderedPanel, RenderedRecord };

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

/** Creates live panel renderers; like records, ahead of `text/html` and safe. */
export const panelRendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [PANEL_MIME_TYPE],
  defaultRank: 0,
  createRenderer: options => new RenderedPanel(options)
};

const extensions: IRenderMime.IExtension[] = [
  {
    id: 'mlwork-jupyter:record-renderer',
    description: 'Shows mlwork run records as compact cards.',
    rendererFactory,
    rank: 0,
    dataType: 'json'
  },
  {
    id: 'mlwork-jupyter:panel-renderer',
    description: 'Shows mlwork live panels as interactive charts that update in place.',
    rendererFactory: panelRendererFactory,
    rank: 0,
    dataType: 'json'
  }
];

export default extensions;
