"""The owner's home learns from the pages app: each program's portal link, and whether it has a portal and a
live promo page."""

from pages.checklist import portal_urls, programs_with_live_promo
from pages.models import PromoPage
from programs.checklist import checklists_for, program_links_for
from tests.pages.conftest import portal_for


def _done(program, key):
    return next(entry.done for entry in checklists_for([program])[program.pk].entries if entry.key == key)


def test_portal_link_and_items_follow_the_portal_and_its_promos(alpha, beta, django_assert_num_queries):
    assert portal_urls([alpha.program, beta.program]) == {}
    assert not _done(alpha.program, "pages.portal")

    site = portal_for(alpha, hostname="alpha.localhost", port=8000)
    portal_for(beta, hostname="beta.example.com")
    with django_assert_num_queries(1):
        urls = portal_urls([alpha.program, beta.program])
    assert urls == {alpha.program.pk: "http://alpha.localhost:8000/", beta.program.pk: "http://beta.example.com/"}
    assert _done(alpha.program, "pages.portal")
    assert program_links_for([alpha.program])[alpha.program.pk][0].url == "http://alpha.localhost:8000/"

    home = site.root_page.specific
    draft = home.add_child(instance=PromoPage(title="Soon", slug="soon", body=[], live=False))
    assert programs_with_live_promo([alpha.program, beta.program]) == set()
    draft.save_revision().publish()
    with django_assert_num_queries(2):
        assert programs_with_live_promo([alpha.program, beta.program]) == {alpha.program.pk}
    assert _done(alpha.program, "pages.promo") and not _done(beta.program, "pages.promo")
