"""The bad-input corpus (bad_inputs.py): exit 2, one line naming the file and key, nothing left behind."""

import pytest
from bad_inputs import Ctx, cases, make_base, snapshot

from locoaudit.cli import main


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus_base")
    make_base(folder)
    return folder


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.id)
def test_bad_input_is_one_line_exit_2_and_leaves_nothing(case, base, tmp_path, capsys):
    argv = case.argv(Ctx(tmp_path, base))
    before = snapshot(tmp_path)
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:  # argparse exits; main returns: normalise both
        raise SystemExit(main(argv))
    err = capsys.readouterr().err
    assert stop.value.code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("locoaudit: error: "), err
    assert case.expect in lines[0], lines[0]
    assert snapshot(tmp_path) == before, "files were left behind or changed"
