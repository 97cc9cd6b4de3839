"""Saving `.keras` artifacts: Keras' skipset cache is made to hit, and models load back."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from mlwork_jupyter.ml.keras_saving import save_model, warm_skipset_cache

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.tensorflow
keras = pytest.importorskip("keras")


def _trained() -> object:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    model.fit(x, np.arange(32) % 2, epochs=1, verbose=0)
    return model


def test_second_save_builds_no_reference_objects(tmp_path: Path, monkeypatch) -> None:
    from keras.src.optimizers.optimizer import Optimizer

    model = _trained()
    save_model(model, str(tmp_path / "a.keras"))
    assert warm_skipset_cache() == 0  # already warm
    made: list[object] = []
    original = Optimizer.__init__

    def counting(self, *args, **kwargs):
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Optimizer, "__init__", counting)
    save_model(model, str(tmp_path / "b.keras"))
    assert made == []  # Keras found its cached skipset instead of building a reference Optimizer


def test_saved_model_loads_with_the_same_weights(tmp_path: Path) -> None:
    model = _trained()
    save_model(model, str(tmp_path / "a.keras"))
    save_model(model, str(tmp_path / "b.keras"))  # with the warmed cache
    loaded = keras.models.load_model(tmp_path / "b.keras")
    for mine, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert type(loaded.optimizer).__name__ == "Adam"
