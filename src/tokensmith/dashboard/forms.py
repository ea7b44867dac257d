"""A form as its page shows it again after a refusal: what the user typed, and each error next
to the field it is about (``aria-invalid`` + ``aria-describedby`` in ``_fields.html``).

The rules stay in the services: a refusal (``BadRequest``, ``Forbidden``) is caught here only to
be placed next to the field its message is about. Warnings that need a second deliberate click
(no scope, no expiry) are a server-side confirm step: the form comes back with the warning and a
hidden ``confirmed`` field, so no JavaScript is needed for it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from tokensmith.core.errors import BadRequest, Forbidden, ProblemError
from tokensmith.core.labels import clean_description, clean_name
from tokensmith.dashboard.once import Outcome, run_once
from tokensmith.dashboard.pages import Page, redirect
from tokensmith.services.reveals import Claim

#: Which refusals a form shows next to a field (the others keep the error page).
FORM_ERRORS = (BadRequest, Forbidden)
CONFIRMED_FIELD = "confirmed"


@dataclass
class Form:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    #: Warnings the user confirms by submitting again (``confirmed`` carries their names).
    warnings: dict[str, str] = field(default_factory=dict)

    def value(self, name: str, default: Any = "") -> Any:
        return self.values.get(name, default)


def sentence(text: str) -> str:
    """A service's message as a sentence: capitalised, with a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def place_error(form: Form, exc: ProblemError, fields: Collection[str], fallback: str) -> None:
    """Put ``exc``'s message next to the field it is about (:attr:`ProblemError.field`, named by
    the rule that refused), or next to ``fallback`` when that is not one of this form's ``fields``."""
    target = exc.field if exc.field is not None and exc.field in fields else fallback
    form.errors[target] = sentence(exc.description)


def unconfirmed(form: Form, confirmed: Sequence[str], warnings: dict[str, str]) -> bool:
    """Record the ``warnings`` not yet confirmed; ``True`` when any remain (show the form again)."""
    form.warnings = {name: text for name, text in warnings.items() if name not in confirmed}
    return bool(form.warnings)


def check_labels(form: Form, fields: Collection[str]) -> None:
    """Name and description through the labels rule the service applies again (here so that their
    errors show before any confirm step)."""
    for name, clean in (("name", clean_name), ("description", clean_description)):
        try:
            clean(form.values.get(name, ""))
        except ProblemError as exc:
            place_error(form, exc, fields, fallback=name)


def submit(
    page: Page,
    form: Form,
    action: Callable[[Claim], Outcome],
    *,
    fallback_url: str,
    fields: Sequence[str],
    render: Callable[[Form, int], Response],
) -> Response:
    """Run a create form's action once (post/redirect/get); a refusal shows the form again with
    the error next to its field, with the refusal's status."""
    try:
        return run_once(page, action, fallback=fallback_url)
    except FORM_ERRORS as exc:
        place_error(form, exc, fields, fallback=fields[0])
        return render(form, exc.status)


#: The name and description fields every edit form has.
LABEL_FIELDS = ("name", "description")


def edit_labels(
    page: Page, save: Callable[[str, str], str], show: Callable[[Form, int], Response]
) -> Response:
    """An edit form's POST: ``save(name, description)`` returns where to go (303); a refusal
    shows the page again through ``show`` with the error next to its field."""
    form = Form(values={"name": page.field("name"), "description": page.field("description")})
    try:
        return redirect(save(form.values["name"], form.values["description"]))
    except FORM_ERRORS as exc:
        place_error(form, exc, LABEL_FIELDS, fallback="name")
        return show(form, exc.status)
