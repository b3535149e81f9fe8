"""Admin times in the program's time zone.

Wagtail shows times in the user's chosen time zone (Account → Preferences), or else the server's ``TIME_ZONE``
(UTC): an owner in Kyiv read a 14:05 purchase as 12:05. Until the owner chooses one, an owner whose programs all
keep one time zone sees that one; an owner of programs in several zones (an agency) keeps the server's and is
better served by choosing. Nothing is saved: the choice stays the owner's.
"""

from wagtail.users.models import UserProfile

from programs import access


class ProgramTimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/admin/") and request.user.is_authenticated:
            try:
                profile = request.user.wagtail_userprofile  # the row Wagtail reads anyway
            except UserProfile.DoesNotExist:
                profile = None
            if profile is None or not profile.current_time_zone:
                # One query per admin page for an owner who has not chosen a zone.
                zones = set(access.programs_for_user(user=request.user).values_list("timezone", flat=True)[:50])
                if len(zones) == 1:
                    profile = profile or UserProfile(user=request.user)
                    profile.current_time_zone = zones.pop()  # on this request's copy only
                    request.user.wagtail_userprofile = profile
        return self.get_response(request)
