"""A torchxrayvision DenseNet through DeepRadiology gives torchxrayvision's own outputs on the same film."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import reference

FILE = "nih-densenet121-d121-tw-lr001-rot45-tr15-sc15-seed0-best.pt"


@pytest.fixture
def published_nih_file(tmp_path):
    """A random-weight DenseNet saved the way the published file is (a pickled torchxrayvision module)."""
    import torch

    xrv = reference("torchxrayvision")
    torch.manual_seed(0)
    net = xrv.models.DenseNet(num_classes=18)
    for m in net.modules():               # non-trivial batch-norm statistics, so a wrong layout cannot pass
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    with torch.no_grad():                 # logits of a few units, so the sigmoids are not saturated at 0 or 1
        net.classifier.weight.mul_(0.005)
    (tmp_path / "xrv").mkdir()
    torch.save(net, tmp_path / "xrv" / FILE)
    return tmp_path / "xrv" / FILE


def _film_png(tmp_path, shape):
    from PIL import Image as PILImage

    from deepradiology.cxr.synthetic import synthetic_films

    film = synthetic_films(1, seed=3, size=max(shape))[0].array[: shape[0], : shape[1]]
    path = tmp_path / "film.png"
    PILImage.fromarray((np.clip(film, 0, 1) * 255).astype(np.uint8)).save(path)
    return path


@pytest.mark.parametrize("shape", [(256, 256), (300, 260)])
def test_deepradiology_reproduces_torchxrayvision_outputs(published_nih_file, tmp_path, a_model_cache, shape):
    import skimage.io
    import torch
    import torchvision

    xrv = reference("torchxrayvision")
    from deepradiology.cxr import load_cxr_model, prepare_film
    from deepradiology.models.external import import_external

    png = _film_png(tmp_path, shape)
    # The reference, as torchxrayvision's README does it, with the weights loaded by its own code from its cache.
    ref_model = xrv.models.DenseNet(weights="densenet121-res224-nih", cache_dir=str(published_nih_file.parent))
    img = xrv.datasets.normalize(skimage.io.imread(str(png)).astype(np.float32), 255)[None]
    img = torchvision.transforms.Compose([xrv.datasets.XRayCenterCrop(), xrv.datasets.XRayResizer(224)])(img)
    with torch.no_grad():
        ref = ref_model(torch.from_numpy(img)[None]).numpy()[0]

    card = import_external(published_nih_file)
    model = load_cxr_model(card.name)
    x = model.prepare(prepare_film(png).array)
    np.testing.assert_allclose(x, img[0], atol=1e-3)
    ours, maps = model.outputs(x[None])
    np.testing.assert_allclose(ours[0], ref, atol=1e-5)
    probs, _ = model.predict(x[None])
    for name, p in zip(model.labels, probs[0]):
        assert p == pytest.approx(ref[ref_model.targets.index(name)], abs=1e-5)
    with torch.no_grad():   # our CAMs average to the logits of torchxrayvision's classifier
        logits = ref_model.classifier(ref_model.features2(torch.from_numpy(img)[None])).numpy()[0]
    np.testing.assert_allclose(maps[0].mean(axis=(1, 2)), logits, rtol=1e-5, atol=1e-5)
    assert np.ptp(ref[:14]) > 0.05        # outputs differ between findings: the comparison is not trivial


def test_triage_runs_on_the_imported_model_with_heatmaps_and_licence(published_nih_file, tmp_path, a_model_cache):
    from deepradiology.cxr import load_cxr_model, score_films, write_worklist
    from deepradiology.models.external import import_external

    import_external(published_nih_file)
    model = load_cxr_model(None)
    scores = score_films(model, [_film_png(tmp_path, (256, 256))])
    rows = write_worklist(scores, tmp_path / "worklist.csv", labels=model.labels,
                          operating_points=model.operating_points)
    assert rows[0]["status"] == "ok" and rows[0]["heatmap_png"] and "Apache-2.0" in model.card.licence


def test_the_cli_imports_the_published_file_and_triages_films_with_it(published_nih_file, tmp_path, a_model_cache,
                                                                      capsys):
    import json

    from deepradiology.cli import main

    assert main(["models", "import", str(published_nih_file)]) == 0
    png = _film_png(tmp_path, (256, 256))
    capsys.readouterr()
    assert main(["cxr", "triage", str(png), "--model", "xrv-densenet121-res224-nih", "-o",
                 str(tmp_path / "worklist.csv")]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["model"] == "xrv-densenet121-res224-nih" and "Apache-2.0" in summary["licence"]
    assert summary["scored"] == 1 and (tmp_path / "worklist.csv").is_file()
