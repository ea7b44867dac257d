"""The dashboard on a phone and in both themes: at 390x844 no page's document is wider than the
viewport (and axe still finds nothing); the sidebar collapses behind a Menu button, and without
JavaScript becomes a row of links; the theme picker applies before the first paint and persists
across a reload; copying announces "Copied"; secrets are masked with a Reveal toggle; the focus
ring contrasts 3:1 with what surrounds it. With ``TOKENSMITH_UPDATE_SCREENSHOTS=1`` the phone
tour refreshes the README's mobile screenshots."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import (
    SCREENSHOT_STATES,
    DashboardTeam,
    axe_violations,
    describe_violations,
    tour_dashboard,
)
from tests.browser.flows import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

PHONE = {"width": 390, "height": 844}
#: Pages that answer an action: each must offer a link back into the dashboard.
RESULT_STATES = {
    "credential-created",
    "credential-already-shown",
    "generated-token",
    "generated-token-already-shown",
    "test-call-result",
    "test-call-refused",
    "test-call-already-shown",
    "secret-regenerated",
    "token-created",
    "token-already-shown",
    "token-regenerated",
    "webhook-created",
    "webhook-already-shown",
    "error-not-found",
    "error-forbidden",
}
DESKTOP = {"width": 1280, "height": 900}
WIDTHS = "[document.documentElement.scrollWidth, window.innerWidth]"


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else float(((c + 0.055) / 1.055) ** 2.4)

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two computed ``rgb(...)`` colours."""

    def parse(css: str) -> tuple[float, float, float]:
        r, g, b = (float(v) for v in re.findall(r"[\d.]+", css)[:3])
        return r, g, b

    high, low = sorted((_luminance(parse(first)), _luminance(parse(second))), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_no_page_is_wider_than_a_phone(
    browser: Any, dashboard_team: DashboardTeam, screenshot_dir: Path
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    too_wide: dict[str, list[int]] = {}
    no_way_back: list[str] = []
    violations: dict[str, str] = {}
    checked: list[str] = []

    def check(page: Any, state: str) -> None:
        checked.append(state)
        scroll_width, viewport = page.evaluate(WIDTHS)
        if scroll_width > viewport:
            too_wide[state] = [scroll_width, viewport]
        if state in RESULT_STATES and not page.locator("main a[href^='/']").count():
            no_way_back.append(state)
        found = axe_violations(page)
        if found:
            violations[state] = describe_violations(found)
        if state in SCREENSHOT_STATES:
            shot = screenshot_dir / f"{SCREENSHOT_STATES[state]}-mobile.png"
            page.screenshot(path=str(shot), full_page=True)

    tour_dashboard(page, dashboard_team, check)
    context.close()
    assert len(checked) >= 25, checked
    assert not no_way_back, f"result pages without a link back: {no_way_back}"
    assert not too_wide, f"documents wider than the 390 px viewport [scrollWidth, innerWidth]: {too_wide}"
    report = "\n".join(f"{state}:\n{found}" for state, found in violations.items())
    assert not violations, "axe violations at 390x844:\n" + report


def test_the_sidebar_collapses_behind_the_menu_button(browser: Any, dashboard_team: DashboardTeam) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, dashboard_team.base, dashboard_team.owner)
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    assert menu.get_attribute("aria-expanded") == "false" and not nav.is_visible()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true" and nav.is_visible()
    assert not axe_violations(page), describe_violations(axe_violations(page))
    page.keyboard.press("Escape")  # focus is on the menu button, not in the menu: stays open
    nav.get_by_role("link", name="Members").focus()
    page.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false" and not nav.is_visible()
    assert page.evaluate("document.activeElement.textContent") == "Menu"
    menu.click()
    nav.get_by_role("link", name="Account tokens").click()
    page.wait_for_url(dashboard_team.base + "/tokens")
    assert not nav.is_visible()  # a new page starts collapsed
    page.set_viewport_size(DESKTOP)
    assert nav.is_visible() and not menu.is_visible()
    context.close()


def test_without_javascript_the_menu_is_a_row_of_links_and_secrets_show_in_clear(
    browser: Any, dashboard_team: DashboardTeam
) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, dashboard_team.base, dashboard_team.owner)
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Account tokens").is_visible()
    for control in ("Menu", "Dark", "Copy client secret", "Reveal client secret"):
        assert not page.get_by_role("button", name=control).is_visible(), control
    page.goto(dashboard_team.base + "/credentials/new")
    page.get_by_label("Name", exact=True).fill("No script")
    page.get_by_role("button", name="Create credential").click()
    page.wait_for_load_state()
    secret = page.get_by_label("Client secret", exact=True)
    assert secret.get_attribute("type") == "text" and secret.input_value().startswith("tss_")
    assert not page.get_by_role("button", name="Reveal client secret").is_visible()
    scroll_width, viewport = page.evaluate(WIDTHS)
    assert scroll_width <= viewport
    context.close()


