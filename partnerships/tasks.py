"""Background jobs, run by Django's tasks framework (`settings.TASKS`): in production a
`manage.py db_worker` process takes them from the database (django-tasks-db)."""

import logging

from django.tasks import task

from partnerships import mapsummary, matching, reminders, services
from partnerships.models import Partnership

logger = logging.getLogger(__name__)


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
    `partnerships.mapsummary`); queued by every change to it. Then tell whoever listens
    (`mapsummary.refreshed`; the directory computes its national statistics and gap map ahead
    of visitors). A listener's failure is logged and costs only that head start. Returns the
    version the summary reflects."""
    version = mapsummary.refresh()
    for receiver, outcome in mapsummary.refreshed.send_robust(sender=None, version=version):
        if isinstance(outcome, Exception):
            logger.error(
                "After the map summary refresh, %s failed",
                getattr(receiver, "__qualname__", receiver),
                exc_info=outcome,
            )
    return version


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
