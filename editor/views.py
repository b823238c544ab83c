"""Screens for partnership editors: register, edit, preview and submit a partnership, invite
co-editors, and read agreement documents.

Every page about one partnership starts from `Partnership.objects.editable_by(user)`, so a
partnership someone may not edit is a 404 to them, never a 403: its existence is not revealed."""

from collections import Counter
from pathlib import PurePosixPath
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from directory.forms import ContactForm
from editor import invitations, uploads
from editor.forms import (
    WELSH_FIELDS,
    InvitationForm,
    JoinDecisionForm,
    PartnershipEditor,
    PartnershipForm,
    carry_uploads,
    empty_snapshot,
)
from partnerships import confirmation_links, freshness, history, join_requests, services
from partnerships.languages import ENGLISH, WELSH, reading_welsh
from partnerships.models import (
    Activity,
    Agreement,
    AgreementKind,
    AgreementStatus,
    CommunicationChannel,
    Contact,
    Decision,
    Membership,
    ModerationEvent,
    Organisation,
    Partnership,
    Place,
    PublicationState,
    Region,
    Revision,
    RevisionState,
    Role,
    split_place_text,
)

ACTION_DRAFT, ACTION_SUBMIT, ACTION_MORE = "draft", "submit", "more"


def _editable(request, pk):
    return get_object_or_404(Partnership.objects.editable_by(request.user), pk=pk)


# Registering and editing ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def new(request):
    """Register a partnership: a draft with the signed-in user as its first editor. The gap
    map's "Start a partnership here" opens it with `?town=` filled in."""
    base = _with_town(request.GET.get("town", "")) if request.method == "GET" else None
    return _edit_page(request, partnership=None, base=base)


def _with_town(text):
    """A new partnership's starting point with the area served set to the town, and its region
    when the gazetteer knows a town of exactly that name (a region or nation after a comma picks
    between towns of one name: "Newport, Wales"). A town it does not know is filled in as
    typed; nothing here is an error. None without a town."""
    text = " ".join(text.split())[: Partnership._meta.get_field("area_name").max_length]
    if not text:
        return None
    fields = {"area_name": text}
    place = Place.objects.resolve(text)
    if place is not None and place.search_name == split_place_text(text)[0]:
        fields["area_name"] = place.name
        if place.region_id:
            fields["region"] = place.region.slug
    return {**empty_snapshot(), "fields": fields}


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    partnership = _editable(request, pk)
    return _edit_page(request, partnership=partnership, base=services.working_copy(partnership))


def _edit_page(request, *, partnership, base):
    if request.method != "POST":
        editor = PartnershipEditor(user=request.user, base=base)
        return _render_editor(request, editor, partnership)
    data, files = request.POST.copy(), request.FILES.copy()
    carry_uploads(data, files, request.user)
    editor = PartnershipEditor(user=request.user, base=base, data=data, files=files)
    action = data.get("action", ACTION_DRAFT)
    if action == ACTION_MORE:
        # Stores nothing but the files (already done above), and shows no errors yet.
        return _render_editor(request, editor.with_more_rows(), partnership)
    submit = action == ACTION_SUBMIT
    if not editor.is_valid(submit=submit):
        return _render_editor(request, editor, partnership, status=400, submit=submit)
    with transaction.atomic():
        snapshot = editor.snapshot()
        if partnership is None:
            partnership = services.create_partnership(data=snapshot, user=request.user)
        else:
            services.save_edit(partnership, data=snapshot, user=request.user)
        if submit:
            try:
                services.submit_for_review(partnership, user=request.user)
            except ValueError as error:
                messages.error(request, str(error))
                submit = False
    partnership.refresh_from_db()
    if submit:
        messages.success(
            request,
            gettext(
                "“%(name)s” has been sent to the moderators. We will email you when they have "
                "looked at it."
            )
            % {"name": partnership.display_name},
        )
    elif partnership.is_published:
        messages.success(
            request,
            gettext(
                "Your changes are saved but not yet public. Submit them for review when they "
                "are ready."
            ),
        )
    else:
        messages.success(
            request,
            gettext("“%(name)s” is saved as a draft.") % {"name": partnership.display_name},
        )
    return redirect("editor:my_partnerships")


