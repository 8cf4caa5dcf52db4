"""Inputs that would fill memory are refused with a coded error before anything big is
allocated: an archive of too many or too large entries (``G504``), a checkpoint whose pickle
declares tensors larger than the file (``V821``), an image over the pixel cap (``V822``)."""

from __future__ import annotations

import collections
import io
import pickle
import tarfile
import zipfile

import pytest

from cxrlabel.errors import GoldError, VisionError
from cxrlabel.gold import openi

XML = b"<eCitation><MedlineCitation><Article><Abstract><AbstractText Label='FINDINGS'>No effusion.</AbstractText></Abstract></Article></MedlineCitation><uId id='CXR1'/></eCitation>"


def _tarball(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_an_archive_with_more_entries_than_the_cap_is_g504(tmp_path, monkeypatch):
    monkeypatch.setattr(openi, "MAX_MEMBERS", 50)
    path = _tarball(tmp_path / "many.tgz", [(f"ecgen-radiology/{k}.txt", b"") for k in range(60)])
    with pytest.raises(GoldError) as err:
        openi.read_openi_reports(path)
    assert err.value.code == "G504" and "entries" in str(err.value)


def test_an_archive_entry_over_the_byte_cap_is_g504_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(openi, "MAX_MEMBER_BYTES", 1000)
    path = _tarball(tmp_path / "big.tgz", [("ecgen-radiology/1.xml", XML), ("ecgen-radiology/2.xml", b" " * 5000)])
    with pytest.raises(GoldError) as err:
        openi.read_openi_reports(path)
    assert err.value.code == "G504" and "2.xml" in str(err.value)


def test_xml_over_the_total_cap_is_g504(tmp_path, monkeypatch):
    monkeypatch.setattr(openi, "MAX_TOTAL_BYTES", 3 * len(XML))
    path = _tarball(tmp_path / "sum.tgz", [(f"ecgen-radiology/{k}.xml", XML) for k in range(5)])
    with pytest.raises(GoldError) as err:
        openi.read_openi_reports(path)
    assert err.value.code == "G504"


def test_a_folder_over_the_caps_is_g504(tmp_path, monkeypatch):
    monkeypatch.setattr(openi, "MAX_MEMBERS", 2)
    for k in range(3):
        (tmp_path / f"{k}.xml").write_bytes(XML)
    with pytest.raises(GoldError) as err:
        openi.read_openi_reports(tmp_path)
    assert err.value.code == "G504"


def test_an_archive_within_the_caps_is_read_entry_by_entry(tmp_path):
    path = _tarball(tmp_path / "ok.tgz", [(f"ecgen-radiology/{k}.xml", XML) for k in range(1, 4)] + [("notes.txt", b"x")])
    assert len(openi.read_openi_reports(path)) == 3


torch = pytest.importorskip("torch")


class _Storage:
    """Pickled as torch's storage persistent id, declaring ``numel`` elements."""

    def __init__(self, numel):
        self.numel = numel


class _Tensor:
    def __init__(self, storage, numel):
        self.storage, self.numel = storage, numel

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, (self.storage, 0, (self.numel,), (1,), False, collections.OrderedDict()))


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            return ("storage", torch.FloatStorage, "0", "cpu", obj.numel)
        return None


def _crafted(path, numel, record_bytes=40):
    """A 1-kB torch zip checkpoint whose one float tensor declares ``numel`` elements."""
    buf = io.BytesIO()
    _Pickler(buf, protocol=2).dump({"format": 1, "model": {"w": _Tensor(_Storage(numel), numel)}})
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", buf.getvalue())
        zf.writestr("archive/byteorder", "little")
        zf.writestr("archive/data/0", b"\0" * record_bytes)
        zf.writestr("archive/version", "3\n")
    return path


def test_a_checkpoint_declaring_55_gb_in_a_kilobyte_is_v821_without_allocating(tmp_path):
    from cxrlabel_vision.checkpoint import load_checkpoint

    path = _crafted(tmp_path / "bomb.pt", 55 * 2**30 // 4)
    assert path.stat().st_size < 2000
    with pytest.raises(VisionError) as err:
        load_checkpoint(path)
    assert err.value.code == "V821" and "data/0" in str(err.value)


def test_weights_declaring_more_than_the_file_holds_are_v821(tmp_path):
    from cxrlabel_vision.model import load_backbone_weights

    with pytest.raises(VisionError) as err:
        load_backbone_weights(torch.nn.Linear(2, 2), _crafted(tmp_path / "w.pt", 11))
    assert err.value.code == "V821"


def test_a_file_that_is_not_a_torch_zip_is_v821(tmp_path):
    from cxrlabel_vision.safeload import check_checkpoint

    path = tmp_path / "legacy.pt"
    path.write_bytes(pickle.dumps({"format": 1}))
    with pytest.raises(VisionError) as err:
        check_checkpoint(path)
    assert err.value.code == "V821"


def test_a_real_checkpoint_passes_the_size_check_and_loads(tmp_path):
    from cxrlabel_vision.safeload import check_checkpoint

    path = tmp_path / "real.pt"
    torch.save({"w": torch.zeros(3, 5), "b": torch.arange(7), "meta": {"arch": "x"}}, path)
    check_checkpoint(path)  # a tensor declaring exactly what it holds
    assert _crafted(tmp_path / "fits.pt", 10) and check_checkpoint(tmp_path / "fits.pt") is None


def test_an_image_over_the_pixel_cap_is_v822_before_decoding(tmp_path, monkeypatch):
    from PIL import Image

    from cxrlabel_vision import data

    path = tmp_path / "wide.png"
    Image.new("L", (300, 200)).save(path)
    monkeypatch.setattr(data, "MAX_IMAGE_PIXELS", 300 * 200 - 1)
    with pytest.raises(VisionError) as err:
        data.load_image(path, 64)
    assert err.value.code == "V822" and "300x200" in str(err.value)
    monkeypatch.setattr(data, "MAX_IMAGE_PIXELS", 300 * 200)
    assert data.load_image(path, 64).shape == (64, 64)


def test_a_png_past_pils_own_bomb_limit_is_v822_not_a_crash(tmp_path, monkeypatch):
    from PIL import Image

    from cxrlabel_vision import data

    path = tmp_path / "bomb.png"
    Image.new("L", (400, 400)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # PIL refuses above 2x this
    with pytest.raises(VisionError) as err:
        data.load_image(path, 64)
    assert err.value.code == "V822"


def test_a_checkpoint_whose_meta_asks_for_a_model_larger_than_its_weights_is_v821(tmp_path):
    from cxrlabel_vision.checkpoint import model_from_checkpoint
    from cxrlabel_vision.safeload import check_model_size

    built = []

    def huge():
        built.append(torch.empty(0).device)
        return torch.nn.Linear(100_000, 100_000)  # 40 GB of floats, were it real

    with pytest.raises(VisionError) as err:
        check_model_size(tmp_path / "c.pt", huge, {"weight": torch.zeros(3)})
    assert err.value.code == "V821" and built == [torch.device("meta")]
    small = torch.nn.Linear(2, 2)
    check_model_size(tmp_path / "c.pt", lambda: torch.nn.Linear(2, 2), small.state_dict())
    assert model_from_checkpoint  # the loader that runs this check
