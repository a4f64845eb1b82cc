"""The shared "go back to" check: only paths on this site pass."""

from __future__ import annotations

import pytest

from portal.web import is_local_path


@pytest.mark.parametrize("target", ["/", "/privasi", "/cek?tab=nama&provinsi=32"])
def test_local_paths_pass(target):
    assert is_local_path(target)


@pytest.mark.parametrize(
    "target", [None, "", "privasi", "//evil.example/", "/\\evil.example", "https://evil.example/",
               "javascript:alert(1)", "/a b", "/" + "x" * 300],
)
def test_anything_else_is_refused(target):
    assert not is_local_path(target)