def _render_editor(request, editor, partnership, *, status=200, submit=False):
    return render(
        request,
        "editor/partnership_form.html",
        {
            "editor": editor,
            "partnership": partnership,
            "revision": services.open_revision(partnership) if partnership else None,
            "feedback": moderator_feedback(partnership) if partnership else None,
            "error_summary": editor.error_summary() if editor.data is not None else [],
            "questions": editor.questions(),
            "submit_attempted": submit,
            "max_document_mb": uploads.MAX_DOCUMENT_MB,
        },
        status=status,
    )


@login_required
@require_POST
def submit(request, pk):
    """Send the partnership (or its open revision) for review, from "My partnerships"."""
    partnership = _editable(request, pk)
    problems = submission_problems(services.working_copy(partnership))
    if problems:
        for problem in problems:
            messages.error(request, problem)
        return redirect("editor:edit", pk=partnership.pk)
    try:
        services.submit_for_review(partnership, user=request.user)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            gettext("“%(name)s” has been sent to the moderators.")
            % {"name": partnership.display_name},
        )
    return redirect("editor:my_partnerships")


def submission_problems(snapshot):
    """What a saved working copy still lacks before it can go for review (the same rules as
    "Save and submit for review" on the form)."""
    problems = []
    if not snapshot.get("members"):
        problems.append(
            gettext("Add at least one member organisation before submitting for review.")
        )
    if not any(c.get("is_lead") and c.get("email") for c in snapshot.get("contacts", [])):
        problems.append(
            gettext("Add a lead contact with an email address before submitting for review.")
        )
    return problems


# Preview --------------------------------------------------------------------------------------


class _Related(list):
    """A list that answers `.all` like a related manager, for the public template."""

    def all(self):
        return self


@login_required
@require_safe
def preview(request, pk):
    """The working copy on the public page's template, with a banner saying it is not public.
    Shows what the public would see: contacts without consent and private agreements are left
    out, as they are on the public page."""
    partnership = _editable(request, pk)
    revision = services.open_revision(partnership)
    data = services.working_copy(partnership)
    return render(
        request,
        "editor/preview.html",
        {
            "partnership": _preview_partnership(partnership, data),
            "other_language": _other_language(data["fields"]),
            "real": partnership,
            "revision": revision,
            "feedback": moderator_feedback(partnership),
            "contact_form": ContactForm(partnership=partnership),
            "trail": [(gettext("My partnerships"), reverse("editor:my_partnerships"))],
            "map_config": {"points": []},
        },
    )


HISTORY_PAGE_SIZE = 20


@login_required
@require_safe
def partnership_history(request, pk):
    """The partnership's published history for its editors: each version the public saw, with
    what changed, read-only (curators restore versions on their own screens). Co-editors are
    named; curators are "a curator", and their reasons stay with them."""
    partnership = _editable(request, pk)
    versions = history.versions_of(partnership).filter(publication_state=PublicationState.PUBLISHED)
    page, entries = history.timeline(
        versions, page=request.GET.get("page"), per_page=HISTORY_PAGE_SIZE
    )
    return render(
        request,
        "editor/history.html",
        {
            "partnership": partnership,
            "page": page,
            "entries": entries,
            "editor_ids": set(partnership.editors.values_list("pk", flat=True)),
            "trail": [(gettext("My partnerships"), reverse("editor:my_partnerships"))],
        },
    )


