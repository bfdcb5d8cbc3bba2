"""Settings: every setting documented, typed coercion, derived defaults."""

import dataclasses
from pathlib import Path

import pytest

from portal.settings import SETTINGS_TABLE, Settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented_in_the_env_example():
    example = (ROOT / "deploy" / "portal.env.example").read_text()
    documented = {line.split("=", 1)[0].strip() for line in example.splitlines() if "=" in line and not line.startswith("#")}
    missing = [var for var, *_ in SETTINGS_TABLE if var not in documented]
    assert not missing, f"undocumented settings in deploy/portal.env.example: {missing}"


def test_every_setting_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [var for var, *_ in SETTINGS_TABLE if var not in readme]
    assert not missing, f"settings missing from the README's configuration table: {missing}"


def test_the_table_states_a_default_for_every_field_of_settings(tmp_path):
    assert [s.name for s in SETTINGS_TABLE] == [f.name for f in dataclasses.fields(Settings)]
    settings = Settings.build(data_dir=tmp_path)
    assert settings.db_pool_size == 10 and settings.trusted_proxies == () and settings.run_worker is True


def test_defaults_give_an_sqlite_file_in_the_data_dir(tmp_path):
    settings = Settings.from_env(environ={"PORTAL_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{(tmp_path / 'portal.db').resolve()}"
    assert not settings.is_postgres
    assert len(settings.secret_key) > 40
    # The generated secret is kept, so restarts keep sessions and signed links valid.
    assert Settings.from_env(environ={"PORTAL_DATA_DIR": str(tmp_path)}).secret_key == settings.secret_key


def test_values_are_coerced(tmp_path):
    settings = Settings.from_env(
        environ={
            "PORTAL_DATA_DIR": str(tmp_path),
            "PORTAL_DATABASE_URL": "postgresql://u@h:5432/d",
            "PORTAL_SECURE_COOKIES": "true",
            "PORTAL_DB_POOL_SIZE": "3",
            "PORTAL_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2",
            "PORTAL_RATE_LIMIT": "5/30",
        }
    )
    assert settings.is_postgres and settings.secure_cookies and settings.db_pool_size == 3
    assert settings.trusted_proxies == ("10.0.0.1", "10.0.0.2")
    assert settings.rate_limit_pair == (5, 30)


def test_unknown_setting_is_refused():
    with pytest.raises(TypeError):
        Settings.build(colour="blue")


def test_single_sign_on_settings_are_parsed_and_a_wrong_signup_role_stops_the_start(tmp_path):
    settings = Settings.from_env(environ={
        "PORTAL_DATA_DIR": str(tmp_path),
        "PORTAL_OIDC_ISSUER": "https://idp.example/api/v2", "PORTAL_OIDC_CLIENT_ID": "guichet",
        "PORTAL_OIDC_CLIENT_SECRET": "secret",
        "PORTAL_OIDC_ALLOWED_DOMAINS": "Interieur.gouv.fr, culture.gouv.fr",
        "PORTAL_OIDC_SIGNUP_DOMAINS": "example.gouv.fr:agent,mairie.fr:owner",
        "PORTAL_PASSWORD_SIGNIN": "false",
    })
    assert settings.oidc_enabled and not settings.password_signin
    assert settings.oidc_allowed_domains == ("interieur.gouv.fr", "culture.gouv.fr")
    assert settings.oidc_signup_roles == {"example.gouv.fr": "agent", "mairie.fr": "owner"}
    assert settings.oidc_scopes == "openid email given_name usual_name"
    assert not Settings.build(data_dir=tmp_path).oidc_enabled
    for wrong in ("example.gouv.fr:admin", "example.gouv.fr", ":agent"):
        with pytest.raises(ValueError, match="PORTAL_OIDC_SIGNUP_DOMAINS"):
            Settings.from_env(environ={"PORTAL_DATA_DIR": str(tmp_path), "PORTAL_OIDC_SIGNUP_DOMAINS": wrong})


def test_settings_that_would_leave_nobody_able_to_sign_in_stop_the_start(tmp_path):
    with pytest.raises(ValueError, match="nobody can sign in"):
        Settings.from_env(environ={"PORTAL_DATA_DIR": str(tmp_path), "PORTAL_PASSWORD_SIGNIN": "false"})
    with pytest.raises(ValueError, match="PORTAL_OIDC_CLIENT_SECRET"):
        Settings.from_env(environ={"PORTAL_DATA_DIR": str(tmp_path), "PORTAL_OIDC_ISSUER": "https://idp.example",
                                   "PORTAL_OIDC_CLIENT_ID": "guichet"})
