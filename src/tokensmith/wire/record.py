"""The base of every wire model: built from a record's attributes of the same names."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, BeforeValidator

#: Scopes go out sorted, whatever collection the record holds them in.
Scopes = Annotated[list[str], BeforeValidator(sorted)]


class Record(BaseModel):
    """A wire shape whose fields are attributes of the record it describes (a service record, or the
    SDK's model of the same shape)."""

    @classmethod
    def of(cls, source: object, **extra: object) -> Self:
        """This shape of ``source``: each field read from its attribute of the same name, unless given in
        ``extra`` (a secret shown once, say). Nothing else of ``source`` is read."""
        return cls.model_validate(
            {name: extra[name] if name in extra else getattr(source, name) for name in cls.model_fields}
        )
