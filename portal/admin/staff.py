"""Staff accounts as administrators manage them: invite by e-mail, change role, services and office, deactivate, sign out.

An invitation is a one-time link to set a password, valid 48 hours; only the SHA-256 of its token
is stored. The account exists (without a password) from the invitation on, so the administrator
can already give it its services and office.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from portal.admin.forms import FormErrors, problem
from portal.web.formats import format_when, portal_zone
from portal.review import audit
from portal.admin.services import EMAIL
from portal.review.accounts import MIN_PASSWORD, AccountError, create_user, new_password_hash, normalise_email
from portal.review.sessions import close_all_sessions
from portal.settings import Settings
from portal.store import accounts as store
from portal.store import directory
from portal.store.core.tables import ROLES
from portal.web.i18n import N_, translate
from portal.web.mail import MailError, send_email

INVITATION_HOURS = 48
ROLE_NAMES = {
    "admin": N_("Administrateur"),
    "owner": N_("Responsable de service"),
    "agent": N_("Agent"),
    "clerk": N_("Agent d’accueil"),
}
ROLE_HINTS = {
    "admin": N_("Gère tout le portail : services, lieux, comptes, synthèses."),
    "owner": N_("Répond aux avis de ses services, gère leurs modèles de réponse et reçoit leur synthèse."),
    "agent": N_("Lit les avis de ses services et y répond."),
    "clerk": N_("Saisit les avis donnés au guichet de son lieu d’accueil."),
}


@dataclass
class AccountForm:
    email: str = ""
    name: str = ""
    role: str = "agent"
    office: str = ""  # office id, as posted
    services: list[str] = field(default_factory=list)  # service codes


@dataclass(frozen=True)
class Invited:
    account: dict
    sent: bool  # False: the account exists but the e-mail could not be sent (see `problem`)
    problem: str = ""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _checked_assignment(form: AccountForm, errors: list) -> tuple[int | None, list[int]]:
    """The office id and service ids of a form, appending what is wrong to `errors`."""
    office_id = None
    if form.role not in ROLES:
        errors.append(problem("role", N_("Choisissez un rôle de la liste.")))
        return None, []
    if form.role == "clerk":
        office = await directory.office_with_id(int(form.office)) if form.office.isdigit() and len(form.office) < 10 else None
        if office is None:
            errors.append(problem("office", N_("Un agent d’accueil travaille dans un lieu : choisissez-le.")))
        else:
            office_id = office["id"]
    service_ids = []
    if form.role in ("owner", "agent"):
        rows = await directory.services_with_codes(form.services, active_only=True)
        if not form.services or len(rows) != len(set(form.services)):
            errors.append(problem("services", N_("Choisissez au moins un service pour ce rôle.")))
        service_ids = [r["id"] for r in rows]
    return office_id, service_ids


async def invite(settings: Settings, form: AccountForm, actor: dict, lang: str, client: str = "") -> Invited:
    """Create the account without a password and e-mail it a link to set one (raises FormErrors); audited."""
    errors = []
    email = normalise_email(form.email)
    if not EMAIL.match(email) or len(email) > 254:
        errors.append(problem("email", N_("Saisissez une adresse e-mail, par exemple prenom.nom@mairie.fr.")))
    elif await store.account_exists(email):
        errors.append(problem("email", N_("Un compte existe déjà pour %(email)s."), email=email))
    if not form.name.strip():
        errors.append(problem("name", N_("Donnez le nom de la personne.")))
    elif len(form.name.strip()) > 200:
        errors.append(problem("name", N_("Le nom dépasse %(max)s caractères."), max=200))
    office_id, _ = await _checked_assignment(form, errors)
    if errors:
        raise FormErrors(errors)
    services = form.services if form.role in ("owner", "agent") else []
    try:
        account = await create_user(email, form.name, form.role, None, office_id=office_id, services=services)
    except AccountError:  # created meanwhile by someone else
        raise FormErrors([problem("email", N_("Un compte existe déjà pour %(email)s."), email=email)]) from None
    await audit.record("invite_user", actor, client=client, detail={
        "email": email, "role": form.role, "office": office_id, "services": sorted(services)})
    return await send_invitation(settings, account, actor, lang)


async def send_invitation(settings: Settings, account: dict, actor: dict, lang: str) -> Invited:
    """A new one-time link for the account (earlier ones stop working), sent by e-mail in `lang`."""
    # Hexadecimal, so the portal's log lines mask it like every other secret in a path (portal.web.security).
    token = secrets.token_hex(32)
    now = _now()
    expires = now + dt.timedelta(hours=INVITATION_HOURS)
    await store.add_invitation(account["id"], token_hash(token), actor["id"] if actor else None, now, expires)
    link = f"{settings.base_url.rstrip('/')}/staff/invitation/{token}"
    try:
        await send_email(settings, invitation_message(settings, account, actor, link, expires, lang))
    except MailError as exc:
        return Invited(account, sent=False, problem=str(exc))
    return Invited(account, sent=True)


def invitation_message(settings: Settings, account: dict, actor: dict, link: str, expires: dt.datetime, lang: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = translate(lang, N_("Votre compte sur Guichet : choisissez votre mot de passe"))
    message["From"] = settings.mail_from
    message["To"] = account["email"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="guichet")
    message.set_content(translate(lang, N_(
        "Bonjour %(name)s,\n\n"
        "%(inviter)s vous a créé un compte sur Guichet, l’espace agents du portail d’avis.\n\n"
        "Pour choisir votre mot de passe, ouvrez ce lien :\n%(link)s\n\n"
        "Il ne sert qu’une fois et expire le %(expires)s. Passé ce délai, demandez une nouvelle invitation "
        "à votre administrateur.\n\n"
        "Si vous ne vous attendiez pas à ce message, ignorez-le : aucun compte ne sera utilisable sans ce lien.\n"
    ), {"name": account["name"], "inviter": actor["name"] if actor else "Guichet", "link": link,
        "expires": format_when(expires, portal_zone(settings.time_zone), lang)}))
    return message


async def invitation(token: str) -> dict | None:
    """The open invitation for this token (id, user, email, name, expires_at), or None."""
    if not token or len(token) > 100:
        return None
    return await store.open_invitation(token_hash(token), _now())


async def set_password(token: str, password: str, confirmation: str, client: str = "") -> int | None:
    """Set the invited account's password and spend the link (raises FormErrors); the account id, or None if the link is spent."""
    errors = []
    if len(password) < MIN_PASSWORD:
        errors.append(problem("password", N_("Choisissez un mot de passe d’au moins %(min)s caractères."), min=MIN_PASSWORD))
    elif len(password) > 1000:
        errors.append(problem("password", N_("Ce mot de passe est trop long.")))
    elif password != confirmation:
        errors.append(problem("confirmation", N_("Les deux mots de passe sont différents.")))
    if errors:
        raise FormErrors(errors)
    open_one = await invitation(token)
    if open_one is None:
        return None
    user_id = await store.use_invitation(token_hash(token), await new_password_hash(password), _now())
    if user_id is not None:
        await audit.record("set_password", await store.staff_user(user_id), client=client, detail={"invitation": open_one["id"]})
    return user_id


