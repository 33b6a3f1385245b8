"""Errors the fake Bot API answers with, in Telegram's envelope."""

from __future__ import annotations

from http import HTTPStatus


class BotApiError(Exception):
    """An error answer: HTTP status = error_code, Telegram's description, optional parameters."""

    def __init__(self, error_code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def envelope(self) -> dict:
        body = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> BotApiError:
    return BotApiError(HTTPStatus.BAD_REQUEST, f"Bad Request: {detail}")


def not_found() -> BotApiError:
    return BotApiError(HTTPStatus.NOT_FOUND, "Not Found")


def unauthorized() -> BotApiError:
    return BotApiError(HTTPStatus.UNAUTHORIZED, "Unauthorized")
