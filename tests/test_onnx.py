"""The ONNX Runtime path: ``python -m nerlib export-onnx``, the tagger on an exported folder (float32
and int8), parity with torch float32, and the exports it refuses.

The model is the session's tiny trained run (tests/conftest.py), exported once by the real command;
texts are the first 300 CoNLL++ test sentences. Bad exports are made by hand from a good one: an
ONNX file of another model copied in, a truncated file, a flipped byte, a tampered manifest.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

from test_tagger import save_random_model  # noqa: E402

from nerlib.cli import main  # noqa: E402
from nerlib.evaluation.export_speed import measure_export  # noqa: E402
from nerlib.modeling.device import cpu_kind  # noqa: E402
from nerlib.modeling.onnx import OnnxTokenClassifier  # noqa: E402
from nerlib.runs.calibration_file import write_calibration  # noqa: E402
from nerlib.runs.exported import (  # noqa: E402
    MANIFEST,
    MEASUREMENT,
    ExportedModelError,
    export_onnx,
    load_exported,
    read_measurement,
    write_measurement,
)
from nerlib.tagging.tagger import Tagger  # noqa: E402

pytestmark = pytest.mark.slow
SENTENCES = 300


def run_cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), stdin=io.StringIO(""), stdout=out)
    return code, out.getvalue()


def entities(tagged) -> list[set[tuple[int, int, str]]]:
    return [{(e.start, e.end, e.label) for e in t.entities} for t in tagged]


def words(tagged) -> list[list[tuple[int, int, str]]]:
    return [[(w.start, w.end, w.text) for w in t.words] for t in tagged]


@pytest.fixture(scope="module")
def texts(conllpp):
    return [" ".join(tokens) for tokens in conllpp["test"]["tokens"][:SENTENCES]]


@pytest.fixture(scope="module")
def exported(tiny_run, tmp_path_factory) -> Path:
    """The tiny run exported by the command, float32 and int8."""
    folder = tmp_path_factory.mktemp("export") / "tiny-onnx"
    code, printed = run_cli("export-onnx", str(tiny_run), str(folder), "--int8")
    assert code == 0
    assert f"{folder / 'model.onnx'}: float32" in printed and f"{folder / 'model.int8.onnx'}: int8" in printed
    return folder


@pytest.fixture(scope="module")
def torch_tagger(tiny_run):
    return Tagger.from_pretrained(tiny_run, device="cpu", dtype="float32", backend="torch")


@pytest.fixture(scope="module")
def torch_tagged(torch_tagger, texts):
    return torch_tagger.tag_many(texts)


def copy_export(exported: Path, target: Path) -> Path:
    shutil.copytree(exported, target)
    return target


def test_export_writes_a_manifest_naming_the_source(exported, tiny_run):
    manifest = json.loads((exported / MANIFEST).read_text())
    assert manifest["format"] == "nerlib-onnx" and manifest["labels"][0] == "O"
    assert Path(manifest["source_folder"]) == tiny_run / "checkpoints" / "best"
    assert set(manifest["files"]) == {"float32", "int8"} and len(manifest["model_id"]) == 64
    assert {"config.json", "tokenizer.json"} <= {p.name for p in exported.iterdir()}


def test_float32_onnx_finds_the_entities_torch_float32_finds(exported, texts, torch_tagged):
    tagger = Tagger.from_pretrained(exported)
    assert tagger.backend == "onnx" and isinstance(tagger.model, OnnxTokenClassifier)
    onnx_tagged = tagger.tag_many(texts)
    assert words(onnx_tagged) == words(torch_tagged)
    ours, theirs = entities(onnx_tagged), entities(torch_tagged)
    union = sum(len(a | b) for a, b in zip(ours, theirs))
    same = sum(len(a & b) for a, b in zip(ours, theirs))
    assert union > 100, "too few entities to measure parity on"
    assert same / union >= 0.995, f"{same} of {union} entities identical"
    scores = [w.score for t in onnx_tagged for w in t.words]
    reference = [w.score for t in torch_tagged for w in t.words]
    assert max(abs(a - b) for a, b in zip(scores, reference)) < 1e-3


def test_int8_runs_quantized_weights_with_the_same_words_and_offsets(exported, texts, torch_tagged):
    import onnx

    graph = onnx.load(str(exported / "model.int8.onnx")).graph
    assert any(node.op_type in ("MatMulInteger", "DynamicQuantizeMatMul", "QAttention") for node in graph.node)
    tagger = Tagger.from_pretrained(exported, quantize=True)
    assert tagger.model.path.name == "model.int8.onnx"
    tagged = tagger.tag_many(texts)
    assert words(tagged) == words(torch_tagged)
    for text, result in zip(texts, tagged):
        assert all(text[e.start:e.end] == e.text for e in result.entities)
    found = sum(len(e) for e in entities(tagged))
    assert found > 0.5 * sum(len(e) for e in entities(torch_tagged))


def test_tag_command_on_an_exported_folder_prints_what_torch_prints(exported, tiny_run, texts, tmp_path):
    chosen = texts[:20]
    code, onnx_out = run_cli("tag", "-m", str(exported), *chosen)
    assert code == 0
    (tmp_path / "texts.txt").write_text("\n".join(chosen) + "\n")
    code, _ = run_cli("tag", "-m", str(exported), "--file", str(tmp_path / "texts.txt"), "--output",
                      str(tmp_path / "bulk.jsonl"), "--no-progress")  # bulk tagging: the export on the CPU
    assert code == 0 and (tmp_path / "bulk.jsonl").read_text() == onnx_out
    code, torch_out = run_cli("tag", "-m", str(tiny_run), "--dtype", "float32", "--backend", "torch", *chosen)
    assert code == 0

    def spans(output: str) -> list:
        return [[(e["start"], e["end"], e["label"]) for e in json.loads(line)["entities"]]
                for line in output.splitlines()]

    assert spans(onnx_out) == spans(torch_out) and len(onnx_out.splitlines()) == len(chosen)


@pytest.fixture(scope="module")
def measured_model(exported, tiny_run, tmp_path_factory) -> Path:
    """A checkpoint folder with its export in onnx/ and a real measurement of it on this machine."""
    model = tmp_path_factory.mktemp("measured") / "model"
    shutil.copytree(tiny_run / "checkpoints" / "best", model)
    copy_export(exported, model / "onnx")
    path, _ = measure_export(model, split="test", limit=60, rounds=1)
    assert path == model / "onnx" / MEASUREMENT
    return model


def with_figures(model: Path, target: Path, *, int8: tuple[float, float], float32: tuple[float, float],
                 cpu: str | None = None) -> Path:
    """A copy of ``model`` whose measurement says: int8 and float32 at (times torch's words/s, F1
    points lost), measured on ``cpu`` (default this one)."""
    shutil.copytree(model, target)
    recorded = read_measurement(target / "onnx")
    torch_figures = recorded.torch
    onnx = {precision: figures.model_copy(update={"words_per_s": torch_figures.words_per_s * speed,
                                                  "f1": torch_figures.f1 - lost / 100})
            for precision, figures, (speed, lost) in ((p, recorded.onnx[p], v) for p, v in
                                                      (("int8", int8), ("float32", float32)))}
    write_measurement(target / "onnx", recorded.model_copy(update={"onnx": onnx, "cpu": cpu or recorded.cpu}))
    return target


def test_a_measurement_records_both_runtimes_on_this_cpu(measured_model):
    recorded = read_measurement(measured_model / "onnx")
    manifest = json.loads((measured_model / "onnx" / MANIFEST).read_text())
    assert recorded.cpu == cpu_kind() and recorded.sentences == 60 and recorded.split == "test"
    assert recorded.model_id == manifest["model_id"]
    assert {p: f.sha256 for p, f in recorded.onnx.items()} == {p: f["sha256"] for p, f in manifest["files"].items()}
    assert recorded.torch.words_per_s > 0 and 0 <= recorded.torch.f1 <= 1
    # float32 ONNX finds what torch float32 finds: the same F1 on the same sentences
    assert recorded.torch_dtype in ("float32", "bfloat16")
    if recorded.torch_dtype == "float32":
        assert abs(recorded.onnx["float32"].f1 - recorded.torch.f1) < 0.005


def test_auto_picks_onnx_only_where_the_recorded_measurement_says_it_wins(measured_model, tmp_path):
    bare = tmp_path / "bare"
    shutil.copytree(measured_model, bare, ignore=shutil.ignore_patterns("onnx"))
    assert Tagger.from_pretrained(bare, device="cpu").backend == "torch"  # no export: none is made
    assert not (bare / "onnx").exists()
    unmeasured = tmp_path / "unmeasured"
    shutil.copytree(measured_model, unmeasured, ignore=shutil.ignore_patterns(MEASUREMENT))
    auto = Tagger.from_pretrained(unmeasured, device="cpu")
    assert auto.backend == "torch" and MEASUREMENT in auto.backend_reason

    # int8 2x torch's words/s at 0.1 F1 points lost: picked, though no int8 was asked for
    wins = with_figures(measured_model, tmp_path / "wins", int8=(2.0, 0.1), float32=(1.2, 0.0))
    auto = Tagger.from_pretrained(wins, device="cpu")
    assert auto.backend == "onnx" and auto.model.path == wins / "onnx" / "model.int8.onnx"
    assert auto.backend_reason.startswith("auto: ONNX int8, measured 2.00x the words/s of torch at +0.10 F1")
    assert cpu_kind() in auto.backend_reason and "60 test sentences" in auto.backend_reason
    assert auto.tag("Angela Merkel visited Paris.").text == "Angela Merkel visited Paris."
    assert Tagger.from_pretrained(wins, device="cpu", quantize=True).model.path.name == "model.int8.onnx"
    assert Tagger.from_pretrained(wins, device="cpu", dtype="float32").backend == "torch"  # a precision asked for
    assert Tagger.from_pretrained(wins, device="cpu", backend="torch").backend == "torch"

    # nerlib serve says the same in /metadata
    import httpx
    from test_serving import running_server

    with running_server(lambda: Tagger.from_pretrained(wins, device="cpu")) as (url, _):
        served = httpx.get(f"{url}/metadata").json()["model"]
    assert (served["backend"], served["backend_reason"]) == ("onnx", auto.backend_reason)
    assert served["onnx_file"] == str(wins / "onnx" / "model.int8.onnx")

    # int8 faster but 0.5 F1 points lost: float32, within the line and faster, runs
    auto = Tagger.from_pretrained(with_figures(measured_model, tmp_path / "f32", int8=(3.0, 0.5), float32=(1.3, 0.2)),
                                  device="cpu")
    assert auto.backend == "onnx" and auto.model.path.name == "model.onnx" and "ONNX float32" in auto.backend_reason

    # neither faster: torch, and the figures say why
    auto = Tagger.from_pretrained(with_figures(measured_model, tmp_path / "slow", int8=(0.9, 0.0), float32=(0.5, 0.0)),
                                  device="cpu")
    assert auto.backend == "torch" and "ONNX int8 0.90x the words/s" in auto.backend_reason

    # the same winning figures measured on another kind of CPU: not evidence here
    auto = Tagger.from_pretrained(with_figures(measured_model, tmp_path / "elsewhere", int8=(2.0, 0.0),
                                               float32=(2.0, 0.0), cpu="AMD EPYC 7B13 [avx2]"), device="cpu")
    assert auto.backend == "torch" and "another CPU kind (AMD EPYC 7B13 [avx2])" in auto.backend_reason

    # the int8 file changed since it was measured: that figure is not about it; float32 still is
    changed = with_figures(measured_model, tmp_path / "changed", int8=(2.0, 0.0), float32=(1.5, 0.0))
    recorded = read_measurement(changed / "onnx")
    write_measurement(changed / "onnx", recorded.model_copy(update={"onnx": {
        **recorded.onnx, "int8": recorded.onnx["int8"].model_copy(update={"sha256": "0" * 64})}}))
    auto = Tagger.from_pretrained(changed, device="cpu")
    assert auto.model.path.name == "model.onnx" and "the file measured is not the file there" in auto.backend_reason

    # calibrated after the export: the export's scores would not be torch's calibrated ones
    recalibrated = with_figures(measured_model, tmp_path / "recalibrated", int8=(2.0, 0.0), float32=(1.5, 0.0))
    write_calibration(recalibrated, {"temperature": 1.5, "split": "validation"})
    auto = Tagger.from_pretrained(recalibrated, device="cpu")
    assert auto.backend == "torch" and "another calibration than the checkpoint" in auto.backend_reason


def test_auto_refuses_an_export_of_another_model_with_the_reason(measured_model, exported, tmp_path):
    # a run whose onnx/ was exported from another model (here: a different checkpoint in the folder)
    other = save_random_model(tmp_path / "other-model", seed=4)
    shutil.copytree(measured_model / "onnx", other / "onnx")
    auto = Tagger.from_pretrained(other, device="cpu")
    assert auto.backend == "torch"
    assert "exported from another model" in auto.backend_reason and str(other) in auto.backend_reason
    with pytest.raises(ExportedModelError, match="exported from another model"):
        Tagger.from_pretrained(other, device="cpu", backend="onnx")
    code, _ = run_cli("tag", "-m", str(other), "--backend", "onnx", "Paris")
    assert code == 1

    # the measured winner's file replaced by another model's ONNX file: refused at load, torch runs
    wins = with_figures(measured_model, tmp_path / "wins", int8=(2.0, 0.0), float32=(1.5, 0.0))
    other_export, _ = export_onnx(other, tmp_path / "other-onnx", int8=True)
    shutil.copy(other_export / "model.int8.onnx", wins / "onnx" / "model.int8.onnx")
    with pytest.warns(RuntimeWarning, match="exported from another model"):
        auto = Tagger.from_pretrained(wins, device="cpu")
    assert auto.backend == "torch" and auto.backend_reason.startswith("auto: the export is refused: ")
    assert str(wins / "onnx" / "model.int8.onnx") in auto.backend_reason


def test_onnx_file_of_another_model_is_refused_with_the_reason(exported, tmp_path, capsys):
    other = save_random_model(tmp_path / "other-model", seed=3)
    other_export, _ = export_onnx(other, tmp_path / "other-onnx")
    mixed = copy_export(exported, tmp_path / "mixed")
    shutil.copy(other_export / "model.onnx", mixed / "model.onnx")
    with pytest.raises(ExportedModelError, match="exported from another model") as caught:
        load_exported(mixed)
    assert str(mixed / "model.onnx") in str(caught.value) and "other-model" in str(caught.value)
    code, _ = run_cli("tag", "-m", str(mixed), "Angela Merkel visited Paris.")
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ") and "another model" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_damaged_onnx_file_is_an_error_naming_the_file(exported, tmp_path, capsys):
    truncated = copy_export(exported, tmp_path / "truncated")
    data = (truncated / "model.onnx").read_bytes()
    (truncated / "model.onnx").write_bytes(data[: len(data) // 3])
    code, _ = run_cli("tag", "-m", str(truncated), "Angela Merkel visited Paris.")
    err = capsys.readouterr().err
    assert code == 1 and f"{truncated / 'model.onnx'} is not a loadable ONNX model" in err and "Traceback" not in err

    flipped = copy_export(exported, tmp_path / "flipped")
    data = bytearray((flipped / "model.int8.onnx").read_bytes())
    data[int(len(data) * 0.6)] ^= 0xFF  # inside the weights: still loads, computes something else
    (flipped / "model.int8.onnx").write_bytes(bytes(data))
    with pytest.raises(ExportedModelError, match="has changed since the export"):
        load_exported(flipped, int8=True)
    assert load_exported(flipped).model.path.name == "model.onnx"  # the untouched float32 file still loads


def test_exports_and_backends_that_cannot_work_are_refused(exported, tiny_run, tmp_path, capsys):
    float_only = copy_export(exported, tmp_path / "float-only")
    manifest = json.loads((float_only / MANIFEST).read_text())
    del manifest["files"]["int8"]
    (float_only / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ExportedModelError, match="exported without --int8"):
        Tagger.from_pretrained(float_only, quantize=True)

    manifest["model_id"] = "not a checksum"
    (float_only / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ExportedModelError, match="field 'model_id'"):
        Tagger.from_pretrained(float_only)

    relabelled = copy_export(exported, tmp_path / "relabelled")
    config = json.loads((relabelled / "config.json").read_text())
    config["id2label"]["1"], config["id2label"]["3"] = config["id2label"]["3"], config["id2label"]["1"]
    (relabelled / "config.json").write_text(json.dumps(config))
    with pytest.raises(ExportedModelError, match="not the exported model's"):
        load_exported(relabelled)

    cases = [
        (["tag", "-m", str(tiny_run), "--backend", "onnx", "x"], "export one first with python -m nerlib export-onnx"),
        (["tag", "-m", str(exported), "--backend", "torch", "x"], "holds no torch weights"),
        (["tag", "-m", str(exported), "--dtype", "bfloat16", "x"], "runs in float32"),
        (["export-onnx", str(tiny_run), str(tiny_run)], "is not empty and holds no earlier export"),
        (["export-onnx", str(exported), str(tmp_path / "again")], "already an exported ONNX folder"),
        (["export-onnx", str(tiny_run), str(tmp_path / "a\x01b")], "is not a usable path"),
        (["export-onnx", str(tiny_run), str(exported / MANIFEST)], "is a file; give a folder"),
    ]
    for args, reason in cases:
        code, _ = run_cli(*args)
        err = capsys.readouterr().err
        assert code == 1 and reason in err and "Traceback" not in err, (args, err)
        assert len(err.strip().splitlines()) == 1


def test_session_threads_follow_the_tagger(exported):
    checkpoint = load_exported(exported, threads=1)
    assert checkpoint.model.session.get_session_options().intra_op_num_threads == 1
    assert checkpoint.model.dtype == torch.float32 and next(checkpoint.model.parameters()).device.type == "cpu"


def test_export_with_measure_records_what_auto_reads(tiny_run, tmp_path, capsys):
    model = tmp_path / "model"
    shutil.copytree(tiny_run / "checkpoints" / "best", model)
    code, out = run_cli("export-onnx", str(model), "--int8", "--measure", "20")
    assert code == 0, out
    recorded = read_measurement(model / "onnx")
    assert recorded.sentences == 20 and recorded.split == "validation" and recorded.cpu == cpu_kind()
    assert set(recorded.onnx) == {"int8", "float32"} and f"{model / 'onnx' / MEASUREMENT}: measured on" in out
    assert "ONNX int8: " in out and "x the words/s of torch" in out
    # auto now reads it: the choice names the measurement, whichever way it went on this machine
    auto = Tagger.from_pretrained(model, device="cpu")
    assert "x the words/s" in auto.backend_reason and f"has no {MEASUREMENT}" not in auto.backend_reason
    capsys.readouterr()
    code, _ = run_cli("export-onnx", str(model), str(tmp_path / "elsewhere"), "--measure", "20")
    assert code == 1 and "--measure needs a positive N and the default OUT" in capsys.readouterr().err
