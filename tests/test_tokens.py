"""Signed tokens: unguessable, bound to their purpose, confirm tokens expire."""

from __future__ import annotations

import time

import pytest

from pipeline.tokens import (TokenError, TokenExpired, confirm_token, unsubscribe_token, verify_confirm,
                             verify_unsubscribe)

SECRET = "x" * 40


def test_unsubscribe_round_trip_and_forgery():
    t = unsubscribe_token(SECRET, 42)
    assert verify_unsubscribe(SECRET, t) == 42
    for forged in (t.replace("42.", "43."), t[:-1] + ("A" if t[-1] != "A" else "B"), "42", "",
                   unsubscribe_token("y" * 40, 42)):
        with pytest.raises(TokenError):
            verify_unsubscribe(SECRET, forged)


def test_confirm_token_expires_and_is_not_an_unsubscribe_token():
    t = confirm_token(SECRET, 7)
    assert verify_confirm(SECRET, t, max_age=60) == 7
    time.sleep(1.1)
    with pytest.raises(TokenExpired):
        verify_confirm(SECRET, t, max_age=0)
    with pytest.raises(TokenError):
        verify_confirm(SECRET, unsubscribe_token(SECRET, 7), max_age=60)
    with pytest.raises(TokenError):
        verify_unsubscribe(SECRET, t)
