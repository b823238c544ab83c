"""Absolute links (emails, the embed snippet, downloads) point at the host the site is reached
on; without a request (commands, background tasks) at SITE_URL."""

import csv
import io
import json
import re
import time

import pytest
from django.urls import reverse

from directory.forms import fill_token
from editor import invitations
from partnerships import emails
from partnerships.models import PublicationState
from tests.factories import make_contact, make_partnership, make_user

HOST = "directory.example.org"


@pytest.fixture(autouse=True)
def served_elsewhere(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    settings.SITE_URL = "https://canonical.example.net"


@pytest.mark.django_db
def test_the_embed_snippet_uses_the_host_the_page_was_reached_on(client):
    content = client.get("/?q=reading", HTTP_HOST=HOST).text

    snippet = re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', content, re.S)[1]
    assert f'src="http://{HOST}/embed/?q=reading"' in snippet
    assert "127.0.0.1" not in content and "canonical.example.net" not in content


@pytest.mark.django_db
def test_https_requests_get_https_links(client):
    content = client.get("/", HTTP_HOST=HOST, secure=True).text

    assert f'src="https://{HOST}/embed/' in content


@pytest.mark.django_db
def test_the_csv_and_geojson_link_each_entry_on_the_request_s_host(client):
    partnership = make_partnership()
    page = f"http://{HOST}{partnership.get_absolute_url()}"

    response = client.get("/export.csv", HTTP_HOST=HOST)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    [record, trailer] = list(csv.DictReader(io.StringIO(text)))
    assert record["Directory page"] == page
    assert trailer["Name"] == "# End of export: 1 partnerships"

    response = client.get("/export.geojson", HTTP_HOST=HOST)
    geojson = json.loads(b"".join(response.streaming_content))
    assert geojson["features"][0]["properties"]["url"] == page


@pytest.mark.django_db
def test_a_contact_message_sent_from_the_site_links_to_the_site_s_host(client, mailoutbox):
    partnership = make_partnership()
    make_contact(partnership, is_lead=True, email="lead@example.org")

    client.post(
        reverse("directory:contact", args=[partnership.slug]),
        {
            "name": "Alex Librarian",
            "email": "alex@example.net",
            "message": "Could our library join?",
            "leave_empty": "",
            "started": fill_token(partnership.pk, issued_at=time.time() - 10),
        },
        HTTP_HOST=HOST,
    )

    assert len(mailoutbox) == 2
    for message in mailoutbox:
        assert f"http://{HOST}{partnership.get_absolute_url()}" in message.body


@pytest.mark.django_db(transaction=True)
def test_an_email_a_service_sends_while_serving_a_request_links_to_its_host(client, mailoutbox):
    # transaction=True: the email goes on commit, which happens inside the request here, as in
    # production (a test transaction would hold it back until after the request).
    editor = make_user()
    partnership = make_partnership(publication_state=PublicationState.PENDING)
    partnership.editors.add(editor)
    client.force_login(make_user(is_superuser=True, is_staff=True))

    client.post(reverse("curation:approve", args=[partnership.pk]), HTTP_HOST=HOST)

    [message] = mailoutbox
    assert message.to == [editor.email]
    assert f"http://{HOST}{partnership.get_absolute_url()}" in message.body


@pytest.mark.django_db
def test_an_invitation_links_to_the_request_s_host_when_given_one(rf, mailoutbox):
    partnership = make_partnership()
    inviter = make_user()

    invitations.send_invitation(
        partnership, email="co@example.org", inviter=inviter, request=rf.get("/", HTTP_HOST=HOST)
    )
    invitations.send_invitation(partnership, email="co@example.org", inviter=inviter)

    assert f"http://{HOST}/invitations/" in mailoutbox[0].body
    assert "https://canonical.example.net/invitations/" in mailoutbox[1].body


@pytest.mark.django_db
def test_emails_sent_without_a_request_use_site_url(mailoutbox):
    # As a management command or a background task sends them.
    partnership = make_partnership(publication_state=PublicationState.PENDING)
    editor = make_user()
    partnership.editors.add(editor)

    emails.send("approved", {"partnership": partnership, "message": ""}, [editor.email])

    assert f"https://canonical.example.net{partnership.get_absolute_url()}" in (mailoutbox[0].body)
