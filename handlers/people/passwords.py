"""The password policy: long enough, not the username, not commonly used.

Strength is judged by zxcvbn (Dropbox's estimator: dictionaries of common passwords, names
and words, keyboard patterns, repeats, dates), which also gives the reason in words.
"""
from __future__ import annotations

from zxcvbn import zxcvbn

MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 would hash megabytes; nobody types that much
#: zxcvbn's score from 0 (too guessable) to 4; 3 = "safely unguessable" for online attacks
#: and a good part of offline ones on a slow hash
MIN_SCORE = 3
#: zxcvbn's time grows with the length; the first characters decide the score anyway
_SCORED = 100


def password_problems(password: str | None, username: str = "",
                      display_name: str = "") -> list[str]:
    """Why ``password`` is refused, in words (empty list: accepted)."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        return [f"at least {MIN_PASSWORD} characters"]
    if len(password) > MAX_PASSWORD:
        return [f"at most {MAX_PASSWORD} characters"]
    if username and password.strip().lower() == username.strip().lower():
        return ["the password must not be the username"]
    inputs = [v for v in (username, display_name, *display_name.split()) if v]
    result = zxcvbn(password[:_SCORED], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return []
    feedback = result["feedback"]
    reason = feedback.get("warning") or "this password is too easy to guess"
    hints = " ".join(feedback.get("suggestions") or [])
    return [f"{reason.rstrip('.')}. {hints}".strip()]
