"""Records, store, environment, fingerprints, secrets, file audit: no IPython, no TensorFlow."""
