"""Browser steps the roles-as-data tests share: a signed-in page per person, and an admin
who adds the role "Service Owner" and makes it a person's only role."""
from __future__ import annotations


def browse(browser, live_server, login, user):
    """A new browser context signed in as ``user``; its page."""
    context = browser.new_context(base_url=live_server.url,
                                  viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    login(page, user)
    return page


def admin_makes_service_owner(admin, person_id: int, screenshot=None,
                              username: str = "sophie") -> None:
    """In the admin's page: create "Service Owner", make it the person's only role."""
    admin.goto("/admin/roles")
    admin.get_by_label("Name").fill("Service Owner")
    admin.get_by_label("Description").fill("Owns one service end to end")
    admin.get_by_role("button", name="Create role").click()
    admin.get_by_text("Role Service Owner created").wait_for()
    if screenshot is not None:
        screenshot(admin, "roles-admin")
    admin.goto(f"/admin/users/{person_id}")
    admin.get_by_label("Process Owner", exact=True).uncheck()
    admin.get_by_label("Service Owner", exact=True).check()
    admin.get_by_role("button", name="Save").click()
    admin.get_by_text(f"User {username} saved.").wait_for()
    admin.context.close()
