/**
 * The widget that renders one `application/vnd.mlwork.record.v1+json` output.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { SECTION_ATTRIBUTE, renderCard, renderProblem } from './card';
import { parseRecord } from './record';

/** Renders a run record as a compact card; a payload it cannot read becomes a one-line note. */
export class RenderedRecord extends Widget implements IRenderMime.IRenderer {
  constructor(options: RenderedRecord.IOptions) {
    super();
    this._mimeType = options.mimeType;
    this.addClass('mlwork-RenderedRecord');
  }

  /** Render the record; never throws, whatever the payload. */
  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    let content: HTMLElement;
    try {
      content = renderCard(parseRecord(model.data[this._mimeType]));
      Private.restoreOpen(content, Private.openSections(this.node));
    } catch (reason) {
      content = renderProblem(reason);
    }
    this.node.replaceChildren(content);
    return Promise.resolve();
  }

  override dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.node.replaceChildren();
    super.dispose();
  }

  private readonly _mimeType: string;
}

/** The statics for `RenderedRecord`. */
export namespace RenderedRecord {
  /** Options of the renderer, as the rendermime registry passes them. */
  export type IOptions = IRenderMime.IRendererOptions;
}

namespace Private {
  function details(root: HTMLElement): HTMLDetailsElement[] {
    return Array.from(
      root.querySelectorAll<HTMLDetailsElement>(`details[${SECTION_ATTRIBUTE}]`)
    );
  }

  /** Sections the user opened or closed, so an update of a running record keeps them so. */
  export function openSections(root: HTMLElement): Map<string, boolean> {
    const state = new Map<string, boolean>();
    for (const node of details(root)) {
      state.set(node.getAttribute(SECTION_ATTRIBUTE) ?? '', node.open);
    }
    return state;
  }

  export function restoreOpen(root: HTMLElement, state: Map<string, boolean>): void {
    for (const node of details(root)) {
      const open = state.get(node.getAttribute(SECTION_ATTRIBUTE) ?? '');
      if (open !== undefined) {
        node.open = open;
      }
    }
  }
}
