"""Importing from the staff pages (upload, a background task, the progress the page polls, the
report) and from the command line (manage.py import_resources)."""

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from resources import tasks
from resources.models import ImportJob, Organisation
from tests import factories

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
URL = reverse("staff:import_upload")
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
BAD_ROW = "名称,種別,電話番号\nひばり野保育園,保育所,03-5555\n謎の園,謎,\n".encode()


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Tasks run at once, in the request that enqueues them (a worker runs them in production)."""
    settings.TASKS = IMMEDIATE


@pytest.fixture(autouse=True)
def areas():
    return factories.population_tree()


@pytest.fixture
def keeper(client):
    """A logged-in data keeper (may add organisations), reading the site in English."""
    person = factories.user("keeper")
    person.user_permissions.add(Permission.objects.get(codename="add_organisation"))
    client.force_login(person)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.user = person
    return client


def upload(name, content=None):
    return SimpleUploadedFile(name, content if content is not None else (DATA / name).read_bytes())


def job_url(job) -> str:
    return reverse("staff:import_job", args=[job.uuid])


# --- Who may import ------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("staff:login") in response["Location"]


def test_staff_without_the_permission_are_refused(client):
    client.force_login(factories.user())
    assert client.get(URL).status_code == 403


def test_the_form_starts_as_a_dry_run(keeper):
    html = keeper.get(URL).text
    assert 'enctype="multipart/form-data"' in html
    assert 'name="dry_run" id="id_dry_run" checked' in html
    assert 'name="merge_duplicates"' in html


# --- Upload, background task, report ------------------------------------------------------------


def test_a_dry_run_shows_the_report_and_offers_to_import(keeper):
    response = keeper.post(URL, {"file": upload("childcare.csv"), "dry_run": "on"})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url(job)
    assert (job.state, job.dry_run, job.created_by, job.language) == (
        "done",
        True,
        keeper.user,
        "en",
    )
    assert (job.processed, job.total) == (3, 3)
    assert not Organisation.objects.exists()
    html = keeper.get(job_url(job)).text
    assert "Dry run: what the import would change" in html
    assert "would create 3 organisation(s)" in html
    assert 'hx-trigger="every 1s"' not in html  # finished: no more polling
    assert reverse("staff:import_job_confirm", args=[job.uuid]) in html

    response = keeper.post(reverse("staff:import_job_confirm", args=[job.uuid]))
    real = ImportJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == job_url(real)
    assert (real.state, real.dry_run, bytes(real.data)) == ("done", False, b"")
    assert Organisation.objects.count() == 3
    assert "created 3 organisation(s)" in keeper.get(job_url(real)).text


def test_an_import_without_dry_run_writes_and_lists_warnings(keeper):
    keeper.post(URL, {"file": upload("care_services_sjis.csv")})
    job = ImportJob.objects.get()
    assert job.state == "done" and Organisation.objects.count() == 3
    html = keeper.get(job_url(job)).text
    assert 'id="import-warnings"' in html
    assert "東京都となり市本町1-1" in html  # outside every district
    assert "Open the directory" in html


def test_a_rejected_file_lists_every_problem_and_writes_nothing(keeper):
    keeper.post(URL, {"file": upload("bad.csv", BAD_ROW)})
    job = ImportJob.objects.get()
    assert job.state == "rejected"
    assert not Organisation.objects.exists()
    html = keeper.get(job_url(job)).text
    assert "The file was rejected: 2 problems. Nothing was written." in html
    assert "<td>2</td><td>電話番号</td>" in html
    assert "<td>3</td><td>種別</td>" in html


def test_likely_duplicates_are_listed_and_merged_when_asked(keeper, areas):
    existing = factories.organisation("ひばり野保育園", kind=Organisation.Kind.CHILDCARE)
    existing.locations.create(address="ひばり野区桜台1-4-5", district=areas.sakuradai)
    keeper.post(URL, {"file": upload("childcare.csv"), "dry_run": "on"})
    dry = ImportJob.objects.get()
    html = keeper.get(job_url(dry)).text
    assert 'id="import-duplicates"' in html
    assert reverse("staff:organisation_detail", args=[existing.uuid]) in html
    keeper.post(reverse("staff:import_job_confirm", args=[dry.uuid]), {"merge_duplicates": "on"})
    assert Organisation.objects.filter(name="ひばり野保育園").count() == 1
    assert existing.services.get().name == "認可保育所"


def test_bad_uploads_are_refused_with_the_form(keeper):
    response = keeper.post(URL, {"file": upload("list.pdf", b"%PDF")})
    assert response.status_code == 200
    assert "Upload a CSV file (.csv) or an Excel workbook (.xlsx)." in response.text
    assert not ImportJob.objects.exists()


def test_the_upload_page_lists_recent_imports(keeper):
    keeper.post(URL, {"file": upload("childcare.csv"), "dry_run": "on"})
    html = keeper.get(URL).text
    assert 'id="recent-imports"' in html and "childcare.csv" in html


# --- The progress the page polls ----------------------------------------------------------------


def make_job(**fields) -> ImportJob:
    return ImportJob.objects.create(filename="list.csv", data=b"", **fields)


def test_a_running_job_polls_its_progress(keeper):
    job = make_job(state="running", phase="checking", processed=50, total=200)
    response = keeper.get(job_url(job), headers={"HX-Request": "true"})
    html = response.text
    assert html.lstrip().startswith('<div id="import-progress"')  # the partial alone
    assert 'hx-trigger="every 1s"' in html
    assert '<progress id="import-bar" max="100" value="25">' in html
    assert "50 of 200 rows checked (25%)." in html
    assert "HX-Request" in response["Vary"]
    # Without JavaScript the whole page reloads itself.
    assert '<meta http-equiv="refresh" content="2">' in keeper.get(job_url(job)).text


def test_a_queued_job_waits_and_a_saving_job_is_full(keeper):
    queued = make_job()
    assert "Waiting for the import to start" in keeper.get(job_url(queued)).text
    saving = make_job(state="running", phase="saving", processed=10, total=10, dry_run=False)
    html = keeper.get(job_url(saving), headers={"HX-Request": "true"}).text
    assert "Saving…" in html and 'value="100"' in html


def test_a_failed_job_says_so(keeper, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tasks, "resource_import", broken)
    keeper.post(URL, {"file": upload("childcare.csv")})
    job = ImportJob.objects.get()
    assert job.state == "failed"
    html = keeper.get(job_url(job)).text
    assert "The import failed" in html and "disk full" not in html


def test_the_task_reports_progress_as_it_goes(keeper, monkeypatch):
    seen = []
    original = tasks._ProgressWriter.__call__

    def spy(self, phase, done, total):
        original(self, phase, done, total)
        seen.append(ImportJob.objects.values_list("phase", "processed", "total").get())

    monkeypatch.setattr(tasks._ProgressWriter, "__call__", spy)
    keeper.post(URL, {"file": upload("childcare.csv"), "dry_run": "on"})
    assert ("checking", 3, 3) in seen and seen[-1] == ("saving", 3, 3)


def test_a_job_runs_once(keeper):
    keeper.post(URL, {"file": upload("childcare.csv")})
    job = ImportJob.objects.get()
    assert tasks.import_job_run(job_id=job.pk) == "done"
    assert Organisation.objects.count() == 3


def test_only_a_finished_dry_run_can_be_confirmed(keeper):
    job = make_job(state="running")
    response = keeper.post(reverse("staff:import_job_confirm", args=[job.uuid]))
    assert response.status_code == 404
    assert keeper.get(reverse("staff:import_job_confirm", args=[job.uuid])).status_code == 405


# --- manage.py import_resources ----------------------------------------------------------------


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_resources", *args, "--language", "en", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_and_reports():
    out, err = run(str(DATA / "care_services_sjis.csv"))
    assert "Layout: 介護サービス事業所一覧 (standard open dataset)" in out
    assert "created 3 organisation(s)" in out
    assert "東京都となり市本町1-1" in out  # the warning
    assert err == ""  # no progress bar when stderr is no terminal
    assert Organisation.objects.count() == 3


def test_the_command_dry_run_writes_nothing():
    out, _err = run(str(DATA / "mhlw_care.csv"), "--dry-run")
    assert "Dry run: nothing was written." in out
    assert not Organisation.objects.exists()


def test_the_command_shows_a_progress_bar():
    _out, err = run(str(DATA / "childcare.csv"), "--progress")
    assert "\r[##############################] 100%  3/3 rows checked" in err
    assert "saving…" in err and err.endswith("\n")


def test_the_command_lists_problems_and_exits_with_an_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(BAD_ROW)
    err = io.StringIO()
    with pytest.raises(CommandError, match="rejected with 2 problem"):
        call_command("import_resources", str(path), "--language", "en", stderr=err)
    assert "line 2, column 電話番号" in err.getvalue()
    assert not Organisation.objects.exists()


def test_the_command_merges_duplicates_when_asked(areas):
    existing = factories.organisation("ケアプランセンターさくら", phone="03-3456-7890")
    out, _err = run(str(DATA / "mhlw_care.csv"), "--merge-duplicates")
    assert "looks like 「ケアプランセンターさくら」" in out and "(merged)" in out
    assert Organisation.objects.count() == 2
    assert existing.services.get().name == "居宅介護支援"


def test_the_command_says_when_the_file_cannot_be_opened(tmp_path):
    with pytest.raises(CommandError, match="cannot be opened"):
        run(str(tmp_path / "missing.csv"))
