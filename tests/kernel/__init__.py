"""Kernel tier: real Jupyter kernels through jupyter_client and nbclient."""
