"""The Sustainable Development Goals and their targets, vendored as data (pure; no I/O).

Source: the global indicator framework adopted by the UN General Assembly (A/RES/71/313, annex) as
published by the UN Statistics Division, https://unstats.un.org/sdgs/indicators/indicators-list/ and
its API https://unstats.un.org/SDGAPI/v1/sdg/Target/List (17 goals, 169 targets: numbered targets
``g.n`` and means-of-implementation targets ``g.a``, ``g.b`` ...). Goal titles are the UN's short
titles. Tests check the totals, so an edit that drops or invents a target fails.
"""

from __future__ import annotations

__all__ = ("GOALS", "TARGETS", "is_known")

GOALS: dict[int, str] = {
    1: 'No poverty',
    2: 'Zero hunger',
    3: 'Good health and well-being',
    4: 'Quality education',
    5: 'Gender equality',
    6: 'Clean water and sanitation',
    7: 'Affordable and clean energy',
    8: 'Decent work and economic growth',
    9: 'Industry, innovation and infrastructure',
    10: 'Reduced inequalities',
    11: 'Sustainable cities and communities',
    12: 'Responsible consumption and production',
    13: 'Climate action',
    14: 'Life below water',
    15: 'Life on land',
    16: 'Peace, justice and strong institutions',
    17: 'Partnerships for the goals',
}
"""Goal number -> short title."""

TARGETS: dict[int, tuple[str, ...]] = {
    1: ('1.1', '1.2', '1.3', '1.4', '1.5', '1.a', '1.b'),
    2: ('2.1', '2.2', '2.3', '2.4', '2.5', '2.a', '2.b', '2.c'),
    3: ('3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '3.7', '3.8', '3.9', '3.a', '3.b', '3.c', '3.d'),
    4: ('4.1', '4.2', '4.3', '4.4', '4.5', '4.6', '4.7', '4.a', '4.b', '4.c'),
    5: ('5.1', '5.2', '5.3', '5.4', '5.5', '5.6', '5.a', '5.b', '5.c'),
    6: ('6.1', '6.2', '6.3', '6.4', '6.5', '6.6', '6.a', '6.b'),
    7: ('7.1', '7.2', '7.3', '7.a', '7.b'),
    8: ('8.1', '8.2', '8.3', '8.4', '8.5', '8.6', '8.7', '8.8', '8.9', '8.10', '8.a', '8.b'),
    9: ('9.1', '9.2', '9.3', '9.4', '9.5', '9.a', '9.b', '9.c'),
    10: ('10.1', '10.2', '10.3', '10.4', '10.5', '10.6', '10.7', '10.a', '10.b', '10.c'),
    11: ('11.1', '11.2', '11.3', '11.4', '11.5', '11.6', '11.7', '11.a', '11.b', '11.c'),
    12: ('12.1', '12.2', '12.3', '12.4', '12.5', '12.6', '12.7', '12.8', '12.a', '12.b', '12.c'),
    13: ('13.1', '13.2', '13.3', '13.a', '13.b'),
    14: ('14.1', '14.2', '14.3', '14.4', '14.5', '14.6', '14.7', '14.a', '14.b', '14.c'),
    15: ('15.1', '15.2', '15.3', '15.4', '15.5', '15.6', '15.7', '15.8', '15.9', '15.a', '15.b', '15.c'),
    16: ('16.1', '16.2', '16.3', '16.4', '16.5', '16.6', '16.7', '16.8', '16.9', '16.10', '16.a', '16.b'),
    17: ('17.1', '17.2', '17.3', '17.4', '17.5', '17.6', '17.7', '17.8', '17.9', '17.10',
         '17.11', '17.12', '17.13', '17.14', '17.15', '17.16', '17.17', '17.18', '17.19'),
}
"""Goal number -> its target codes, in the UN's order."""

_KNOWN = frozenset([str(goal) for goal in GOALS] + [code for codes in TARGETS.values() for code in codes])


def is_known(code: str) -> bool:
    """Whether ``code`` is a goal (``"11"``) or a target (``"11.3"``, ``"11.a"``)."""
    return code in _KNOWN
