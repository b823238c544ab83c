"""Several people saving at the same moment: every save goes through, none fails with
"database is locked" (SQLite) or any other database error."""

import sqlite3
import tempfile
import threading
from pathlib import Path

import pytest
from django.db import connection, connections

from partnerships import services
from partnerships.models import PublicationState
from partnerships.snapshots import snapshot_of
from tests.factories import make_partnership, make_user

THREADS = 12
SAVES_EACH = 3


@pytest.fixture
def file_database(transactional_db):
    """The test database as it is served: a file several connections share. pytest-django keeps
    an SQLite test database in memory, shared through one cache, where locking behaves nothing
    like a file; this copies it to a file for the test and points every new connection there.
    PostgreSQL's test database is already a server every connection shares."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "concurrency.sqlite3")
        copy = sqlite3.connect(path)
        connection.connection.backup(copy)
        copy.close()
        in_memory, name = connection.connection, connection.settings_dict["NAME"]
        connection.connection = None
        connection.settings_dict["NAME"] = path  # new threads' connections read this dict
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict["NAME"] = name
            connection.connection = in_memory


def test_people_saving_at_the_same_moment_all_succeed(file_database):
    editor = make_user()
    draft = PublicationState.DRAFT
    drafts = [make_partnership(members=2, publication_state=draft) for _ in range(THREADS)]
    published = make_partnership(members=2)
    start = threading.Barrier(THREADS)
    errors = []

    def save(partnership, index):
        try:
            start.wait()
            for turn in range(SAVES_EACH):
                data = snapshot_of(partnership)
                data["fields"]["summary"] = f"Saved by thread {index}, turn {turn}."
                services.save_edit(partnership, data=data, user=editor)
                # Half the threads also edit the same published entry (a revision).
                if index % 2:
                    services.save_edit(published, data=snapshot_of(published), user=editor)
        except Exception as error:  # every failure counts
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=save, args=(partnership, index))
        for index, partnership in enumerate(drafts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    for index, partnership in enumerate(drafts):
        partnership.refresh_from_db()
        assert partnership.summary == f"Saved by thread {index}, turn {SAVES_EACH - 1}."
