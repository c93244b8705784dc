"""One-line failures for every operator-facing command (the ``pipeline-*`` entry points).

A user's mistake (a missing option, a malformed URL, no credentials, an unknown profile) ends
the command with ``error: <what is wrong and what to do>`` on stderr and a non-zero exit, never a
traceback. A command raises :class:`UserError` for the mistakes it detects itself, and wraps its
``main`` in :func:`one_line`, which also turns botocore's configuration errors into one line.
A traceback is left for what is not the user's mistake: a bug.

    @one_line
    def main(argv: list[str] | None = None) -> int: ...
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TypeVar

import botocore.exceptions

#: Exit status of a user error (argparse uses 2 for a bad command line too).
USAGE_EXIT = 2
#: Exit status when AWS refused a call (credentials valid but not allowed, throttled...).
AWS_EXIT = 1

Main = TypeVar("Main", bound=Callable[..., int | None])


class UserError(Exception):
    """A mistake the user can fix; the message says what to change, in one line."""

    def __init__(self, message: str, exit_code: int = USAGE_EXIT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def describe_aws_error(exc: Exception) -> str | None:
    """One line for a botocore error a user causes (configuration, credentials, refusals);
    None for anything else."""
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return (
            "no AWS credentials found: export AWS_PROFILE=<profile> (see `aws configure list-profiles`) "
            "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(exc, botocore.exceptions.ProfileNotFound):
        return f"{exc}: check AWS_PROFILE against `aws configure list-profiles`"
    if isinstance(exc, botocore.exceptions.NoRegionError):
        return "no AWS region: pass --region or export AWS_REGION=<region>"
    if isinstance(exc, botocore.exceptions.TokenRetrievalError | botocore.exceptions.SSOError):
        return f"{exc}: run `aws sso login` for the profile"
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return f"{exc}: check the region and the network"
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        operation = getattr(exc, "operation_name", "the call")
        code = error.get("Code", "error")
        hint = (
            ": your role lacks a grant (the operator tools need the pipeline's operator_policy_json output)"
            if "AccessDenied" in code or "Authoriz" in code
            else ""
        )
        return f"AWS refused {operation}: {code}: {error.get('Message', exc)}{hint}"
    if isinstance(exc, botocore.exceptions.BotoCoreError):
        return str(exc)
    return None


def fail(message: str, exit_code: int = USAGE_EXIT) -> int:
    """Print ``error: <message>`` to stderr and return ``exit_code``."""
    print(f"error: {message}", file=sys.stderr, flush=True)
    return exit_code


def one_line(main: Main) -> Main:
    """Wrap a command's ``main``: a :class:`UserError` or a botocore error a user causes becomes
    ``error: ...`` on stderr and a non-zero exit status instead of a traceback."""

    @functools.wraps(main)
    def wrapper(*args: object, **kwargs: object) -> int | None:
        try:
            return main(*args, **kwargs)
        except UserError as exc:
            return fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            return fail("interrupted", 130)
        except botocore.exceptions.BotoCoreError as exc:
            return fail(describe_aws_error(exc) or str(exc), AWS_EXIT)
        except botocore.exceptions.ClientError as exc:
            return fail(describe_aws_error(exc) or str(exc), AWS_EXIT)

    return wrapper  # type: ignore[return-value]
