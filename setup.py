"""Ship the top-level ``configs/`` inside the built package (``temporal_ssl/configs``), so a wheel finds them.

Everything else is declared in pyproject.toml. A checkout or an editable install reads ``configs/`` in place
(see ``temporal_ssl.config_files``).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithConfigs(build_py):
    """The usual build, plus a copy of ``configs/`` into the built package."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            source = Path(__file__).resolve().parent / "configs"
            shutil.copytree(source, Path(self.build_lib) / "temporal_ssl" / "configs", dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithConfigs})
