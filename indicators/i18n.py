"""One message catalogue for every label the front doors show, Chinese first, English second.

Messages live in ``data/i18n/*.yaml`` (one file per package, so a package's labels sit beside
each other); at load they merge into one catalogue and a key defined twice is an error. A
message is looked up by key and formatted with ``str.format`` keywords.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from indicators.errors import InputError
from indicators.resources import shipped_names, shipped_yaml

__all__ = ["LANGUAGES", "catalogue", "t"]

LANGUAGES: tuple[str, ...] = ("zh", "en")


@cache
def catalogue() -> Mapping[str, Mapping[str, str]]:
    """All messages, ``{key: {"zh": ..., "en": ...}}``, merged from every catalogue file.

    Returns
    -------
    Mapping
        Key to its texts by language; read once per process.

    Raises
    ------
    InputError
        A key defined in two files, or a message lacking a language (naming file and key).

    Notes
    -----
    Merging refuses a repeated key rather than letting the later file win, so one package's
    labels can never silently replace another's.

    Examples
    --------
    >>> sorted(catalogue()["app.title"])
    ['en', 'zh']
    """
    merged: dict[str, Mapping[str, str]] = {}
    for name in shipped_names("i18n"):
        file = f"{name}.yaml"
        entries = shipped_yaml("i18n", file) or {}
        for key, texts in entries.items():
            if key in merged:
                raise InputError(f"消息键 '{key}' 重复定义", f"message key '{key}' is defined twice",
                                 file=file, field=key)
            missing = [lang for lang in LANGUAGES if not (texts or {}).get(lang)]
            if missing:
                raise InputError(f"消息 '{key}' 缺少语言 {missing}",
                                 f"message '{key}' lacks language(s) {missing}",
                                 file=file, field=key)
            merged[key] = dict(texts)
    return merged


def t(key: str, lang: str = "zh", /, **values: object) -> str:
    """The message ``key`` in ``lang``, formatted with ``values``.

    Parameters
    ----------
    key
        The message key, e.g. ``"app.title"``.
    lang
        ``"zh"`` or ``"en"``; a message lacking the language falls back to Chinese.
    **values
        Values for the message's ``str.format`` fields.

    Returns
    -------
    str
        The formatted message, or the key itself when it is unknown.

    Notes
    -----
    An unknown key returns the key itself, so a missing label is visible on the page rather
    than crashing it; the catalogue test asserts every key used in the code exists.

    Examples
    --------
    >>> t("app.title", "en")
    'jixiao — budget performance management'
    """
    texts = catalogue().get(key)
    if texts is None:
        return key
    text = texts.get(lang) or texts["zh"]
    return text.format(**values) if values else text
