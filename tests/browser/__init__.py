"""Browser tier: JupyterLab in Debian's Chromium."""
