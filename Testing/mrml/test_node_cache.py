"""Per-node caches must not survive a scene clear: Slicer reuses node IDs (issue 12, CXR Logic)."""

from __future__ import annotations

import numpy as np

from deepradiology.image import Image


def _film_node(scene, value_at_top_left: float):
    from deepradiology_mrml.volumes import image_to_volume_node

    array = np.zeros((1, 64, 64), np.float32)
    array[0, :32, :32] = value_at_top_left
    array[0, 40:, 40:] = 1.0 - value_at_top_left
    return image_to_volume_node(scene, Image(array, spacing=(1.0, 1.0, 1.0), modality="DX"), "film")


def test_a_new_film_with_a_reused_node_id_is_read_from_its_own_pixels(a_scene):
    from deepradiology_mrml.logic.cxr import CXRTriageLogic

    logic = CXRTriageLogic(a_scene, model="/nonexistent/model.pt")
    old = _film_node(a_scene, 1.0)
    old_id = old.GetID()
    old_film = logic._film(old)
    assert old_film.array[0, 0] > 0.9
    a_scene.Clear(0)
    new = _film_node(a_scene, 0.0)
    assert new.GetID() == old_id, "the premise: Slicer hands the new film the old film's ID"
    new_film = logic._film(new)
    assert new_film.array[0, 0] < 0.1, "the new film was read from the old film's cached pixels"


def test_an_edited_volume_is_not_served_from_the_cache(a_scene):
    from deepradiology_mrml.node_cache import NodeCache

    node = _film_node(a_scene, 1.0)
    cache = NodeCache()
    cache[node] = "before the edit"
    assert cache.get(node) == "before the edit" and node in cache
    node.GetImageData().Modified()
    assert cache.get(node) is None and node not in cache
