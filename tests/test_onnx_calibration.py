"""An ONNX export keeps its checkpoint's calibration: ``export_onnx`` copies calibration.json, so the
tagger on the exported folder gives the calibrated scores the torch tagger gives; a re-export of an
uncalibrated checkpoint leaves no stale temperature behind; a damaged calibration.json is refused
before anything is written.

On a copy of the session's tiny trained run (tests/conftest.py), calibrated by writing its
calibration.json; nothing of our own code is mocked.
"""

from __future__ import annotations

import io
import shutil
from contextlib import redirect_stderr
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("torch")

from nerlib.cli import main  # noqa: E402
from nerlib.runs.calibration_file import CALIBRATION_FILE, CalibrationError, write_calibration  # noqa: E402
from nerlib.runs.checkpoints import resolve_checkpoint_dir  # noqa: E402
from nerlib.runs.exported import MANIFEST, export_onnx  # noqa: E402
from nerlib.tagging.tagger import Tagger  # noqa: E402

pytestmark = pytest.mark.slow
SENTENCES = [["Peter", "Okafor", "met", "officials", "of", "the", "African", "Union", "in", "Brussels", "."],
             ["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."]]


@pytest.fixture
def calibrated_run(tiny_run, tmp_path) -> Path:
    """A copy of the tiny run whose best checkpoint has temperature 2.5."""
    run = Path(shutil.copytree(tiny_run, tmp_path / "tiny"))
    write_calibration(resolve_checkpoint_dir(run), {"temperature": 2.5, "split": "validation"})
    return run


def word_scores(tagger: Tagger) -> np.ndarray:
    return np.array([word.score for tagged in tagger.tag_words(SENTENCES) for word in tagged.words])


def test_an_export_keeps_the_checkpoint_calibration(calibrated_run, tmp_path):
    folder, _ = export_onnx(calibrated_run, tmp_path / "onnx")
    assert (folder / CALIBRATION_FILE).is_file()
    onnx = Tagger.from_pretrained(folder)
    torch_tagger = Tagger.from_pretrained(calibrated_run, device="cpu", dtype="float32", backend="torch")
    assert onnx.backend == "onnx" and onnx.temperature == torch_tagger.temperature == 2.5
    np.testing.assert_allclose(word_scores(onnx), word_scores(torch_tagger), atol=1e-3)
    raw = Tagger.from_pretrained(folder, calibrated=False)
    assert raw.temperature == 1.0
    assert np.abs(word_scores(raw) - word_scores(onnx)).max() > 0.01  # the temperature changes the scores


def test_a_re_export_of_an_uncalibrated_checkpoint_drops_the_old_temperature(calibrated_run, tmp_path):
    folder = tmp_path / "onnx"
    out = io.StringIO()
    assert main(["export-onnx", str(calibrated_run), str(folder)], stdout=out) == 0
    assert f"{folder / CALIBRATION_FILE}: temperature 2.5000, copied from the checkpoint" in out.getvalue()
    (resolve_checkpoint_dir(calibrated_run) / CALIBRATION_FILE).unlink()
    export_onnx(calibrated_run, folder)  # into the earlier export: replaced
    assert not (folder / CALIBRATION_FILE).exists()
    assert Tagger.from_pretrained(folder).temperature == 1.0


def test_a_damaged_calibration_file_is_refused_before_anything_is_written(calibrated_run, tmp_path):
    (resolve_checkpoint_dir(calibrated_run) / CALIBRATION_FILE).write_text('{"temperature": -1, "split": "validation"}')
    with pytest.raises(CalibrationError, match=CALIBRATION_FILE):
        export_onnx(calibrated_run, tmp_path / "onnx")
    assert not (tmp_path / "onnx" / MANIFEST).exists()
    out, err = io.StringIO(), io.StringIO()
    with redirect_stderr(err):
        code = main(["export-onnx", str(calibrated_run), str(tmp_path / "onnx")], stdout=out)
    lines = err.getvalue().strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("error: ") and CALIBRATION_FILE in lines[0]
    assert "Traceback" not in err.getvalue()