def _preview_partnership(partnership, data):
    fields = {**data["fields"]}
    region_slug = fields.pop("region", "")
    organisation_ids = {m["organisation"] for m in data.get("members", [])}
    for agreement in data.get("agreements", []):
        organisation_ids.update(agreement.get("parties", []))
    organisation_ids.update(
        c["organisation"] for c in data.get("contacts", []) if c.get("organisation")
    )
    organisations = Organisation.objects.in_bulk(organisation_ids)
    preview = Partnership(
        pk=partnership.pk,
        slug=partnership.slug,
        last_verified_at=partnership.last_verified_at,
        region=Region.objects.filter(slug=region_slug).first() if region_slug else None,
        **{
            name: value
            for name, value in fields.items()
            if value is not None or name == "established_year"
        },
    )
    memberships = _Related(
        Membership(organisation=organisations[m["organisation"]], role=m.get("role") or Role.MEMBER)
        for m in data.get("members", [])
        if m["organisation"] in organisations
    )
    agreements = _Related()
    for index, item in enumerate(data.get("agreements", [])):
        if not item.get("is_public"):
            continue
        agreement = Agreement(
            kind=item.get("kind") or AgreementKind.OTHER,
            title=item.get("title") or "",
            status=item.get("status") or AgreementStatus.SIGNED,
            summary=item.get("summary") or "",
            shareable_example=bool(item.get("shareable_example")),
            document=item.get("document") or "",
        )
        agreement.signed_on = _date(item.get("signed_on"))
        agreements.append(
            SimpleNamespace(
                title=agreement.title,
                summary=agreement.summary,
                signed_on=agreement.signed_on,
                review_due=_date(item.get("review_due")),
                shareable_example=agreement.shareable_example,
                document=agreement.document,
                get_kind_display=agreement.get_kind_display(),
                get_status_display=agreement.get_status_display(),
                parties=_Related(
                    organisations[pk] for pk in item.get("parties", []) if pk in organisations
                ),
                preview_document_url=reverse(
                    "editor:revision_document", kwargs={"pk": partnership.pk, "index": index}
                ),
            )
        )
    contacts = [
        Contact(
            **{name: c.get(name) for name in ("name", "job_title", "email", "phone")},
            is_lead=bool(c.get("is_lead")),
            organisation=organisations.get(c.get("organisation")),
        )
        for c in data.get("contacts", [])
        if c.get("consent_to_publish")
    ]
    activities = Activity.objects.filter(slug__in=data.get("activities", []))
    channels = CommunicationChannel.objects.filter(slug__in=data.get("channels", []))
    # The public template reads these as related managers or prefetched lists.
    return SimpleNamespace(
        **{
            name: getattr(preview, name)
            for name in (
                "pk",
                "slug",
                "name",
                "summary",
                "description",
                "aims",
                *WELSH_FIELDS,
                "display_name",
                "localised",
                "established_year",
                "area_name",
                "region",
                "website",
                "mailing_list",
                "meeting_frequency",
                "meeting_format",
                "last_verified_at",
            )
        },
        get_kind_display=preview.get_kind_display(),
        get_formality_display=preview.get_formality_display(),
        get_status_display=preview.get_status_display(),
        get_scope_display=preview.get_scope_display(),
        get_meeting_format_display=preview.get_meeting_format_display(),
        memberships=memberships,
        activities=_Related(activities),
        channels=_Related(channels),
        public_agreements=agreements,
        public_contacts=contacts,
        # As on the public page: whether the message form can reach anyone, published or not.
        has_contact_email=any(c.get("email") for c in data.get("contacts", [])),
    )


def _other_language(fields):
    """The entry's texts in the language the page is not in, so that the editors see both
    before the moderators do: (language code, [(label, text), ...] of the texts given)."""
    if reading_welsh():
        language, names = ENGLISH, ("name", "summary", "description", "aims")
    else:
        language, names = WELSH, WELSH_FIELDS
    labels = PartnershipForm.Meta.labels
    return language, [(labels[n], fields.get(n)) for n in names if fields.get(n)]


def _date(value):
    from django.utils.dateparse import parse_date

    return parse_date(value) if isinstance(value, str) and value else None


