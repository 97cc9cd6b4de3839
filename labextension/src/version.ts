/**
 * The widget module's name and version, as the kernel's `SourceBridge` names them
 * (`_model_module`, `_model_module_version`). `scripts/check_versions.py` keeps the version
 * equal to package.json's.
 */
export const MODULE_NAME = 'mlwork-jupyter';
export const MODULE_VERSION = '0.1.0';
