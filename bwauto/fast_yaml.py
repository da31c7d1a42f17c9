"""``FastLoader``: PyYAML's safe loader on libyaml, with the tag of each plain scalar memoised.

libyaml's composer calls the loader's Python ``resolve()`` once per scalar, key or value: 23,000
times for a 1,000-link ``links.yaml``, where the same few thousand texts recur (keys, platforms,
rates). ``FastLoader`` asks ``resolve()`` once per distinct scalar and document; every value
and error stays PyYAML's.

Examples:
    >>> loader = FastLoader("- {a: 1, b: yes}\\n- {a: 1, b: 'yes'}\\n")
    >>> loader.get_single_data()
    [{'a': 1, 'b': True}, {'a': 1, 'b': 'yes'}]
    >>> sorted(loader.tags)  # doctest: +NORMALIZE_WHITESPACE
    [('1', (True, False)), ('a', (True, False)), ('b', (True, False)),
     ('yes', (False, True)), ('yes', (True, False))]
    >>> loader.dispose()
"""

from __future__ import annotations

from typing import Any

from yaml.nodes import ScalarNode

try:
    from yaml import CSafeLoader as _Base
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _Base  # type: ignore[assignment]


class FastLoader(_Base):
    """``CSafeLoader`` (else ``SafeLoader``) whose ``resolve`` is memoised for scalars.

    Why memoising is exact: ``BaseResolver.resolve(kind, value, implicit)`` reads, besides its
    arguments, only the class's ``yaml_implicit_resolvers`` (fixed while a document is read) and
    its path resolvers (``yaml_path_resolvers``), of which the safe loader has none: no
    ``add_path_resolver`` is ever called on it, so the composer's path (``descend_resolver``)
    cannot change a tag. The tag of a scalar is therefore a function of
    ``(value, implicit)``; ``tests/test_yaml_reading.py`` checks that the safe loader still has no
    path resolvers. The memo lives in one loader, i.e. one document.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.tags: dict[tuple[str, tuple[bool, bool]], str] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """The tag PyYAML's resolver gives; for a scalar, asked once per distinct text."""
        if kind is not ScalarNode:
            return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        key = (value, implicit)
        tag = self.tags.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
            self.tags[key] = tag
        return tag
