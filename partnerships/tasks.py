"""Background jobs, run by Django's tasks framework (`settings.TASKS`): in production a
`manage.py db_worker` process takes them from the database (django-tasks-db)."""

from django.tasks import task

from partnerships import mapsummary, matching, reminders, services
from partnerships.models import Partnership


@task
def refine_locations(partnership_id):
    """Ask the online geocoder about a saved partnership and its members; see
    `services.refine_online`. Returns how many entries were placed and how many are flagged
    for a retry."""
    partnership = Partnership.objects.filter(pk=partnership_id).first()
    if partnership is None:  # deleted since it was saved
        return {"placed": 0, "flagged": 0}
    outcomes = services.refine_online(partnership)
    flagged = sum(1 for outcome in outcomes if outcome.entry.geocode_failed_at is not None)
    return {"placed": len(outcomes) - flagged, "flagged": flagged}


@task
def refresh_map_summary():
    """Bring the national map's summary up to the current published data (see
    `partnerships.mapsummary`); queued by every change to it. Returns the version it reflects."""
    return mapsummary.refresh()


@task
def find_duplicates():
    """Look for likely duplicate organisations and partnerships again and store the pairs for
    the curators' duplicates page (`matching.refresh_duplicate_candidates`). Returns how many
    pairs of each it found."""
    scan = matching.refresh_duplicate_candidates()
    return {"organisations": scan.organisation_pairs, "partnerships": scan.partnership_pairs}


@task
def send_reminders():
    """Send the day's reminders: confirmation requests, follow-ups, the curators' list and
    agreement reviews (`reminders.send_due_reminders`). Returns how many of each were sent."""
    return dict(reminders.send_due_reminders())
