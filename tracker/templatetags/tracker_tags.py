"""Template filters: whether the user may change an incident or area."""

from django import template

from tracker.models import may_change as _may_change

register = template.Library()


@register.filter
def may_change(instance, user):
    return _may_change(user, instance)
