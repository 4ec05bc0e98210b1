from __future__ import annotations

import re
import sys
import textwrap

import pytest

from temporal_ssl.errors import ConfigError
from temporal_ssl.registry import Registry, import_plugin


def _registry() -> Registry:
    registry = Registry("widget")

    @registry.register()
    def small_widget(*, width: int = 4, depth: int = 2, num_classes: int = 10) -> dict:
        return {"width": width, "depth": depth, "num_classes": num_classes}

    @registry.register("free_widget")
    def anything(**options: int) -> dict:
        return dict(options)

    return registry


def test_build_passes_options_and_fixed_keywords() -> None:
    built = _registry().build("small_widget", {"width": 8}, num_classes=3)
    assert built == {"width": 8, "depth": 2, "num_classes": 3}


def test_unknown_name_lists_registered_names_and_suggests_closest() -> None:
    with pytest.raises(ConfigError,
                       match=re.escape("unknown widget 'smal_widget'; did you mean 'small_widget'?")):
        _registry().get("smal_widget")
    with pytest.raises(ConfigError, match="free_widget, small_widget"):
        _registry().get("nothing_alike_at_all")


def test_unknown_option_names_config_path_and_valid_keys() -> None:
    with pytest.raises(ConfigError) as error:
        _registry().build("small_widget", {"widht": 3}, where="model.encoder")
    message = str(error.value)
    assert "unknown key 'model.encoder.widht'; did you mean 'width'?" in message
    assert "depth, num_classes, width" in message


def test_fixed_keywords_are_not_offered_as_user_options() -> None:
    with pytest.raises(ConfigError) as error:
        _registry().build("small_widget", {"num_classes": 3}, num_classes=5)
    assert "Valid keys under 'widget': depth, width" in str(error.value)


def test_var_keyword_components_accept_any_option() -> None:
    assert _registry().build("free_widget", {"x": 1}) == {"x": 1}


def test_registering_two_objects_under_one_name_fails() -> None:
    registry = _registry()
    with pytest.raises(ConfigError, match="registered twice"):
        registry.register("small_widget")(lambda: None)


def test_import_plugin_registers_user_components(tmp_path, monkeypatch) -> None:
    (tmp_path / "my_plugin_mod.py").write_text(textwrap.dedent("""
        from temporal_ssl.registry import Registry
        REG = Registry("thing")
        @REG.register()
        def mine():
            return 42
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    import_plugin("my_plugin_mod")
    assert sys.modules["my_plugin_mod"].REG.build("mine") == 42


def test_import_plugin_missing_module_says_what_to_do() -> None:
    with pytest.raises(ConfigError, match="cannot import plugin module 'no_such_module_xyz'.*PYTHONPATH"):
        import_plugin("no_such_module_xyz")
