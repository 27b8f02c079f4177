"""PancreasSegment's Logic: a CT volume node in; a pancreas segment, a probability volume, volume and
confidence out.

The network runs OUT OF PROCESS: the Logic writes the CT to a private temporary folder, runs
``<python> -m deepradiology pancreas segment ... --progress-json`` (in Slicer ``<python>`` is
``PythonSlicer``), relays its JSON progress lines to the caller's callback, and reads the mask and the
probability map back. Slicer's UI stays responsive because the caller's progress callback runs every
0.1 s while the subprocess works (the module's callback pumps Qt events and raises `Cancelled` when the
user presses Cancel). The scene changes only after the subprocess succeeded; a cancelled or failed run,
or a failure while making nodes, leaves no node behind, and the temporary folder is always removed.
Positions are RAS in the scene (Slicer) and LPS on disk; the bridge converts in one place.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from deepradiology.errors import DeepRadiologyError, InputError
from deepradiology.progress import Cancelled, ProgressCallback, report
from deepradiology_mrml.scene import remove_node

__all__ = ["PancreasSegmentLogic", "PancreasOutcome", "SEGMENT_NAME", "PANCREAS_COLOR", "PROBABILITY_COLORMAPS",
           "default_python"]

SEGMENT_NAME = "pancreas"
#: Slicer's GenericAnatomyColors pancreas colour.
PANCREAS_COLOR = (249 / 255, 180 / 255, 111 / 255)
#: Colour maps for the probability layer, first available wins: Slicer's perceptual file tables (in the
#: application), then the procedural PET heat map (also in the slicer-core wheel), then the rainbow.
PROBABILITY_COLORMAPS = ("vtkMRMLColorTableNodeFileInferno.txt", "vtkMRMLColorTableNodeFileColdToHotRainbow.txt",
                         "vtkMRMLPETProceduralColorNodePET-Heat", "vtkMRMLColorTableNodeRainbow")
#: Node attributes where the figures are kept, so a saved scene remembers them.
VOLUME_ATTRIBUTE = "DeepRadiology.PancreasVolumeML"
CONFIDENCE_ATTRIBUTE = "DeepRadiology.PancreasConfidence"


def default_python() -> str:
    """The interpreter that runs the CLI: ``PythonSlicer`` inside Slicer, this Python elsewhere."""
    from ..scene import in_slicer

    if in_slicer():
        found = shutil.which("PythonSlicer") or str(Path(sys.executable).with_name("PythonSlicer"))
        return found
    return sys.executable


@dataclass
class PancreasOutcome:
    """What one Apply made: node IDs and the figures shown in the panel."""

    segmentation_node_id: str
    probability_node_id: str
    volume_ml: float
    confidence: str
    reasons: list[str]
    mean_probability: float
    model: str
    summary: dict = field(default_factory=dict)



class PancreasSegmentLogic:
    """Segment the pancreas of a volume node out of process (module docstring).

    Args:
        scene: the ``vtkMRMLScene``.
        python: interpreter for the subprocess (`default_python` when None).
        threads: CPU threads the subprocess may use (0: torch's choice).
    """

    def __init__(self, scene, *, python: str | None = None, threads: int = 0) -> None:
        self.scene = scene
        self.python = python or default_python()
        self.threads = int(threads)
        self._cancel = threading.Event()
        self._process: subprocess.Popen | None = None

    # --- choices for the panel ---------------------------------------------------------------
    @staticmethod
    def available_models() -> list[str]:
        """Names of installed pancreas models (empty: the panel says how to get one)."""
        from deepradiology.models import installed_models

        return [m.name for m in installed_models() if m.card is not None and m.card.task == "pancreas-segmentation"]

    @staticmethod
    def needs_nnunet(name: str | None) -> bool:
        """True when the installed model ``name`` is an nnU-Net v2 model (run by the nnunetv2 package,
        which Slicer then installs first: the "nnunet" extra)."""
        from deepradiology.models import installed_models
        from deepradiology.models.external.nnunet import FORMAT

        return any(m.name == name and m.card is not None and m.card.extra.get("format") == FORMAT
                   for m in installed_models())

    @staticmethod
    def model_summary(name: str) -> str:
        """The panel's line for the installed pancreas model ``name``: training data and licence
        (`ModelCard.summary`); "" when no such model is installed."""
        from deepradiology.models import installed_models

        cards = [m.card for m in installed_models() if m.name == name and m.card is not None]
        return cards[0].summary() if cards else ""

    @staticmethod
    def available_devices() -> list[str]:
        """"cpu", plus "cuda" when this machine's torch sees a GPU."""
        try:
            import torch

            return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]
        except ImportError:
            return ["cpu"]

    def cancel(self) -> None:
        """Stop a running `segment` (from another thread or a UI callback); it raises `Cancelled`."""
        self._cancel.set()

    # --- running -----------------------------------------------------------------------------
    def _command(self, ct: Path, mask: Path, prob: Path, model: str | None, device: str) -> list[str]:
        cmd = [self.python, "-m", "deepradiology", "pancreas", "segment", str(ct), "-o", str(mask),
               "--prob", str(prob), "--device", device, "--progress-json"]
        if model:
            cmd += ["--model", str(model)]
        if self.threads:
            cmd += ["--threads", str(self.threads)]
        return cmd

    def _run(self, cmd: list[str], progress: ProgressCallback | None) -> dict:
        """Run the CLI, relaying progress; returns its JSON summary. Kills it on cancel."""
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self._process = proc
        lines: queue.Queue = queue.Queue()
        stderr_tail: list[str] = []

        def pump() -> None:
            for line in proc.stderr:
                lines.put(line)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        fraction, message = 0.0, "starting"
        try:
            while True:
                while not lines.empty():
                    line = lines.get_nowait().strip()
                    try:
                        event = json.loads(line)
                        fraction, message = float(event["progress"]), str(event.get("message", ""))
                    except (ValueError, KeyError, TypeError):
                        if line:
                            stderr_tail = (stderr_tail + [line])[-20:]
                if self._cancel.is_set():
                    raise Cancelled("pancreas segmentation was cancelled")
                report(progress, 0.05 + 0.85 * fraction, message)
                if proc.poll() is not None and lines.empty() and not reader.is_alive():
                    break
                time.sleep(0.1)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            self._process = None
        stdout = proc.stdout.read() if proc.stdout else ""
        if proc.returncode != 0:
            errors = [line for line in stderr_tail if "error" in line.lower()] or stderr_tail[-3:]
            detail = errors[-1] if errors else f"exit code {proc.returncode}"
            detail = detail.split("error: ", 1)[-1]
            raise DeepRadiologyError(f"pancreas segmentation failed: {detail}")
        try:
            return json.loads(stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise DeepRadiologyError("pancreas segmentation printed no result summary") from None

    def segment(self, volume_node, *, model: str | None = None, device: str = "cpu",
                progress: ProgressCallback | None = None) -> PancreasOutcome:
        """Segment the pancreas in ``volume_node`` and add a segmentation and a probability volume.

        Args:
            volume_node: a scalar volume node holding CT in HU.
            model: installed model name or checkpoint path (None: the installed one).
            device: "cpu" or "cuda" (refused when this machine's torch sees no GPU).
            progress: called about every 0.1 s with (fraction, message); may raise `Cancelled`.

        Returns:
            `PancreasOutcome` with the new nodes' IDs, volume in mL and confidence.

        Raises:
            InputError: no or wrong node. DeepRadiologyError: the subprocess refused (its message:
            no model installed, not CT, not abdominal ...). Cancelled: cancelled. The scene is
            unchanged whenever it raises.
        """
        from deepradiology.io import read_volume, write_image

        from ..volumes import volume_node_to_image

        if volume_node is None or not volume_node.IsA("vtkMRMLScalarVolumeNode") \
                or volume_node.IsA("vtkMRMLLabelMapVolumeNode"):
            raise InputError("input volume", "choose a CT scalar volume node")
        devices = self.available_devices()
        if device not in devices:
            raise InputError("device", f"{device!r} is not available on this machine; choose {' or '.join(devices)}")
        self._cancel.clear()
        report(progress, 0.0, "exporting the CT")
        image = volume_node_to_image(volume_node)
        with tempfile.TemporaryDirectory(prefix="deepradiology-pancreas-") as tmp:
            tmp = Path(tmp)
            ct_path, mask_path, prob_path = tmp / "ct.nii.gz", tmp / "mask.nii.gz", tmp / "prob.nii.gz"
            write_image(image, ct_path)
            summary = self._run(self._command(ct_path, mask_path, prob_path, model, device), progress)
            report(progress, 0.92, "loading the result")
            mask = read_volume(mask_path)
            prob = read_volume(prob_path)
        return self._make_nodes(volume_node, mask, prob, summary, progress)

    def _make_nodes(self, volume_node, mask, prob, summary: dict, progress) -> PancreasOutcome:
        import numpy as np

        from ..segmentations import labelmap_to_segmentation
        from ..volumes import image_to_volume_node

        base = volume_node.GetName()
        made = []
        try:
            seg = labelmap_to_segmentation(self.scene, mask.with_array((mask.array > 0).astype(np.uint8)),
                                           {1: SEGMENT_NAME}, colors={1: PANCREAS_COLOR},
                                           reference_volume=volume_node, name=f"{base} pancreas")
            made.append(seg)
            from ..segmentations import PANCREAS_TERMINOLOGY, set_terminology

            segmentation = seg.GetSegmentation()
            set_terminology(seg, segmentation.GetSegmentIdBySegmentName(SEGMENT_NAME), PANCREAS_TERMINOLOGY)
            prob_node = image_to_volume_node(self.scene, prob.with_array(prob.array.astype(np.float32)),
                                             f"{base} pancreas probability")
            made.append(prob_node)
            self._colour_probability(prob_node)
            for node in made:
                node.SetAttribute(VOLUME_ATTRIBUTE, f"{summary['volume_ml']:.2f}")
                node.SetAttribute(CONFIDENCE_ATTRIBUTE, summary["confidence"])
        except BaseException:
            for node in made:
                remove_node(self.scene, node)
            raise
        report(progress, 1.0, "done")
        return PancreasOutcome(seg.GetID(), prob_node.GetID(), float(summary["volume_ml"]), summary["confidence"],
                               list(summary.get("reasons", [])), float(summary.get("mean_probability", 0.0)),
                               str(summary.get("model", "")), summary)

    def _colour_probability(self, node) -> None:
        """Show probabilities 0-1 through a heat colour map (the first of `PROBABILITY_COLORMAPS` present)."""
        display = node.GetDisplayNode()
        if display is None:
            node.CreateDefaultDisplayNodes()
            display = node.GetDisplayNode()
        for colour_id in PROBABILITY_COLORMAPS:
            if self.scene.GetNodeByID(colour_id) is not None:
                display.SetAndObserveColorNodeID(colour_id)
                break
        display.AutoWindowLevelOff()
        display.SetWindowLevelMinMax(0.0, 1.0)
        # Voxels below 5 % stay transparent when the map is laid over the CT.
        display.SetApplyThreshold(1)
        display.SetLowerThreshold(0.05)
        display.SetUpperThreshold(1.0)
