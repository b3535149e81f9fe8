from io import BytesIO

import pytest
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model

from tenancy.actors import Actor
from tests.programs.admin_support import build_tenant


def make_image(business, *, size=(200, 200), fmt="PNG", title="Image", colour="#b03a5b", content=None):
    """A Wagtail image of ``size`` in ``fmt`` (PNG, JPEG, GIF…) stored in ``business``'s collection (``content``:
    the file's bytes instead of a plain rectangle)."""
    buffer = BytesIO(content or b"")
    if content is None:
        PILImage.new("RGB", size, colour).save(buffer, format=fmt)
    extension = {"JPEG": "jpg"}.get(fmt, fmt.lower())
    image = get_image_model()(title=title, collection=business.collection)
    image.file = ImageFile(BytesIO(buffer.getvalue()), name=f"{title.lower().replace(' ', '-')}.{extension}")
    image.save()
    return image


@pytest.fixture
def alpha(db):
    return build_tenant("alpha", phone="+380501000001", first_name="Anna")


@pytest.fixture
def beta(db):
    return build_tenant("beta", phone="+380672000002", first_name="Bohdan")


@pytest.fixture
def actor(alpha):
    return Actor.staff(alpha.owner)
