/**
 * Canvas colours, read from the theme's CSS variables (a canvas cannot use CSS variables
 * itself): JupyterLab's for ink and grid, ours (`--mlwork-class-N`, set per theme in
 * panel.css) for the lines of one chart per class.
 */

export interface IColors {
  ink: string;
  grid: string;
  font: string;
  /** Training lines: brand, warning, success, error, accent. */
  palette: string[];
  /** One colour per class or line of an evaluation chart, ten in all. */
  classes: string[];
}

export const CLASS_COLORS = 10;

const CLASS_FALLBACK = [
  '#1976d2',
  '#f57c00',
  '#388e3c',
  '#d32f2f',
  '#7b1fa2',
  '#0097a7',
  '#c2185b',
  '#5d4037',
  '#303f9f',
  '#afb42b'
];

export function readColors(node: HTMLElement): IColors {
  const style = getComputedStyle(node);
  const read = (name: string, fallback: string) =>
    style.getPropertyValue(name).trim() || fallback;
  return {
    ink: read('--jp-ui-font-color2', '#616161'),
    grid: read('--jp-border-color2', '#e0e0e0'),
    font: read('--jp-ui-font-family', 'sans-serif'),
    palette: [
      read('--jp-brand-color1', '#1976d2'),
      read('--jp-warn-color1', '#f57c00'),
      read('--jp-success-color1', '#388e3c'),
      read('--jp-error-color1', '#d32f2f'),
      read('--jp-accent-color1', '#00897b')
    ],
    classes: CLASS_FALLBACK.map((fallback, i) => read(`--mlwork-class-${i}`, fallback))
  };
}
