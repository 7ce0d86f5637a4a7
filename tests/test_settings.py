"""The method's settings: one frozen, validated object with the library's defaults and the paper's as presets."""

import dataclasses

import numpy as np
import pytest

import csc_core
from csc_core.settings import DEFAULTS, FIELDS, MASKS, PAPER, PRESETS, TRAINING_FIELDS, Settings, preset_name, resolve

#: Per field: values that must be refused, with the error each raises; every message names the field.
BAD_VALUES = {
    "n_genes": [
        (0, ValueError),
        (-5, ValueError),
        (1.5, TypeError),
        (True, TypeError),
        ("1500", TypeError),
        (None, TypeError),
    ],
    "n_models": [(0, ValueError), (2.0, TypeError), (np.bool_(True), TypeError)],
    "hidden": [
        ((), TypeError),
        ("64-32", TypeError),
        (64, TypeError),
        ((64, 0), ValueError),
        ((64, 2.5), TypeError),
        ([32, -1], ValueError),
    ],
    "epochs": [(0, ValueError), (1.0, TypeError)],
    "min_steps": [(-1, ValueError), (0.5, TypeError)],
    "batch_size": [(1, ValueError), (0, ValueError), ("128", TypeError)],
    "lr": [
        (0.0, ValueError),
        (-1e-3, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        ("0.01", TypeError),
        (True, TypeError),
    ],
    "lr_decay": [(-0.1, ValueError), (1.5, ValueError), (float("nan"), ValueError), ("0.3", TypeError)],
    "keep": [(0.0, ValueError), (1.5, ValueError), (-0.2, ValueError), (float("nan"), ValueError), ("0.2", TypeError)],
    "temperature": [
        (0.0, ValueError),
        (-0.07, ValueError),
        (1e-9, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        ("0.07", ValueError),
    ],
    "mask": [("gene", ValueError), ("", ValueError), (None, ValueError)],
    "n_neighbors": [(1, ValueError), (0, ValueError), (10.0, TypeError)],
    "resolution": [
        ("high", ValueError),
        ("Auto", ValueError),
        (0.0, ValueError),
        (-1.0, ValueError),
        (float("nan"), ValueError),
        (True, TypeError),
        (None, TypeError),
    ],
}


def test_every_field_has_its_bad_values():
    assert set(BAD_VALUES) == set(FIELDS)


@pytest.mark.parametrize("name, value, error", [(n, v, e) for n, cases in BAD_VALUES.items() for v, e in cases])
def test_a_bad_value_raises_naming_the_field(name, value, error):
    with pytest.raises(error, match=rf"^{name}\b"):
        Settings(**{name: value})
    if value is not None:  # to replace(), None means "keep the value"
        with pytest.raises(error, match=rf"^{name}\b"):  # replace() checks the same way
            DEFAULTS.replace(**{name: value})


def test_good_edge_values_are_accepted():
    s = Settings(
        n_genes=1,
        n_models=1,
        hidden=(1,),
        epochs=1,
        min_steps=0,
        batch_size=2,
        lr=1e-9,
        keep=1.0,
        temperature=1e-4,
        mask="cell",
        n_neighbors=2,
        resolution=1e-3,
    )
    assert s.keep == 1.0 and s.hidden == (1,) and s.resolution == 1e-3
    assert Settings(resolution="auto").resolution == "auto" and Settings(resolution=2).resolution == 2.0


def test_numpy_scalars_are_accepted_and_stored_as_python_numbers():
    s = Settings(
        n_genes=np.int64(200),
        n_models=np.int32(2),
        hidden=[np.int64(16), np.uint8(8)],
        epochs=np.int16(3),
        min_steps=np.int64(0),
        batch_size=np.int64(64),
        lr=np.float32(0.5),
        keep=np.float64(0.25),
        temperature=np.float32(0.5),
        n_neighbors=np.int64(15),
        resolution=np.float64(0.5),
    )
    for name in ("n_genes", "n_models", "epochs", "min_steps", "batch_size", "n_neighbors"):
        assert type(getattr(s, name)) is int, name
    for name in ("lr", "keep", "temperature", "resolution"):
        assert type(getattr(s, name)) is float, name
    assert s.hidden == (16, 8) and type(s.hidden) is tuple and all(type(h) is int for h in s.hidden)
    assert s.n_genes == 200 and s.lr == 0.5 and s.keep == 0.25
    assert type(DEFAULTS.replace(epochs=np.int64(4)).epochs) is int


def test_replace_applies_overrides_and_none_keeps_a_value():
    s = DEFAULTS.replace(epochs=3, lr=None, hidden=[8, 4])
    assert s.epochs == 3 and s.lr == DEFAULTS.lr and s.hidden == (8, 4)
    assert all(getattr(s, f) == getattr(DEFAULTS, f) for f in FIELDS if f not in ("epochs", "hidden"))
    assert DEFAULTS.replace(**{f: None for f in FIELDS}) == DEFAULTS
    assert DEFAULTS.epochs == 10  # the preset itself is unchanged
    assert PAPER.replace(resolution=None).resolution == 1.0


def test_an_unknown_name_is_a_key_error_listing_the_known_ones():
    with pytest.raises(KeyError, match="epoch") as err:
        DEFAULTS.replace(epoch=3)
    assert "n_neighbors" in str(err.value)
    with pytest.raises(KeyError, match="device"):
        resolve("default", device="cpu")


def test_the_defaults_are_settings_made_without_arguments():
    assert DEFAULTS == Settings() and csc_core.DEFAULTS is DEFAULTS and csc_core.Settings is Settings
    assert DEFAULTS.asdict() == {
        "n_genes": 1500,
        "n_models": 3,
        "hidden": [64, 32],
        "epochs": 10,
        "min_steps": 500,
        "batch_size": 128,
        "lr": 1e-2,
        "lr_decay": 0.3,
        "keep": 0.2,
        "temperature": 0.07,
        "mask": "batch",
        "n_neighbors": 30,
        "resolution": "auto",
    }


def test_the_papers_settings():
    assert csc_core.PAPER is PAPER and PRESETS == {"default": DEFAULTS, "paper": PAPER}
    assert PAPER.asdict() == {
        "n_genes": 1500,
        "n_models": 3,
        "hidden": [256, 64, 32],
        "epochs": 100,
        "min_steps": 0,
        "batch_size": 300,
        "lr": 1e-3,
        "lr_decay": 0.0,
        "keep": 0.2,
        "temperature": 0.07,
        "mask": "cell",
        "n_neighbors": 10,
        "resolution": 1.0,
    }


@pytest.mark.parametrize("preset", [DEFAULTS, PAPER, Settings(hidden=(8,), resolution=0.4, mask="cell")])
def test_asdict_round_trips_and_holds_plain_values(preset):
    d = preset.asdict()
    assert list(d) == list(FIELDS) and isinstance(d["hidden"], list)
    assert Settings(**d) == preset
    d["hidden"].append(999)  # a copy: the settings are not changed through it
    assert 999 not in preset.hidden


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULTS.epochs = 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().hidden = (8,)
    assert hash(DEFAULTS) == hash(Settings())  # frozen and hashable: usable as a key


def test_training_fields_are_what_training_takes():
    assert TRAINING_FIELDS == (
        "n_genes",
        "n_models",
        "hidden",
        "epochs",
        "min_steps",
        "batch_size",
        "lr",
        "lr_decay",
        "keep",
        "temperature",
        "mask",
    )
    assert set(FIELDS) - set(TRAINING_FIELDS) == {"n_neighbors", "resolution"}
    assert PAPER.training() == {f: getattr(PAPER, f) for f in TRAINING_FIELDS}
    assert MASKS == ("batch", "cell")


def test_resolve_starts_from_a_preset_or_a_settings_object():
    assert resolve() == DEFAULTS and resolve("paper", epochs=2) == PAPER.replace(epochs=2)
    custom = Settings(epochs=4)
    assert resolve(custom, lr=0.5) == Settings(epochs=4, lr=0.5)
    for bad in ("fast", None, {"epochs": 3}):
        with pytest.raises(ValueError, match="settings must be one of"):
            resolve(bad)


def test_a_run_records_its_presets_name():
    assert preset_name("default") == "default" and preset_name("paper") == "paper"
    assert preset_name(Settings()) == "default" and preset_name(PAPER) == "paper"
    assert preset_name(Settings(epochs=3)) == "custom"
