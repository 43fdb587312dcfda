"""Signed tokens: unguessable, bound to their purpose, confirm tokens expire, unsubscribe links
can be revoked per subscriber. Time comes from an injected clock (``now=``), never a sleep."""

from __future__ import annotations

import pytest

from pipeline.tokens import (TokenError, TokenExpired, confirm_token, unsubscribe_token, verify_confirm,
                             verify_unsubscribe, verify_unsubscribe_link)

SECRET = "x" * 40
T0 = 1_900_000_000.0


def test_unsubscribe_round_trip_and_forgery():
    t = unsubscribe_token(SECRET, 42)
    assert verify_unsubscribe(SECRET, t) == 42
    for forged in (t.replace("42.", "43."), t[:-1] + ("A" if t[-1] != "A" else "B"), "42", "",
                   unsubscribe_token("y" * 40, 42)):
        with pytest.raises(TokenError):
            verify_unsubscribe(SECRET, forged)


def test_an_unsubscribe_token_carries_its_generation_and_it_cannot_be_changed():
    assert verify_unsubscribe_link(SECRET, unsubscribe_token(SECRET, 42)) == (42, 0)
    t = unsubscribe_token(SECRET, 42, generation=3)
    assert verify_unsubscribe_link(SECRET, t) == (42, 3)
    assert t != unsubscribe_token(SECRET, 42, generation=2)
    for forged in (t.replace("42-3.", "42-4."), t.replace("42-3.", "42."), t.replace("42-3.", "42-03."),
                   t.replace("42-3.", "42-.")):
        with pytest.raises(TokenError):
            verify_unsubscribe_link(SECRET, forged)


def test_confirm_token_expires_and_is_not_an_unsubscribe_token():
    t = confirm_token(SECRET, 7, now=T0)
    assert verify_confirm(SECRET, t, max_age=60, now=T0 + 60) == 7
    with pytest.raises(TokenExpired):
        verify_confirm(SECRET, t, max_age=60, now=T0 + 61)
    with pytest.raises(TokenError):
        verify_confirm(SECRET, unsubscribe_token(SECRET, 7), max_age=60, now=T0)
    with pytest.raises(TokenError):
        verify_unsubscribe(SECRET, t)


def test_a_confirm_token_from_the_real_clock_is_valid_now():
    assert verify_confirm(SECRET, confirm_token(SECRET, 9), max_age=60) == 9
