"""The words of account mail: (subject, text) of each kind. Plain text, one language.

Links open the app (``LINK``, its deep-link scheme) with the token in the query; the token is
also written out on its own, for typing it in on another device.
"""

from __future__ import annotations

LINK = "glimpse://"
SIGNATURE = "\n\n— Glimpse\n"


def _hours(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(1, seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def verify_email(username: str, token: str, lifetime: int) -> tuple[str, str]:
    return (
        "Confirm your email address for Glimpse",
        f"Hi @{username},\n\n"
        "Please confirm that this is your email address: open this link in the Glimpse app\n\n"
        f"  {LINK}email/verify?token={token}\n\n"
        f"or enter this code: {token}\n\n"
        f"The link works once, for {_hours(lifetime)}. If you did not ask for it, ignore "
        "this mail: nothing changes." + SIGNATURE,
    )


def address_in_use() -> tuple[str, str]:
    return (
        "Someone tried to sign up with your email address",
        "Hi,\n\n"
        "Someone just tried to use this email address for a new Glimpse account (or to put "
        "it on another account). It already belongs to your account, so nothing changed and "
        "no other account can use it.\n\n"
        "If it was you: you already have an account. Sign in with this address, or, if you "
        "forgot your password, ask for a new one from the sign-in screen.\n\n"
        "If it was not you, you need not do anything." + SIGNATURE,
    )


def email_changed(username: str) -> tuple[str, str]:
    return (
        "Your Glimpse email address was changed",
        f"Hi @{username},\n\n"
        "The email address of your Glimpse account was just changed to another one, and "
        "mail for the account will no longer come here.\n\n"
        "If you did this, you need not do anything. If you did not, sign in and change it "
        "back, change your password, and sign out your other sessions." + SIGNATURE,
    )


def reset_password(username: str, token: str, lifetime: int) -> tuple[str, str]:
    return (
        "Reset your Glimpse password",
        f"Hi @{username},\n\n"
        "Someone (hopefully you) asked to reset the password of your Glimpse account. To "
        "choose a new one, open this link in the Glimpse app\n\n"
        f"  {LINK}password/reset?token={token}\n\n"
        f"or enter this code: {token}\n\n"
        f"The link works once, for {_hours(lifetime)}; setting a new password signs out "
        "every device. If you did not ask for it, ignore this mail: your password stays as "
        "it is." + SIGNATURE,
    )