async def account_for_session(user_id: int) -> dict:
    """The account a session opens for (id, email, name, role...), as the audit names it."""
    return await store.staff_user(user_id)


async def accounts() -> list[dict]:
    """Every account, active or not, by name, with its services and whether an invitation awaits."""
    rows = await store.every_account()
    pending = await store.pending_invitations()
    for row in rows:
        row["invited_at"] = pending.get(row["id"])
    return rows


async def account(user_id: int) -> dict | None:
    row = await store.staff_user(user_id)
    if row is not None:
        row["services"] = await store.services_of(user_id)
        row["invited_at"] = (await store.pending_invitations()).get(user_id)
    return row


async def change_account(account: dict, form: AccountForm, actor: dict, client: str = "") -> dict:
    """Give the account a role, office and services (raises FormErrors); audited with before and after."""
    errors = []
    if account["id"] == actor["id"] and form.role != "admin":
        errors.append(problem("role", N_("Vous ne pouvez pas retirer votre propre rôle d’administrateur : "
                                         "demandez-le à un autre administrateur.")))
    office_id, service_ids = await _checked_assignment(form, errors)
    if errors:
        raise FormErrors(errors)
    codes = await directory.service_codes()
    before = _assignment(account, codes)
    await store.change_account(account["id"], role=form.role, office_id=office_id, service_ids=service_ids)
    changed = await account_of(account["id"])
    after = _assignment(changed, codes)
    if before != after:
        await audit.record("change_role", actor, client=client, detail={"email": account["email"], "before": before,
                                                                          "after": after})
    return changed


async def account_of(user_id: int) -> dict:
    row = await store.staff_user(user_id)
    row["services"] = await store.services_of(user_id)
    return row


async def deactivate(account: dict, actor: dict, client: str = "") -> bool:
    """The account can no longer sign in, and its open sessions end; audited. False when refused or already so."""
    if account["id"] == actor["id"]:
        return False
    if not await store.set_account_active(account["id"], False):
        return False
    closed = await close_all_sessions(account["id"])
    await audit.record("deactivate_user", actor, client=client, detail={"email": account["email"], "sessions": closed})
    return True


async def reactivate(account: dict, actor: dict, client: str = "") -> bool:
    if not await store.set_account_active(account["id"], True):
        return False
    await audit.record("change_role", actor, client=client, detail={
        "email": account["email"], "before": {"active": False}, "after": {"active": True}})
    return True


async def reset_sessions(account: dict, actor: dict, client: str = "") -> int:
    """Sign the person out on every browser; audited with how many sessions ended."""
    closed = await close_all_sessions(account["id"])
    await audit.record("reset_sessions", actor, client=client, detail={"email": account["email"], "sessions": closed})
    return closed


def _assignment(account: dict, codes: dict[int, str]) -> dict:
    return {"role": account["role"], "office": account["office"],
            "services": sorted(codes.get(s, str(s)) for s in account.get("services", {}))}
