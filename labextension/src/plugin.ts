/**
 * The JupyterLab plugin of widget forms: registers the source bridge with the widget
 * manager and the form renderer with the notebooks' renderers.
 */
import type { IWidgetRegistryData } from '@jupyter-widgets/base';
import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';

import { SourceBridgeModel, formRendererFactory, setTracker } from './forms';
import { MODULE_NAME, MODULE_VERSION } from './version';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'mlwork-jupyter:forms',
  description:
    'Lets mlwork widget forms edit and run their own cell, and shows them after reopening.',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry, IJupyterWidgetRegistry],
  activate: (
    _app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    rendermime: IRenderMimeRegistry,
    widgets: IJupyterWidgetRegistry
  ): void => {
    setTracker(notebooks);
    rendermime.addFactory(formRendererFactory, formRendererFactory.defaultRank);
    const data: IWidgetRegistryData = {
      name: MODULE_NAME,
      version: MODULE_VERSION,
      exports: { SourceBridgeModel }
    };
    widgets.registerWidget(data);
  }
};

export default plugin;
