"""A typed view of the flask-smorest blueprint (the package ships no type hints): its decorators keep
the type of the function they decorate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Blp(Protocol):
    """The parts of ``flask_smorest.Blueprint`` the API uses."""

    name: str

    def route(self, rule: str, *, parameters: Any = ..., tags: Any = ..., **options: Any) -> Callable[[F], F]: ...

    def arguments(self, schema: Any, **kwargs: Any) -> Callable[[F], F]: ...

    def response(self, status_code: int, schema: Any = ..., **kwargs: Any) -> Callable[[F], F]: ...

    def alt_response(self, status_code: int, **kwargs: Any) -> Callable[[F], F]: ...

    def doc(self, **kwargs: Any) -> Callable[[F], F]: ...

    def before_request(self, f: F) -> F: ...

    def after_request(self, f: F) -> F: ...

    def teardown_request(self, f: F) -> F: ...

    def errorhandler(self, code_or_exception: Any) -> Callable[[F], F]: ...

    def register_error_handler(self, code_or_exception: Any, f: Callable[..., Any]) -> None: ...


Decorator = Callable[[F], F]
