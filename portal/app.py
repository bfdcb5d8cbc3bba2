"""create_app(settings) -> Litestar: the composition root, wiring only."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from jinja2 import Environment
from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from counters.api import CounterDeviceApi
from portal.admin.api_key_pages import ApiKeyPages
from portal.admin.cli import RETENTION_JOB
from portal.admin.device_pages import DevicePages
from portal.admin.invitation_pages import InvitationPages
from portal.admin.office_pages import OfficePages
from portal.admin.pages import AdminHome
from portal.admin.privacy_pages import PrivacyPages
from portal.admin.service_pages import ServicePages
from portal.admin.staff_pages import StaffPages
from portal.admin.subscription_pages import SubscriptionPages
from portal.admin.topic_pages import TopicPages
from counters.clerk_pages import ClerkPages
from counters.kiosk_pages import KioskPages
from portal.classify.service import worker_lifespan
from portal.classify.worker import notify_new_feedback
from portal.digests.guide import DigestGuide
from portal.digests.pages import DigestPages
from portal.digests.scheduler import scheduler_lifespan
from portal.feedback import intake, lookups
from portal.feedback.api import FeedbackApi
from portal.feedback.follow_up_pages import FollowUpPages
from portal.feedback import pages as citizen_pages
from portal.feedback.pages import CitizenPages
from portal.health import healthz, readyz
from portal.public.cli import OPEN_DATA_JOB
from portal.public.me_too_pages import ResultsPages, me_too_limit_for
from portal.public.open311_pages import Open311Api, limiter_for
from portal.public.open_data_pages import OpenDataPages
from portal.public.pages import PublicationPages
from portal.public.similar_step import similar_for_form
from portal.review.commitment_pages import CommitmentPages
from portal.review.auth_pages import STAFF_EXCEPTION_HANDLERS, StaffAuthPages
from portal.review.grouping import group_pending
from portal.review.oidc import provider_state
from portal.review.oidc_pages import OidcPages
from portal.review.overview_pages import OverviewPages
from portal.review.similar_pages import SimilarPages
from portal.review.assignment_pages import AssignmentPages
from portal.review.triage_pages import TriagePages
from portal.settings import Settings
from portal.store.engine import bind_engine, build_engine, close_engine, open_engine
from portal.web import formats, i18n, labels
from portal.web.bodies import PortalRequest
from portal.web.errors import EXCEPTION_HANDLERS
from portal.web.logs import app_logging_config
from portal.web.metrics_page import metrics
from portal.web.observe import observe_requests
from portal.web.openapi import StrictStructSchemaPlugin
from portal.web.params import request_values_guard
from portal.web.limits import RateLimits
from portal.web.security import add_security_headers
from portal.web.settings import settings_dependency, settings_state

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


def configure_templates(engine: JinjaTemplateEngine, settings: Settings) -> None:
    env: Environment = engine.engine
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(i18n._, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["current_language"] = i18n.current_language.get
    env.globals["LANGUAGES"] = i18n.LANGUAGES
    env.globals["language_href"] = i18n.language_href
    env.globals["label"] = labels.label
    env.globals["topics_label"] = labels.topics_label
    env.globals["detail_items"] = labels.detail_items
    env.globals["in_language"] = formats.in_language
    env.filters.update(formats.template_filters(formats.portal_zone(settings.time_zone)))
    env.policies["ext.i18n.trimmed"] = True


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    engine = bind_engine(build_engine(settings))
    # Intake wakes the in-process classification worker; it does not import it.
    intake.when_text_stored(notify_new_feedback)
    # The web form's "others said something similar" step asks the public pages, which intake does not know.
    citizen_pages.when_similar_asked(similar_for_form)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await open_engine(engine, pool_size=settings.db_pool_size)
        try:
            yield
        finally:
            await close_engine(engine)

    # Counted in this process's memory, in Redis or in the database, as the settings say (portal.web.limits).
    limits = RateLimits(settings)
    app = Litestar(
        route_handlers=[
            CitizenPages,
            FollowUpPages,
            DigestPages,
            DigestGuide,
            FeedbackApi,
            CounterDeviceApi,
            KioskPages,
            ClerkPages,
            StaffAuthPages,
            OidcPages,
            AdminHome,
            ServicePages,
            OfficePages,
            DevicePages,
            StaffPages,
            InvitationPages,
            SubscriptionPages,
            TopicPages,
            ApiKeyPages,
            PrivacyPages,
            TriagePages,
            AssignmentPages,
            OverviewPages,
            CommitmentPages,
            PublicationPages,
            SimilarPages,
            Open311Api,
            ResultsPages,
            OpenDataPages,
            healthz,
            readyz,
            metrics,
            create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False),
        ],
        # The worker files newly labelled items into groups of similar reports once its queue drains.
        lifespan=[lifespan, worker_lifespan(settings, after_drain=group_pending),
                  scheduler_lifespan(settings, extra_jobs=(OPEN_DATA_JOB, RETENTION_JOB))],
        state=State({
            **settings_state(settings),
            **provider_state(settings),
            "rate_limiter": limits.limit("submissions", *settings.rate_limit_pair),
            **limiter_for(settings, limits),
            **me_too_limit_for(limits),
            lookups.STATE_KEY: lookups.LookupThrottle(limits.limit("lookups", *settings.lookup_limit_pair),
                                                      limits.limit("lookup-misses", *settings.lookup_miss_limit_pair),
                                                      settings.secret_key),
        }),
        stores=limits.stores,
        template_config=TemplateConfig(
            directory=TEMPLATES_DIR, engine=JinjaTemplateEngine, engine_callback=lambda engine: configure_templates(engine, settings),
        ),
        dependencies=settings_dependency(),
        exception_handlers={**EXCEPTION_HANDLERS, **STAFF_EXCEPTION_HANDLERS},
        middleware=[i18n.language_middleware, request_values_guard],
        request_class=PortalRequest,
        before_send=[add_security_headers],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(title="Guichet API", version="1.0.0", path="/schema"),
        plugins=[StrictStructSchemaPlugin()],
        logging_config=app_logging_config(settings),
    )
    # Outside the router, as Litestar's OpenTelemetry plugin does: unknown paths get a request id, a log line and figures too.
    app.asgi_handler = observe_requests(app.asgi_handler, settings.trusted_proxies)
    return app