def test_the_theme_picker_applies_before_the_first_paint_and_persists(
    browser: Any, dashboard_team: DashboardTeam
) -> None:
    context = browser.new_context(viewport=DESKTOP, color_scheme="light")
    # Record the theme at the first animation frame, i.e. before the first paint.
    context.add_init_script(
        "requestAnimationFrame(() => { window.firstFrameTheme ="
        " document.documentElement.getAttribute('data-theme'); })"
    )
    page = context.new_page()
    base = dashboard_team.base
    page.goto(base + "/sign-in")
    background = "getComputedStyle(document.body.querySelector('.layout')).backgroundColor"
    light = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    picker = page.get_by_role("group", name="Colour theme")
    assert picker.get_by_role("button", name="System").get_attribute("aria-pressed") == "true"
    picker.get_by_role("button", name="Dark").click()
    dark = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert contrast(light, dark) > 10, (light, dark)
    assert page.evaluate(background) in ("rgba(0, 0, 0, 0)", dark)
    page.reload()
    assert page.evaluate("window.firstFrameTheme") == "dark"
    assert page.evaluate("document.documentElement.getAttribute('data-theme')") == "dark"
    assert picker.get_by_role("button", name="Dark").get_attribute("aria-pressed") == "true"
    assert picker.get_by_role("button", name="System").get_attribute("aria-pressed") == "false"
    sign_in(page, base, dashboard_team.owner)  # and on every other page
    assert page.evaluate("getComputedStyle(document.documentElement).backgroundColor") == dark
    picker.get_by_role("button", name="System").click()
    assert page.evaluate("localStorage.getItem('tokensmith-theme')") is None
    page.reload()
    assert page.evaluate("getComputedStyle(document.documentElement).backgroundColor") == light
    context.close()


def test_copy_announces_copied_and_reveal_unmasks(browser: Any, dashboard_team: DashboardTeam) -> None:
    base = dashboard_team.base
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    sign_in(page, base, dashboard_team.owner)
    page.goto(base + "/credentials/new")
    page.get_by_label("Name", exact=True).fill("Copy me")
    page.get_by_role("button", name="Create credential").click()
    secret = page.get_by_label("Client secret", exact=True)
    reveal = page.get_by_role("button", name="Reveal client secret")
    reveal.wait_for()
    assert secret.get_attribute("type") == "password" and reveal.get_attribute("aria-pressed") == "false"
    value = secret.input_value()
    announcer = page.get_by_role("status").filter(has_text="Copied")
    page.get_by_role("button", name="Copy client secret").click()
    announcer.wait_for(state="attached")
    assert page.evaluate("navigator.clipboard.readText()") == value  # the real value, though masked
    assert page.locator("#announcer").get_attribute("aria-live") == "polite"
    reveal.click()
    assert secret.get_attribute("type") == "text" and reveal.get_attribute("aria-pressed") == "true"
    reveal.focus()
    page.keyboard.press("Space")
    assert secret.get_attribute("type") == "password" and reveal.get_attribute("aria-pressed") == "false"
    page.get_by_role("button", name="Copy client ID").click()
    client_id = page.get_by_label("Client ID", exact=True).input_value()
    assert page.evaluate("navigator.clipboard.readText()") == client_id
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_focus_ring_contrasts_three_to_one(
    browser: Any, dashboard_team: DashboardTeam, scheme: str
) -> None:
    context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
    page = context.new_page()
    page.goto(dashboard_team.base + "/sign-in")
    ring = (
        "(() => { const el = document.activeElement, style = getComputedStyle(el);"
        " let box = parseFloat(style.outlineOffset) < 0 ? el : el.parentElement;"
        " while (getComputedStyle(box).backgroundColor === 'rgba(0, 0, 0, 0)') box = box.parentElement;"
        " return [el.id || el.textContent.trim(), style.outlineStyle, style.outlineColor,"
        " getComputedStyle(box).backgroundColor]; })()"
    )
    seen = set()
    for _ in range(9):  # from the autofocused email: the form (card), then the top bar
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            continue
        name, style, colour, around = page.evaluate(ring)
        seen.add(name)
        assert style == "solid", name
        assert contrast(colour, around) >= 3, (name, colour, around)
    assert {"password", "Sign in", "Skip to content", "Tokensmith", "Dark"} <= seen, seen
    context.close()
