"""Adapters to ML libraries; TensorFlow is imported only inside the functions that need it."""
