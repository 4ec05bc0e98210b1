"""The ``tssl`` command, ``python -m temporal_ssl``, the tools/ scripts and configs addressed by name."""

from __future__ import annotations

import importlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from temporal_ssl.cli import COMMANDS, main
from temporal_ssl.config_files import config_names, packaged_configs, resolve_config
from temporal_ssl.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert f"  {command} " in out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pretrian"]) == 2
    assert "unknown command 'pretrian'" in capsys.readouterr().err


@pytest.mark.parametrize("script", sorted(p.stem for p in (REPO / "tools").glob("*.py")))
def test_each_tool_script_runs_its_command_module(script: str) -> None:
    """tools/<x>.py is a thin script over temporal_ssl.cli.<x>.main, the function `tssl` runs."""
    source = (REPO / "tools" / f"{script}.py").read_text()
    assert f"from temporal_ssl.cli.{script} import main" in source
    module_names = {module for module, _ in COMMANDS.values()}
    assert script in module_names


def test_every_installed_command_module_has_a_main() -> None:
    for module_name, _ in COMMANDS.values():
        try:
            module = importlib.import_module(f"temporal_ssl.cli.{module_name}")
        except ModuleNotFoundError as error:
            pytest.fail(f"command module temporal_ssl.cli.{module_name} is missing: {error}")
        assert callable(module.main)


def test_configs_resolve_by_name_and_by_path() -> None:
    by_name = resolve_config("vcop", "pretrain")
    assert by_name == packaged_configs() / "pretrain" / "vcop.yaml"
    assert resolve_config(str(by_name), "pretrain") == by_name
    by_kind = resolve_config("ucf101/finetune_split1", "eval")
    assert resolve_config("eval/ucf101/finetune_split1", "eval") == by_kind
    assert resolve_config("ucf101.yaml", "data").name == "ucf101.yaml"
    assert "vcop" in config_names("pretrain")


def test_unknown_config_name_lists_the_packaged_ones() -> None:
    with pytest.raises(ConfigError, match="packaged pretrain configs: .*vcop"):
        resolve_config("vcoop", "pretrain")


def test_python_dash_m_runs_a_command_with_a_packaged_config(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "temporal_ssl", "pretrain", "--config", "vcop", "--dry-run"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "config OK: pretext 'vcop'" in result.stdout


def test_wheel_ships_configs_schema_and_the_console_command(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path),
         str(REPO)],
        capture_output=True, text=True, timeout=600,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("temporal_ssl-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for config in (REPO / "configs").rglob("*.yaml"):
        assert f"temporal_ssl/configs/{config.relative_to(REPO / 'configs').as_posix()}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tssl = temporal_ssl.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    assert not any(name.startswith(("tests/", "tools/", "benchmarks/")) for name in names)
