"""The dashboard in a real browser (headless Chromium, at a phone's width): signing in through the one-time link
from chat, what a pendamping sees against what her koordinator sees, following a number to its cases, signing
out. Screenshots go to results/ for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from content.loader import Content
from store.db import Database
from tests.browser import chromium, serving
from tests.complaint_world import DEWI, RINA
from tests.dashboard_world import World, sign_in_path, web_app

RESULTS = Path(__file__).resolve().parents[1] / "results"
WAIT = 30


@pytest.fixture
def world(database: Database, content: Content) -> World:
    return World(database, content).build()


@pytest.fixture
def base_url(world: World) -> Iterator[str]:
    with serving(web_app(world)) as url:
        yield url


def wait_for_text(driver: webdriver.Chrome, text: str) -> None:
    WebDriverWait(driver, WAIT).until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "body"), text))


def tickets_on(driver: webdriver.Chrome) -> set[str]:
    links = driver.find_elements(By.CSS_SELECTOR, "a[href^='/dasbor/pengaduan/ADU-']")
    return {link.text for link in links}


def screenshot(driver: webdriver.Chrome, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    assert driver.save_screenshot(str(RESULTS / name))


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_pendamping_and_her_koordinator_in_a_real_browser(
    world: World, base_url: str, content: Content, tmp_path: Path
) -> None:
    assert content.dashboard is not None
    words = content.dashboard.pages
    rina_link = sign_in_path(world.router, RINA)
    with chromium(tmp_path / "rina") as rina:
        rina.get(base_url + rina_link)
        wait_for_text(rina, "Rina Wulandari")
        assert rina.current_url == base_url + "/dasbor"
        seen_by_rina = tickets_on(rina)
        screenshot(rina, "dasbor-pendamping.png")
        rina.find_element(By.LINK_TEXT, words["nav"]["reach"]).click()
        wait_for_text(rina, words["reach"]["intro"])
        screenshot(rina, "dasbor-pendamping-jangkauan.png")
    with chromium(tmp_path / "dewi") as dewi:
        dewi.get(base_url + sign_in_path(world.router, DEWI))
        wait_for_text(dewi, "Dewi Lestari")
        seen_by_dewi = tickets_on(dewi)
        screenshot(dewi, "dasbor-koordinator.png")
        # Her pendamping's cases are hers to see too; the one about Rina only she sees.
        assert seen_by_rina == {world.tickets["rina"]}
        assert seen_by_dewi == {world.tickets[n] for n in ("rina", "about_rina", "agus")}
        overdue = dewi.find_element(By.CSS_SELECTOR, "h3#overdue a")
        count = int(overdue.text)
        overdue.click()
        wait_for_text(dewi, words["measures"]["overdue"])
        assert len(tickets_on(dewi)) == count
        screenshot(dewi, "dasbor-koordinator-lewat-batas.png")
        dewi.find_element(By.CSS_SELECTOR, "header button").click()
        wait_for_text(dewi, words["sign_in"]["signed_out"])
        dewi.get(base_url + "/dasbor")
        wait_for_text(dewi, words["sign_in"]["no_session"])
        assert not tickets_on(dewi)
        dewi.get(base_url + rina_link)  # a link works once, whoever opens it again
        wait_for_text(dewi, words["sign_in"]["link_invalid"])
        screenshot(dewi, "dasbor-tautan-kedaluwarsa.png")
        assert "Rina" not in dewi.find_element(By.TAG_NAME, "body").text
