"""The administration's landing page and what its controllers share: the guard, the actor, the section list."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from portal.review.access import visible_services
from portal.review.language import staff_language
from portal.review.sessions import current_staff, request_client, requires_role
from portal.web.i18n import N_

BASE = "/staff/admin"
ADMIN_ONLY = [requires_role("admin")]
ADMIN_OR_OWNER = [requires_role("admin", "owner")]
# The landing page's sections, in the order an administrator sets a portal up.
SECTIONS = (
    ("services", N_("Services"), N_("Les services sur lesquels le public donne son avis, leurs noms et leurs responsables.")),
    ("offices", N_("Lieux d’accueil"), N_("Les lieux où le public est reçu, leurs horaires, leurs services, leurs bornes et leurs agents d’accueil.")),
    ("staff", N_("Comptes des agents"), N_("Inviter une personne, changer son rôle, ses services ou son lieu, la désactiver.")),
    ("topics", N_("Sujets"), N_("Ajouter un sujet à reconnaître dans les avis en le décrivant, le renommer, le retirer.")),
    ("api-keys", N_("Clés d’API des partenaires"), N_("Délivrer à un partenaire sa clé pour l’API Open311, voir quand elle a servi, la révoquer.")),
    ("subscriptions", N_("Synthèses par e-mail"), N_("Qui reçoit la synthèse des avis, sur quels services, quand et dans quelle langue.")),
    ("privacy", N_("Données personnelles"), N_("Trouver, télécharger ou effacer les données d’une personne à sa demande ; les effacements faits avec le temps.")),
)


async def actor(request: Request) -> tuple[dict, str]:
    """The signed-in person acting, and their client (for the audit log)."""
    return await current_staff(request), request_client(request)


class AdminHome(Controller):
    path = BASE
    before_request = staff_language
    include_in_schema = False

    @get("/", guards=ADMIN_ONLY)
    async def home(self, request: Request) -> Template:
        return Template(template_name="admin/home.html", context={"staff": await current_staff(request), "sections": SECTIONS})

    @get("/templates", guards=ADMIN_OR_OWNER)
    async def answer_templates(self, request: Request) -> Template:
        # Answer templates are kept per service (/staff/services/{code}/templates): this lists the way to each.
        staff = await current_staff(request)
        return Template(template_name="admin/templates.html",
                        context={"staff": staff, "services": await visible_services(staff)})
