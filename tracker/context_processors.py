"""What every page's navigation needs: whether sign-up is open, whether the user may
follow the logs, and how many alerts they have not seen."""

from django.conf import settings

from .alerts import unread_count
from .models import may_view_logs


def navigation(request):
    user = request.user
    return {
        "signup_open": settings.TRACKER_SIGNUP_OPEN,
        "may_view_logs": may_view_logs(user),
        "unread_alerts": unread_count(user) if user.is_authenticated else 0,
    }
