/**
 * Widget forms in JupyterLab: the source bridge (a model-only ipywidget that edits and runs
 * notebook cells for the kernel) and the renderer that shows a form, or says how to get it
 * back once the kernel that made it is gone.
 */
import type {
  DOMWidgetView,
  IBackboneModelOptions,
  IWidgetManager
} from '@jupyter-widgets/base';
import { DOMWidgetModel, WidgetModel } from '@jupyter-widgets/base';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { NotebookActions } from '@jupyterlab/notebook';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Panel, Widget } from '@lumino/widgets';

import { el } from './dom';
import type { BridgeRequest, EditStatus } from './formedit';
import {
  FORM_MIME_TYPE,
  PROTOCOL,
  applyEdit,
  parseFormPayload,
  parseRequest
} from './formedit';
import { MODULE_NAME, MODULE_VERSION } from './version';

type Backbone = Parameters<WidgetModel['initialize']>[0];

/** How long a form waits for its widget model before saying "run the cell". */
const MODEL_WAIT_MS = 1500;

/** Widget managers whose kernel has a bridge: where form models can be found. */
const managers = new Set<IWidgetManager>();
let tracker: INotebookTracker | null = null;

/** Let bridges find notebook cells (set once by the plugin). */
export function setTracker(value: INotebookTracker): void {
  tracker = value;
}

interface IFoundCell {
  panel: NotebookPanel;
  index: number;
}

/** The open notebook cell with this id (cell ids are unique within a notebook). */
function findCell(cellId: string): IFoundCell | null {
  let found: IFoundCell | null = null;
  tracker?.forEach(panel => {
    if (found !== null) {
      return;
    }
    const index = panel.content.widgets.findIndex(cell => cell.model.id === cellId);
    if (index >= 0) {
      found = { panel, index };
    }
  });
  return found;
}

/** The kernel's end is `mlwork_jupyter.display.form_bridge.SourceBridge`. */
export class SourceBridgeModel extends WidgetModel {
  override defaults(): Backbone {
    return {
      ...super.defaults(),
      _model_name: 'SourceBridgeModel',
      _model_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION,
      _view_name: null,
      _view_module: null,
      _view_module_version: ''
    };
  }

  override initialize(attributes: Backbone, options: IBackboneModelOptions): void {
    super.initialize(attributes, options);
    managers.add(this.widget_manager);
    this.on('msg:custom', (content: unknown) => {
      this.handle(content);
    });
    this.send({ event: 'ready', protocol: PROTOCOL });
  }

  private handle(content: unknown): void {
    let request: BridgeRequest;
    try {
      request = parseRequest(content);
    } catch (error) {
      console.warn('mlwork: ignored a bridge request:', error);
      return;
    }
    const found = findCell(request.cellId);
    if (request.op === 'edit') {
      const cell = found?.panel.content.widgets[found.index]?.model;
      const status: EditStatus = applyEdit(cell?.sharedModel ?? null, request);
      this.send({ event: 'edit-result', seq: request.seq, status });
      return;
    }
    this.send({
      event: 'run-result',
      seq: request.seq,
      status: found === null ? 'missing' : 'started'
    });
    if (found !== null) {
      const notebook = found.panel.content;
      notebook.activeCellIndex = found.index;
      notebook.deselectAll();
      void NotebookActions.run(notebook, found.panel.sessionContext);
    }
  }
}

/** The id of the notebook cell whose output holds `node`, if an open notebook has it. */
function cellIdHolding(node: HTMLElement): string | null {
  let found: string | null = null;
  tracker?.forEach(panel => {
    const cell = panel.content.widgets.find(w => w.node.contains(node));
    if (cell !== undefined) {
      found = cell.model.id;
    }
  });
  return found;
}

/** Message shown by a form output pasted into another cell. */
const COPY_MESSAGE = "A copy of another cell's form: run this cell to get its own.";

/** A manager holding this model, once one does; null after `MODEL_WAIT_MS`. */
function managerOf(modelId: string): Promise<IWidgetManager | null> {
  return poll(() => [...managers].find(manager => manager.has_model(modelId)) ?? null);
}

/** `get()` once it is not null, checked every 25 ms; null after `MODEL_WAIT_MS`. */
async function poll<T>(get: () => T | null): Promise<T | null> {
  const deadline = performance.now() + MODEL_WAIT_MS;
  for (;;) {
    const value = get();
    if (value !== null || performance.now() > deadline) {
      return value;
    }
    await new Promise(resolve => setTimeout(resolve, 25));
  }
}

/**
 * Shows a form's live widgets; where no kernel holds them any more (the notebook reopened,
 * the kernel restarted), one line saying to run the cell. Text only: the payload is untrusted.
 */
export class RenderedForm extends Panel implements IRenderMime.IRenderer {
  private view: DOMWidgetView | null = null;

  constructor() {
    super();
    this.addClass('mlwork-form-output');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.clear();
    let message = 'Run the cell to show the form.';
    try {
      const payload = parseFormPayload(model.data[FORM_MIME_TYPE]);
      message = payload.message;
      const manager = await managerOf(payload.modelId);
      const holder = await this.holder();
      if (payload.cellId !== null && holder !== null && holder !== payload.cellId) {
        this.showMessage(COPY_MESSAGE);
        return;
      }
      if (manager !== null) {
        const widgetModel = await manager.get_model(payload.modelId);
        if (!(widgetModel instanceof DOMWidgetModel)) {
          throw new Error(`${payload.modelId} is not a widget with a view`);
        }
        const view = await manager.create_view(widgetModel);
        this.clear();
        this.view = view;
        this.addWidget(view.luminoWidget);
        widgetModel.once('destroy', () => {
          this.showMessage(message);
        });
        return;
      }
    } catch (error) {
      console.warn('mlwork: form not shown:', error);
    }
    this.showMessage(message);
  }

  /** The cell this output is in, once attached (null if it is not in an open notebook). */
  private async holder(): Promise<string | null> {
    const attached = await poll(() => (this.isAttached ? true : null));
    return attached === null ? null : cellIdHolding(this.node);
  }

  private showMessage(message: string): void {
    this.clear();
    const line = el('div', 'mlwork-form-static', message);
    const widget = new Widget({ node: line });
    this.addWidget(widget);
  }

  private clear(): void {
    this.view?.remove();
    this.view = null;
    for (const child of [...this.widgets]) {
      child.dispose();
    }
  }

  override dispose(): void {
    this.clear();
    super.dispose();
  }
}

/**
 * Creates form renderers. Rank -20 puts it ahead of the ipywidgets renderer (-10), which
 * would say "model not found" for a form whose kernel is gone.
 */
export const formRendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [FORM_MIME_TYPE],
  defaultRank: -20,
  createRenderer: () => new RenderedForm()
};
