"""The shipped nbgrader configuration and the CLI's help (fast: nothing is graded)."""

from __future__ import annotations

import pytest
from traitlets.config import Configurable, PyFileConfigLoader

from autograder.cli import build_parser
from autograder.course import CONFIG_FILE


def _configurables():
    import nbgrader.apps
    import nbgrader.coursedir
    import nbgrader.exchange
    import nbgrader.preprocessors
    found = {}
    for module in (nbgrader.preprocessors, nbgrader.coursedir, nbgrader.apps, nbgrader.exchange):
        for name in dir(module):
            obj = getattr(module, name)
            if isinstance(obj, type) and issubclass(obj, Configurable):
                found[name] = obj
    return found


def test_every_setting_in_nbgrader_config_is_one_nbgrader_reads():
    config = PyFileConfigLoader(CONFIG_FILE.name, str(CONFIG_FILE.parent)).load_config()
    classes = _configurables()
    assert set(config) >= {"CourseDirectory", "ClearSolutions", "Execute", "IgnorePattern"}
    for section, values in config.items():
        assert section in classes, f"{section} is not an nbgrader class"
        settable = classes[section].class_trait_names(config=True)
        for key in values:
            # nbgrader warns "Config option `X` not recognized by `Y`" otherwise.
            assert key in settable, f"{section}.{key} is not configurable in nbgrader"


COMMANDS = ["release", "roster", "collect", "late-policy", "extend", "grade", "feedback",
            "export", "report"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as e:
        build_parser().parse_args([command, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m autograder {command}") and "--course" in out


def test_the_command_list_is_complete(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out
