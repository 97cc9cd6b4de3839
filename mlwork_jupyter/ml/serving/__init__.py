"""The deploy stage's exports and servers.

Versioned exports (`export_model`), TFLite variants (`quantize`), model cards (`model_card`),
a local server speaking TensorFlow Serving's and MLflow's REST protocols (`start_server`),
Kubernetes manifests (`kubernetes_manifests`), and `deploy`, which does the lot. Nothing
here imports TensorFlow, skops or tornado until a function needs it.
"""

from __future__ import annotations

from mlwork_jupyter.ml.serving.card import model_card
from mlwork_jupyter.ml.serving.card_text import card_markdown
from mlwork_jupyter.ml.serving.deployment import Deployment, deploy, serve
from mlwork_jupyter.ml.serving.export import export_model
from mlwork_jupyter.ml.serving.layout import DeployError, Export, load_export, versions
from mlwork_jupyter.ml.serving.manifests import kubernetes_manifests, write_manifests
from mlwork_jupyter.ml.serving.quantize import Variant, quantize
from mlwork_jupyter.ml.serving.request_log import read_requests
from mlwork_jupyter.ml.serving.server import Server, default_log_dir, start_server

__all__ = [
    "DeployError",
    "Deployment",
    "Export",
    "Server",
    "Variant",
    "card_markdown",
    "default_log_dir",
    "deploy",
    "export_model",
    "kubernetes_manifests",
    "load_export",
    "model_card",
    "quantize",
    "read_requests",
    "serve",
    "start_server",
    "versions",
    "write_manifests",
]
