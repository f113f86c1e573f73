"""Each role's defaults, and which topics a role may hear about at all. A person's own choice
(Preference) overrides their role's default for that topic."""

from notices.models import Channel, Topic

ROLES = ("Observer", "Customer service", "Supervisor", "Admin")  # the groups common/migrations/0003_roles makes
OFF, SITE, NOW, HOURLY, DAILY = Channel.OFF, Channel.SITE, Channel.IMMEDIATE, Channel.HOURLY, Channel.DAILY

# topic -> the default for each role, in ROLES' order. Observers watch; customer service hear in the site
# about what they may act on; supervisors are emailed what needs a person; admins get the rest in a digest.
DEFAULTS: dict[Topic, tuple[Channel, Channel, Channel, Channel]] = {
    Topic.ATTENTION: (OFF, SITE, HOURLY, HOURLY),
    Topic.UNKNOWN: (OFF, SITE, HOURLY, DAILY),
    Topic.BATCH: (OFF, SITE, HOURLY, DAILY),
    Topic.STOCK: (SITE, SITE, NOW, DAILY),
    Topic.DRIFT: (OFF, OFF, DAILY, DAILY),
    Topic.REPLACEMENT: (OFF, SITE, NOW, HOURLY),
    Topic.WEBHOOK: (OFF, OFF, NOW, NOW),
}
# Webhook subscriptions are the Supervisor's and the Admin's to manage: nobody else is told of them.
ONLY_FOR = {Topic.WEBHOOK: {"Supervisor", "Admin"}}


def role_of(group_names: set[str], *, superuser: bool = False) -> str | None:
    """The highest of a person's roles (an account in none sees nothing, and hears nothing)."""
    if superuser:
        return "Admin"
    return next((role for role in reversed(ROLES) if role in group_names), None)


def topics_for(role: str | None) -> list[Topic]:
    """The topics a role may hear about, in the preferences page's order."""
    if role is None:
        return []
    return [topic for topic in Topic if role in ONLY_FOR.get(topic, set(ROLES))]


def default_channel(role: str | None, topic: Topic) -> Channel:
    if topic not in topics_for(role):
        return Channel.OFF
    return DEFAULTS[topic][ROLES.index(role)]
