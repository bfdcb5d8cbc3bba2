"""Who may sign in through the OpenID Connect provider: the e-mail domain rules, the account it matches, sign-up, the session."""

from __future__ import annotations

from portal.review import audit
from portal.review.accounts import AccountError, account_with_email, normalise_email, sign_up
from portal.review.oidc import Identity, OidcFailure
from portal.review.sessions import begin_session
from portal.settings import Settings

METHOD = {"method": "oidc"}  # in the audit detail: which way the person signed in


async def sign_in_with_provider(
    settings: Settings, identity: Identity, client: str, user_agent: str, previous_token: str | None
) -> str:
    """Open a session for the account of the e-mail the provider vouched for; its cookie token.

    The account is matched by e-mail address, whatever its case. It must exist and be active,
    unless the address's domain allows sign-up (PORTAL_OIDC_SIGNUP_DOMAINS): then a first
    sign-in makes the account with that domain's role. A domain outside
    PORTAL_OIDC_ALLOWED_DOMAINS (when set) is refused, unless it allows sign-up.
    """
    email = normalise_email(identity.email)[:254]
    domain = email.rpartition("@")[2]
    signup_role = settings.oidc_signup_roles.get(domain)
    if settings.oidc_allowed_domains and domain not in settings.oidc_allowed_domains and signup_role is None:
        await record_refusal("domain", client, email)
        raise OidcFailure("domain")
    account = await account_with_email(email)
    if account is None and signup_role is not None:
        try:
            account = await sign_up(email, identity.name, signup_role)
        except AccountError:
            # An address no account may have, or a first sign-in racing this one that made the account.
            account = await account_with_email(email)
        else:
            await audit.record("create_user", account, client=client, detail={**METHOD, "role": signup_role, "sign_up": True})
    if account is None:
        await record_refusal("unknown", client, email)
        raise OidcFailure("unknown")
    if not account["active"]:
        await record_refusal("inactive", client, email)
        raise OidcFailure("inactive")
    return await begin_session(account, client, user_agent, previous_token, id_token=identity.id_token, detail=METHOD)


async def record_refusal(reason: str, client: str, email: str | None = None) -> None:
    """Audit a refused provider sign-in, as a failed password sign-in is (with the e-mail when it is known)."""
    await audit.record("login_failed", None, actor_email=email, client=client, detail={**METHOD, "reason": reason})
