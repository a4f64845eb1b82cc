"""Region list import: full list counts, idempotence, renames, retirement, bad lines."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Edition, Recipient, Region
from portal.services.regions import (
    LineError,
    MassRemovalError,
    RegionFileError,
    RegionRow,
    bundled_rows,
    import_regions,
    read_rows,
)

pytestmark = pytest.mark.usefixtures("app")

SMALL_LIST = """kode,nama
32,Jawa Barat
32.73,Kota Bandung
32.73.01,Sukasari
32.73.01.1001,Sukarasa
32.73.01.1002,Gegerkalong
32.73.02,Coblong
32.73.02.1001,Cipaganti
"""


def _import_text(text: str, **kwargs) -> object:
    rows, errors = read_rows(io.StringIO(text))
    result = import_regions(rows, errors, **kwargs)
    db.session.commit()
    return result


def _region(code: str) -> Region | None:
    db.session.expire_all()
    return db.session.get(Region, code)


def _count(level: int, *, active: bool = True) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Region).where(Region.level == level, Region.active.is_(active))
    )


@pytest.mark.slow
def test_bundled_list_loads_every_level_and_is_idempotent():
    first = import_regions(bundled_rows())
    db.session.commit()
    assert first.errors == []
    assert (_count(1), _count(2), _count(3), _count(4)) == (38, 514, 7285, 83762)
    assert first.added == 38 + 514 + 7285 + 83762

    again = import_regions(bundled_rows())
    db.session.commit()
    assert (again.added, again.renamed, again.deleted, again.deactivated) == (0, 0, 0, 0)
    assert again.unchanged == first.added
    assert _region("32.73.01.1001").name == "Sukarasa"
    assert _region("32.73").parent_code == "32"
    assert _region("32.73.01.1001").kind == "Kelurahan"
    assert _region("32.73").kind == "Kota"


def test_small_list_with_header_and_ten_digit_codes():
    result = _import_text("kode,nama\n32,Jawa Barat\n3273,Kota Bandung\n327301,Sukasari\n3273011001,Sukarasa\n")
    assert result.errors == []
    assert result.added == 4
    village = _region("32.73.01.1001")
    assert (village.level, village.parent_code, village.name) == (4, "32.73.01", "Sukarasa")


def test_new_renamed_and_reactivated_codes():
    _import_text(SMALL_LIST)
    renamed = SMALL_LIST.replace("Gegerkalong", "Geger Kalong") + "32.73.02.1002,Lebakgede\n"
    result = _import_text(renamed)
    assert (result.added, result.renamed, result.unchanged) == (1, 1, 6)
    assert _region("32.73.02.1002").name == "Lebakgede"
    assert _region("32.73.01.1002").name == "Geger Kalong"


def test_unreferenced_codes_that_left_the_list_are_deleted():
    _import_text(SMALL_LIST)
    result = _import_text(SMALL_LIST.replace("32.73.02.1001,Cipaganti\n", ""), max_removal=1.0)
    assert result.deleted == 1
    assert _region("32.73.02.1001") is None


def test_referenced_codes_are_kept_inactive_with_their_parents_and_come_back():
    _import_text(SMALL_LIST)
    edition = Edition(code="2026-Q3", label="Triwulan III 2026", is_current=True)
    db.session.add(edition)
    db.session.flush()
    db.session.add(Recipient(edition_id=edition.id, village_code="32.73.02.1001", rt="001", rw="002",
                             name="SITI AMINAH", name_key="siti aminah", nik_hmac="a" * 64, kk_hmac="b" * 64))
    db.session.commit()

    without_coblong = SMALL_LIST.replace("32.73.02,Coblong\n", "").replace("32.73.02.1001,Cipaganti\n", "")
    result = _import_text(without_coblong, max_removal=1.0)
    assert (result.deactivated, result.deleted) == (2, 0)
    assert _region("32.73.02.1001").active is False
    assert _region("32.73.02").active is False  # kept: its child is still referred to

    back = _import_text(SMALL_LIST)
    assert back.reactivated == 2
    assert _region("32.73.02.1001").active is True


def test_malformed_lines_are_reported_with_their_number_and_the_rest_is_kept():
    text = (
        "kode,nama\n"
        "32,Jawa Barat\n"
        "32.73,Kota Bandung\n"
        "32.7x,Rusak\n"              # line 4: bad code
        "32.73.01\n"                 # line 5: one column
        "32.73.01,Sukasari\n"
        "32.73.01.1001,\n"           # line 7: empty name
        "32.73.01.1001,Sukarasa\n"
        "32.73.01.1001,Lagi\n"       # line 9: duplicate
        "32.99.01.1001,Yatim\n"      # line 10: parent missing
        "32.73.01.1002,\"Gegerkalong\",x\n"  # line 11: three columns
    )
    result = _import_text(text)
    lines = [error.line for error in result.errors]
    assert lines == [4, 5, 7, 9, 10, 11]
    assert all(isinstance(error, LineError) for error in result.errors)
    assert str(result.errors[0]).startswith("Baris 4: kode wilayah")
    assert "kode induk 32.99.01" in str(result.errors[4])
    assert result.added == 4
    assert _region("32.73.01.1001").name == "Sukarasa"


def test_nothing_usable_changes_nothing():
    _import_text(SMALL_LIST)
    result = _import_text("kode,nama\nxx,Rusak\n")
    assert result.imported == 0
    assert result.deleted == result.deactivated == 0
    assert _count(4) == 3


def test_a_truncated_list_is_refused_before_anything_changes():
    _import_text(SMALL_LIST)
    with pytest.raises(MassRemovalError, match="tidak ada di daftar baru"):
        _import_text("32,Jawa Barat\n32.73,Kota Bandung\n")
    db.session.rollback()
    assert _count(4) == 3


def test_a_file_that_is_not_utf8_text_is_refused():
    class Broken(io.StringIO):
        def __iter__(self):
            yield "32,Jawa Barat\n"
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    with pytest.raises(RegionFileError, match="setelah baris"):
        read_rows(Broken())


def test_region_rows_keep_their_line_numbers():
    rows, errors = read_rows(io.StringIO("\n32,Jawa Barat\n\n32.73,Kota Bandung\n"))
    assert errors == []
    assert rows == [RegionRow(2, "32", "Jawa Barat"), RegionRow(4, "32.73", "Kota Bandung")]
