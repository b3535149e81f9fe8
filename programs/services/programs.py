"""Programs: the renewal of a program's configuration token."""

from programs.models import Program, config_token_new


def program_config_renew(*, program_id: int) -> int:
    """Give the program a new ``config_version`` and return it.

    Every process caches what it derives from a program's configuration (rule snapshots,
    ``selectors.rules_for_card_type``; webhook subscriptions, ``webhooks.selectors``) under this token and reads
    it with the program row, so renewing it makes every such cache stale at once. Anything that changes such
    configuration calls this. One ``UPDATE``, no lock; a missing program is no error (nothing to renew).
    """
    token = config_token_new()
    Program.objects.filter(pk=program_id).update(config_version=token)
    return token
