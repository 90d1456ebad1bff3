"""Steps the browser tests share."""


def log_in(visit, base_url: str, username: str, password: str = "pw") -> None:
    """Sign in through the login page, as a person would."""
    page = visit.page
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
