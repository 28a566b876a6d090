"""Passphrases: asked on the terminal (hidden, on stderr), or taken from WBS_PASSPHRASE."""

from __future__ import annotations

import os

import click

from functions.errors import WbsError

ENV = "WBS_PASSPHRASE"
MIN_LENGTH = 12


class WeakPassphrase(WbsError, ValueError):
    """A new passphrase is too short to protect a private key."""


def ask(prompt: str, env: str = ENV) -> str:
    """One passphrase, asked once (or the variable ``env``)."""
    return os.environ.get(env) or str(click.prompt(prompt, hide_input=True, err=True))


def ask_new(prompt: str = "New passphrase", env: str = ENV) -> str:
    """A new passphrase, typed twice, at least MIN_LENGTH characters (or the variable ``env``)."""
    value = os.environ.get(env) or str(
        click.prompt(
            f"{prompt} (at least {MIN_LENGTH} characters)",
            hide_input=True,
            confirmation_prompt="Repeat the passphrase",
            err=True,
        )
    )
    if len(value) < MIN_LENGTH:
        raise WeakPassphrase(
            f"the passphrase is shorter than {MIN_LENGTH} characters",
            hint="choose a longer one: four or five unrelated words are strong and easy to recall",
        )
    return value