# My partnerships ------------------------------------------------------------------------------


# What the editors are shown of the last decision while it still applies: a request for changes
# until they submit again, or the reason for a rejection.
FEEDBACK_DECISIONS = (Decision.CHANGES_REQUESTED, Decision.REJECTED)


def moderator_feedback(partnership):
    """The moderators' last message to the editors, if the last event was such a decision."""
    event = partnership.moderation_events.order_by("-created_at", "-pk").first()
    if event is None or event.decision not in FEEDBACK_DECISIONS or not event.message:
        return None
    return event


@login_required
@require_safe
def my_partnerships(request):
    open_revisions = Revision.objects.open().filter(partnership=OuterRef("pk"))
    last_event = ModerationEvent.objects.filter(partnership=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    partnerships = (
        Partnership.objects.current()
        .filter(editors=request.user)
        .annotate(
            revision_state=Subquery(open_revisions.values("state")[:1]),
            last_decision=Subquery(last_event.values("decision")[:1]),
            last_message=Subquery(last_event.values("message")[:1]),
            last_decided_at=Subquery(last_event.values("created_at")[:1]),
        )
        .order_by("name", "pk")
    )
    waiting = list(join_requests.waiting_for(request.user))
    waiting_count = Counter(join_request.partnership_id for join_request in waiting)
    entries = []
    for p in partnerships:
        p.waiting_join_requests = waiting_count[p.pk]
        feedback = None
        if p.last_decision in FEEDBACK_DECISIONS and p.last_message:
            feedback = ModerationEvent(
                decision=p.last_decision, message=p.last_message, created_at=p.last_decided_at
            )
        entries.append(
            (p, state_text(p, p.revision_state), can_submit(p, p.revision_state), feedback)
        )
    return render(
        request,
        "editor/my_partnerships.html",
        {"entries": entries, "join_requests": waiting},
    )


@login_required
@require_http_methods(["GET", "POST"])
def join_request(request, pk):
    """One request to join a partnership the signed-in person edits (a curator may see any),
    with Accept and Decline. Anyone else gets a 404."""
    found = get_object_or_404(join_requests.decidable_by(request.user), pk=pk)
    form = JoinDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decide = request.POST.get("decision")
        reply = form.cleaned_data["reply"]
        try:
            if decide == "accept":
                join_requests.accept(found, user=request.user, reply=reply)
            elif decide == "decline":
                join_requests.decline(found, user=request.user, reply=reply)
            else:
                form.add_error(None, gettext("Choose Accept or Decline."))
        except join_requests.JoinRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("editor:join_request", pk=found.pk)
        else:
            if not form.errors:
                messages.success(request, _decision_message(found, decide))
                return redirect("editor:my_partnerships")
    return render(
        request,
        "editor/join_request.html",
        {
            "join_request": found,
            "partnership": found.partnership,
            "form": form,
            "is_member": join_requests.is_member(found.partnership, found.organisation),
        },
        status=400 if form.errors else 200,
    )


def _decision_message(join_request, decision):
    partnership = join_request.partnership
    names = {
        "name": join_request.organisation_name,
        "partnership": partnership.display_name,
        "email": join_request.email,
    }
    if decision == "decline":
        return gettext("You declined the request from %(name)s. We have emailed %(email)s.") % names
    if partnership.is_published:
        return (
            gettext(
                "%(name)s is added as a member of “%(partnership)s”, and the change has been sent "
                "to the moderators: it appears on the public page once they approve it. We have "
                "emailed %(email)s."
            )
            % names
        )
    return (
        gettext(
            "%(name)s is added as a member of your draft of “%(partnership)s”. We have emailed "
            "%(email)s."
        )
        % names
    )


@login_required
@require_POST
def confirm(request, pk):
    """ "Confirm it is still right", from "My partnerships": the published entry's "last
    confirmed" becomes now, recorded as said by the signed-in editor (or moderator)."""
    partnership = _editable(request, pk)
    if not partnership.is_published:
        messages.error(request, gettext("Only a published entry can be confirmed."))
    else:
        freshness.confirm(partnership, user=request.user)
        messages.success(
            request,
            gettext("Thank you: “%(name)s” is confirmed as still right.")
            % {"name": partnership.display_name},
        )
    return redirect("editor:my_partnerships")


def can_submit(partnership, revision_state):
    """Whether there is something to send to the moderators (and it is not there already)."""
    if partnership.is_published:
        return revision_state in (RevisionState.DRAFT, RevisionState.CHANGES_REQUESTED)
    return partnership.publication_state in (
        PublicationState.DRAFT,
        PublicationState.CHANGES_REQUESTED,
    )


REVISION_TEXT = {
    RevisionState.DRAFT: _("changes saved, not yet submitted"),
    RevisionState.PENDING: _("changes pending review"),
    RevisionState.CHANGES_REQUESTED: _("changes requested by a moderator"),
}


def state_text(partnership, revision_state):
    """ "Published — changes pending review", "Draft", ..."""
    text = partnership.get_publication_state_display()
    if revision_state in REVISION_TEXT:
        text = gettext("%(state)s — %(changes)s") % {
            "state": text,
            "changes": REVISION_TEXT[revision_state],
        }
    return text


# Co-editors -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def editors(request, pk):
    """List the partnership's editors, invite more by email, remove one (never the last)."""
    partnership = _editable(request, pk)
    form = InvitationForm()
    if request.method == "POST" and request.POST.get("action") == "remove":
        return _remove_editor(request, partnership)
    if request.method == "POST":
        form = InvitationForm(request.POST)
        if form.is_valid():
            email = form.cleaned_data["email"]
            if partnership.editors.filter(email__iexact=email).exists():
                form.add_error(
                    "email", gettext("Someone with this address already edits the partnership.")
                )
            else:
                invitations.send_invitation(partnership, email=email, inviter=request.user)
                messages.success(
                    request, gettext("An invitation has been sent to %(email)s.") % {"email": email}
                )
                return redirect("editor:editors", pk=partnership.pk)
    return render(
        request,
        "editor/editors.html",
        {
            "partnership": partnership,
            "editors": partnership.editors.order_by("email", "pk"),
            "form": form,
            "form_errors": [
                (f"{field.label}: {error}", f"#{field.auto_id}")
                for field in form
                for error in field.errors
            ],
            "expiry_days": invitations.MAX_AGE_DAYS,
        },
        status=400 if form.errors else 200,
    )


def _remove_editor(request, partnership):
    try:
        user_id = int(request.POST.get("user", ""))
    except ValueError:
        raise Http404 from None
    with transaction.atomic():
        # Locked, so two editors removing each other at once cannot leave nobody.
        Partnership.objects.select_for_update().filter(pk=partnership.pk).first()
        editors = list(partnership.editors.all())
        removed = next((user for user in editors if user.pk == user_id), None)
        if removed is None:
            raise Http404
        if len(editors) == 1:
            messages.error(
                request, gettext("A partnership needs at least one editor; invite another first.")
            )
            return redirect("editor:editors", pk=partnership.pk)
        partnership.editors.remove(removed)
    who = removed.email or removed.get_username()
    messages.success(request, gettext("%(who)s no longer edits this partnership.") % {"who": who})
    still_allowed = Partnership.objects.editable_by(request.user).filter(pk=partnership.pk)
    if removed == request.user and not still_allowed.exists():
        return redirect("editor:my_partnerships")
    return redirect("editor:editors", pk=partnership.pk)


@login_required
@require_http_methods(["GET", "POST"])
def accept_invitation(request, token):
    """Show an invitation and, on POST, make the signed-in user an editor. Only the invited
    address may accept, and only once it is verified."""
    try:
        invitation = invitations.read(token)
    except signing.SignatureExpired:
        return _invitation_problem(
            request,
            gettext(
                "This invitation has expired. Invitations last %(days)s days; ask an editor of "
                "the partnership to send a new one."
            )
            % {"days": invitations.MAX_AGE_DAYS},
        )
    except signing.BadSignature:
        return _invitation_problem(
            request,
            gettext(
                "This invitation link is not valid. Check that you copied the whole link from "
                "the email, or ask an editor of the partnership to send a new one."
            ),
        )
    partnership = Partnership.objects.filter(pk=invitation.partnership_id).first()
    if partnership is None or partnership.publication_state in (
        PublicationState.ARCHIVED,
        PublicationState.MERGED,
    ):
        return _invitation_problem(
            request, gettext("The partnership this invitation is for has been removed.")
        )
    if not invitations.has_verified_email(request.user, invitation.email):
        return _invitation_problem(
            request,
            gettext(
                "This invitation was sent to %(email)s, but you are signed in with another "
                "address, or have not verified it yet. Sign in with the invited address (verify "
                "it first if you have just registered) and open the link again."
            )
            % {"email": invitation.email},
        )
    if request.method == "POST":
        partnership.editors.add(request.user)
        messages.success(
            request,
            gettext("You are now an editor of “%(name)s”.") % {"name": partnership.display_name},
        )
        return redirect("editor:my_partnerships")
    return render(request, "editor/accept_invitation.html", {"partnership": partnership})


def _invitation_problem(request, message):
    return render(request, "editor/invitation_problem.html", {"problem": message}, status=400)


# Confirming from an emailed link --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def confirm_link(request, token):
    """An emailed confirmation link, which works without signing in. GET shows the entry as the
    public sees it with "Yes, this is still right" and "Something has changed: edit it"; only
    the POST of the first confirms (mail servers fetch links to scan them, and must not)."""
    try:
        link = confirmation_links.read_link(token)
        if request.method == "POST":
            confirmation_links.use_link(token, link.partnership)
            return render(
                request, "editor/confirm_link_done.html", {"partnership": link.partnership}
            )
    except confirmation_links.LinkRefused as refusal:
        status = 410 if refusal.reason in confirmation_links.GONE else 400
        return render(
            request,
            "editor/confirm_link_problem.html",
            {"problem": refusal.message, "ask_again": confirmation_links.ASK_AGAIN},
            status=status,
        )
    partnership = (
        Partnership.objects.with_members()
        .with_public_contacts_and_agreements()
        .get(pk=link.partnership_id)
    )
    response = render(
        request, "editor/confirm_link.html", {"partnership": partnership, "link": link}
    )
    response["Cache-Control"] = "private, no-store"
    return response


# Documents ------------------------------------------------------------------------------------


@require_safe
def agreement_document(request, pk):
    """An agreement's document: public agreements of published partnerships to anyone, any
    other only to the partnership's editors and the moderators; a 404 to everyone else."""
    agreement = get_object_or_404(Agreement.objects.select_related("partnership"), pk=pk)
    public = agreement.is_public and agreement.partnership.is_published
    if not public and not (
        Partnership.objects.editable_by(request.user).filter(pk=agreement.partnership_id).exists()
    ):
        raise Http404
    return _document_response(agreement.document.name, agreement.title)


@login_required
@require_safe
def revision_document(request, pk, index):
    """A document in the working copy (e.g. uploaded with changes still waiting for review),
    for the partnership's editors and the moderators only."""
    partnership = _editable(request, pk)
    agreements = services.working_copy(partnership).get("agreements", [])
    if index >= len(agreements):
        raise Http404
    item = agreements[index]
    return _document_response(item.get("document") or "", item.get("title") or "document")


def _document_response(name, title):
    if not name or not uploads.is_document_name(name) or not default_storage.exists(name):
        raise Http404
    suffix = PurePosixPath(name).suffix.lower()
    response = FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=f"{slugify(title) or 'document'}{suffix}",
        content_type=uploads.content_type(name),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
