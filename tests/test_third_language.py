"""Adding a language is a data change: a compiled catalogue in its folder, and nothing else (README: Languages).

A copy of the package gets a French catalogue (every word written «like this»,
placeholders kept) and no other change; a fresh interpreter then runs the app
from that copy and finds French wherever English and Spanish are offered: the
pages and their switch, the wait and status sentences, the API's language and
the names admins set per language.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

SOURCE = Path(__file__).parents[1] / "src" / "schedq"

CHECKS = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime

    import schedq
    from schedq import create_app
    from schedq.catalogues import LANGUAGES
    from schedq.db import migrate
    from schedq.domain import messages
    from schedq.domain.enums import Role
    from schedq.services import access

    assert schedq.__file__.startswith(sys.argv[3]), schedq.__file__  # the copy, not the installed one
    assert LANGUAGES == ("en", "es", "fr"), LANGUAGES
    assert messages.messages(11, 19)["fr"] == "«About 10–20 minutes.»"

    url = "sqlite:///" + sys.argv[1]
    migrate.upgrade(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "s", "SEED_DEMO": False,
                      "INSTANCE_DIR": sys.argv[2]})
    client = app.test_client()

    page = client.get("/?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in page and "«Find a collection site»" in page
    assert ">Français</a>" in client.get("/?lang=en").get_data(as_text=True)

    from schedq.db.uow import UnitOfWork
    with app.app_context():
        admin = access.create_token(UnitOfWork(app.extensions["schedq.database"]), name="admin",
                                    role=Role.ADMIN, site_ids=[], now=datetime.now(UTC))[0]
    made = client.post("/api/v1/services", json={
        "code": "DRAW", "name": "Blood draw", "default_minutes": 6,
        "translations": {"fr": {"name": "Prise de sang"}},
    }, headers={"Authorization": f"Bearer {admin}"})
    assert made.status_code == 201, made.json
    listed = client.get("/api/v1/services", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert listed.headers["Content-Language"] == "fr"
    assert listed.json[0]["translations"] == {"fr": {"name": "Prise de sang"}}
    print("french holds")
    """
)


def french_catalogue(translations: Path) -> None:
    """Every word of the template, «quoted», as a French catalogue compiled where the app looks."""
    with (translations / "messages.pot").open("rb") as file:
        catalogue = read_po(file, locale="fr")
    for message in catalogue:
        if message.id:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            forms = [f"«{ids[-1] if n else ids[0]}»" for n in range(catalogue.num_plurals)]
            message.string = tuple(forms) if isinstance(message.id, tuple) else forms[0]
    folder = translations / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as file:
        write_mo(file, catalogue)


def test_a_third_language_needs_only_its_catalogue(tmp_path):
    package = tmp_path / "src" / "schedq"
    shutil.copytree(SOURCE, package, ignore=shutil.ignore_patterns("__pycache__"))
    french_catalogue(package / "translations")
    (tmp_path / "instance").mkdir()
    ran = subprocess.run(
        [
            sys.executable,
            "-c",
            CHECKS,
            str(tmp_path / "db.sqlite3"),
            str(tmp_path / "instance"),
            str(package),
        ],
        env={**os.environ, "PYTHONPATH": str(tmp_path / "src")},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "french holds" in ran.stdout
