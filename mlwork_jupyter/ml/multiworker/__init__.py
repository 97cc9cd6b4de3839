"""Training on several TensorFlow workers: TF_CONFIG clusters, shipping a cell, worker processes.

`cluster` plans the workers (ports, GPUs, each ``TF_CONFIG``), `shipping` packs the cell and
the values it reads, `job` starts and watches the workers from the kernel, and `worker` is the
process each one runs (``python -m mlwork_jupyter.ml.multiworker.worker JOB_DIR``).
"""

from __future__ import annotations

__all__: list[str] = []
