"""The lesion embedding's cue weights mean what its documentation says."""

from __future__ import annotations

import math

import numpy as np
import pytest

from deepradiology.image import Image
from deepradiology.lesion import Lesion
from deepradiology.longitudinal.embedding import CueWeights, appearance_descriptor, embed_lesions
from deepradiology.longitudinal.registration import StudyAlignment


def disc(lid, x, d, *, lesion_type="liver"):
    return Lesion(lid, long_axis_lps=((x - d / 2, 0, 0), (x + d / 2, 0, 0)), short_axis_lps=((x, -d / 2, 0), (x, d / 2, 0)),
                  long_axis_mm=d, short_axis_mm=d, lesion_type=lesion_type)


def dist(a, b, **kw):
    e = embed_lesions([a, b], use_appearance=False, **kw)
    return float(np.linalg.norm(e[0] - e[1]))


def test_ten_mm_apart_is_one_unit_and_a_different_type_adds_two():
    assert dist(disc("a", 0, 20), disc("b", 10, 20)) == pytest.approx(1.0)
    assert dist(disc("a", 0, 20), disc("b", 0, 20, lesion_type="lung")) == pytest.approx(2.0)


def test_a_fifty_percent_larger_lesion_is_about_one_unit_away():
    assert dist(disc("a", 0, 20), disc("b", 0, 30)) == pytest.approx(2.5 * math.log(1.5))


def test_weights_are_explicit_and_change_the_distance():
    assert dist(disc("a", 0, 20), disc("b", 10, 20), weights=CueWeights(location_sigma_mm=5.0)) == pytest.approx(2.0)


def test_the_alignment_moves_the_follow_up_lesion_into_the_baseline_frame():
    m = np.eye(4)
    m[:3, 3] = (-10.0, 0.0, 0.0)
    al = StudyAlignment("S0", "S1", m.tolist())
    base = embed_lesions([disc("a", 0, 20)], use_appearance=False)
    moved = embed_lesions([disc("b", 10, 20)], alignment=al, use_appearance=False)
    assert np.allclose(base, moved)


def test_hu_appearance_reads_a_bright_disc_on_a_dark_background():
    yy, xx = np.mgrid[-40:41, -40:41]
    array = np.where(xx ** 2 + yy ** 2 <= 10 ** 2, 100.0, 0.0)[None]
    image = Image(array, spacing=(1.0, 1.0, 1.0), origin=(-40.0, -40.0, 0.0))
    mean, spread, contrast = appearance_descriptor(image, disc("a", 0, 20), hu_scale=50.0)
    assert mean == pytest.approx(2.0) and spread == pytest.approx(0.0) and contrast == pytest.approx(2.0)


def test_a_learned_embedding_is_used_when_every_lesion_has_one_from_the_same_model():
    a, b = disc("a", 0, 20), disc("b", 0, 20)
    a.embedding, b.embedding = [1.0, 0.0], [0.0, 1.0]
    a.embedding_model = b.embedding_model = "retrieval-v1"
    assert dist(a, b) == 0.0
    e = embed_lesions([a, b])
    assert float(np.linalg.norm(e[0] - e[1])) == pytest.approx(math.sqrt(2.0))
