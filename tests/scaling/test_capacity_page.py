"""The admin's capacity page (issue 17): each Ollama host's health, models and answers running
against its capacity, and who is waiting; students and teachers don't get it."""

from __future__ import annotations

import socket

import pytest
from asgiref.sync import async_to_sync

from inference.llm import Host
from inference.testing.fake_ollama import FakeOllama
from tests import factories
from tests.clients import client_for
from tests.conftest import Personas
from tutor.classroom.models import User
from tutor.hosts import host_pool

pytestmark = pytest.mark.django_db


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_the_admin_sees_each_hosts_health_and_answers_running(personas: Personas, settings) -> None:
    down = _closed_port_url()
    with FakeOllama() as good, FakeOllama(models=["phi4-mini"]) as bare:
        settings.OLLAMA_HOSTS = f"{good.url}=2,{bare.url}=3,{down}=1"
        pool = host_pool()
        assert pool is not None
        # One answer streaming on the good host.
        taken, _ = async_to_sync(pool.store.try_acquire)(
            model="phi4", lease="an-answer", hosts=[Host(good.url, 2)], lease_seconds=30, waiter_seconds=5
        )
        assert taken == good.url
        admin = factories.make_user(role=User.Role.ADMIN, is_staff=True)
        page = client_for(admin).get("/admin/capacity/")
        report = client_for(admin).get("/admin/capacity/?format=json").json()
        async_to_sync(pool.store.release)(good.url, "an-answer")
    assert page.status_code == 200
    html = page.content.decode()
    rows = {row["url"]: row for row in report["hosts"]}
    assert (rows[good.url]["in_use"], rows[good.url]["capacity"]) == (1, 2)
    assert (
        f"<code>{good.url}</code></th>\n        <td><strong>OK</strong></td>\n        <td>1 / 2</td>" in html
    )
    assert f"<code>{bare.url}</code></th>\n        <td><strong>Model missing</strong></td>" in html
    assert "ollama pull phi4" in html
    assert f"<code>{down}</code></th>\n        <td><strong>Down</strong></td>" in html
    assert report["waiting"] == {"phi4": 0}


@pytest.mark.parametrize("who", ["student", "teacher"])
def test_only_staff_see_the_capacity_page(personas: Personas, who: str) -> None:
    response = client_for(getattr(personas, who)).get("/admin/capacity/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_with_redis_away_the_page_says_so(personas: Personas, settings) -> None:
    settings.OLLAMA_HOSTS = "http://127.0.0.1:1=2"
    settings.REDIS_URL = _closed_port_url().replace("http", "redis")
    settings.TUTOR_GENERATION = "inprocess"
    admin = factories.make_user(role=User.Role.ADMIN, is_staff=True)
    page = client_for(admin).get("/admin/capacity/")
    assert page.status_code == 200
    assert "Redis can&#x27;t be reached" in page.content.decode()
