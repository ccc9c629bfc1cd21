"""The fields of a rule, checked: score ranges, ``p_alive`` ranges, texts, and :class:`RuleError`.

:class:`~rfvkit.rules.Rule` and :class:`~rfvkit.rules.RuleSet` check every field with
these helpers; a bad one raises :class:`RuleError` naming the field, which
:mod:`rfvkit.rules_yaml` renders with the file and line in front. Import
``RuleError`` from :mod:`rfvkit.rules`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rfvkit.errors import BadParameterError


class RuleError(BadParameterError):
    """A bad rule or rule set, with the field it is about, so a reader can point at it.

    ``str(error)`` reads on its own ("rule 'Top': r = [5, 4] has lo > hi ..."); the YAML
    reader (:mod:`rfvkit.rules_yaml`) renders the same message with the file and line of
    ``field`` in front, and may replace the ``{who}`` / ``{where}`` parts with what it
    knows better (``rule #2``, ``lines 4 and 8``).
    """

    def __init__(
        self,
        template: str,
        *,
        field: str,
        rule: int | None = None,
        file_template: str | None = None,
        **values: Any,
    ):
        self.template, self.field, self.rule, self.values = template, field, rule, values
        self.file_template = file_template or template
        super().__init__(self.render())

    def render(self, *, in_file: bool = False, **overrides: Any) -> str:
        """The message; ``in_file`` uses the wording for a YAML file (fields, not objects)."""
        template = self.file_template if in_file else self.template
        return template.format(**{**self.values, **overrides})


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _as_range(value: object, axis: str, who: str, rule: int | None) -> tuple[int, int]:
    if _is_int(value):
        lo = hi = int(value)
    elif isinstance(value, list | tuple) and len(value) == 2 and all(map(_is_int, value)):
        lo, hi = int(value[0]), int(value[1])
    else:
        raise RuleError(
            "{who}: {axis} must be a range [lo, hi] of two whole numbers (or one number); "
            "got {value!r}. Write e.g. {axis}: [4, 5].",
            field=axis,
            rule=rule,
            who=who,
            axis=axis,
            value=value,
        )
    if lo > hi:
        raise RuleError(
            "{who}: {axis} = [{lo}, {hi}] has lo > hi; write {axis}: [{hi}, {lo}].",
            field=axis,
            rule=rule,
            who=who,
            axis=axis,
            lo=lo,
            hi=hi,
        )
    return lo, hi


def _share_range(value: object, who: str, rule: int | None) -> tuple[float, float] | None:
    """``p_alive: [lo, hi]``: two shares with 0 <= lo <= hi <= 1 (inclusive), or None."""
    if value is None:
        return None
    pair = list(value) if isinstance(value, list | tuple) else []
    numbers = len(pair) == 2 and all(
        isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)
        for x in pair
    )
    if not numbers or not 0 <= pair[0] <= pair[1] <= 1:
        raise RuleError(
            "{who}: p_alive must be a range [lo, hi] of two shares with 0 <= lo <= hi <= 1; "
            'got {value!r}. Write e.g. p_alive: [0, 0.2] ("still active with probability '
            'at most 20%").',
            field="p_alive",
            rule=rule,
            who=who,
            value=value,
        )
    return float(pair[0]), float(pair[1])


def _text(value: object, key: str, who: str, rule: int | None, *, required: bool) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise RuleError(
            "{who}{key} must be text; got {value!r}.",
            field=key,
            rule=rule,
            who=who,
            key=key,
            value=value,
        )
    return value
