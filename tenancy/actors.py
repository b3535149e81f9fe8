"""Who did it: the one typed actor every write takes.

Four kinds act on Kartka: a **staff** user in the admin, a till or CRM through the POS/CRM API with its **API
key**, a **member** (the customer, in the portal), and the **system** (a scheduled job, a migration, a
command). Every service takes ``actor: Actor``; the rows it writes record the user or the key, and the audit
trail records the kind, so "who" is never a guess::

    card_adjust(card=card, amount=D(50), reason="goodwill", actor=Actor.staff(request.user))
    purchase_record(..., actor=Actor.api(request.auth))
    expire_points(actor=Actor.system("expiry"))
"""

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorKind(models.TextChoices):
    STAFF = "staff", _("Staff user")
    API_KEY = "api_key", _("API key")
    MEMBER = "member", _("Customer")
    SYSTEM = "system", _("System")


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    user: Any = None  # the staff user (Django user), for STAFF
    api_key: Any = None  # programs.ApiKey, for API_KEY
    member: Any = None  # programs.Member, for MEMBER
    job: str = ""  # what the system was doing ("expiry", "seed_demo", …), for SYSTEM

    def __post_init__(self):
        needed = {ActorKind.STAFF: "user", ActorKind.API_KEY: "api_key", ActorKind.MEMBER: "member"}.get(self.kind)
        if needed and getattr(self, needed) is None:
            raise ValueError(f"an actor of kind {self.kind.value!r} needs its {needed}")

    @classmethod
    def staff(cls, user) -> "Actor":
        return cls(ActorKind.STAFF, user=user)

    @classmethod
    def api(cls, api_key) -> "Actor":
        return cls(ActorKind.API_KEY, api_key=api_key)

    @classmethod
    def customer(cls, member) -> "Actor":
        return cls(ActorKind.MEMBER, member=member)

    @classmethod
    def system(cls, job: str = "") -> "Actor":
        return cls(ActorKind.SYSTEM, job=job)

    @property
    def is_system(self) -> bool:
        return self.kind == ActorKind.SYSTEM

    def __str__(self) -> str:
        who = {
            ActorKind.STAFF: lambda: self.user.get_username(),
            ActorKind.API_KEY: lambda: str(self.api_key),
            ActorKind.MEMBER: lambda: str(self.member),
            ActorKind.SYSTEM: lambda: self.job,
        }[self.kind]()
        return f"{self.kind.label}: {who}" if who else str(self.kind.label)


SYSTEM = Actor.system()
