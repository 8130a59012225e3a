"""The HTTP service (FastAPI): fixed, parameterised endpoints over the published marts.

Every request passes one middleware that authenticates the bank, applies its rate limit, lets
the endpoint answer, and writes the audit entry (bank, purpose, enterprise, endpoint,
parameters, the answer's sha256, the outcome) before the answer leaves. A request the audit
log cannot record gets 503 and no data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal

from fastapi import FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from creditlake.core import assets
from creditlake.core import uscc as uscc_codes
from creditlake.service import audit, authz, banks, report
from creditlake.service.marts import Build, Marts, MartsUnavailable
from creditlake.service.settings import ServiceSettings
from creditlake.service.store import Store

log = logging.getLogger("creditlake.service")
SESSION_COOKIE = "creditlake_session"
SESSION_SECONDS = 8 * 3600
# /docs: Swagger UI from the copy `make install` vendors (creditlake.core.assets), not a CDN
SWAGGER_UI, SWAGGER_UI_PATH = assets.packages()["swagger-ui-dist"], "/docs/swagger-ui"
PUBLIC = {
    "/healthz",
    "/login",
    "/docs",
    "/openapi.json",
    *(f"{SWAGGER_UI_PATH}/{name}" for name in SWAGGER_UI.files),
}


class Registration(BaseModel):
    uscc: str = Field(description="The enterprise's Unified Social Credit Code")
    purpose: str = Field(description="One of: " + ", ".join(authz.PURPOSES))
    valid_from: date
    valid_to: date
    document_sha256: str = Field(description="sha256 of the signed authorisation letter")


class Revocation(BaseModel):
    evidence_sha256: str = Field(description="sha256 of the enterprise's revocation")


class RateLimiter:
    """A token bucket per bank: `rate` requests a second on average, `burst` at once."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float:
        """0 if the request may go now, else the seconds to wait."""
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), time.monotonic()))
            now = time.monotonic()
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(type(value))


def _json(doc, status: int = 200) -> Response:
    body = json.dumps(doc, default=_json_default, ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json")


def create_app(cfg: ServiceSettings) -> FastAPI:
    app = FastAPI(
        title="creditlake bank service",
        description="The shared credit view of authorised enterprises, a bank's own book, and "
        "the authorisations behind them. Every request is audited.",
        version="1",
        docs_url=None,  # served below, from the vendored Swagger UI
        redoc_url=None,  # ReDoc loads from a CDN: one documentation page, offline
    )
    registry = banks.load(cfg.banks_file)
    store = Store(cfg.store_dsn)
    marts = Marts(cfg.marts)
    limiter = RateLimiter(cfg.rate_per_second, cfg.burst)
    session_key = hmac.new(cfg.audit_key.encode(), b"browser-session", hashlib.sha256).digest()
    app.state.store, app.state.marts = store, marts

    def session_for(bank_id: str) -> str:
        expiry = str(int(time.time()) + SESSION_SECONDS)
        mac = hmac.new(session_key, f"{bank_id}.{expiry}".encode(), hashlib.sha256).hexdigest()
        return f"{bank_id}.{expiry}.{mac}"

    def bank_of(request: Request) -> banks.Bank | None:
        header = request.headers.get("authorization", "")
        key = header[7:].strip() if header.lower().startswith("bearer ") else None
        if key or request.headers.get("x-api-key"):
            return banks.authenticate(registry, key or request.headers.get("x-api-key"))
        cookie = request.cookies.get(SESSION_COOKIE, "")
        parts = cookie.split(".")
        if len(parts) == 3 and parts[0] in registry and parts[1].isdigit():
            mac = hmac.new(session_key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256)
            if hmac.compare_digest(mac.hexdigest(), parts[2]) and int(parts[1]) > time.time():
                return registry[parts[0]]
        return None

    @app.middleware("http")
    async def authenticate_limit_audit(request: Request, call_next):
        bank = bank_of(request)
        request.state.bank = bank
        path = request.url.path
        # a bank's own bucket; unauthenticated callers one per address (guessing keys is slow)
        caller = bank.id if bank else f"address:{request.client.host if request.client else '?'}"
        if wait := limiter.allow(caller):
            response = _refusal(request, 429, "rate_limited", f"retry in {wait:.1f} s")
            response.headers["Retry-After"] = str(max(1, round(wait)))
        elif bank is None and path not in PUBLIC:
            response = _refusal(
                request, 401, "unauthenticated", "an API key or a session is needed"
            )
        else:
            try:
                response = await call_next(request)
            except Exception:  # a fault of ours: answered 500, and audited like the rest
                log.exception("%s %s failed", request.method, path)
                request.state.outcome = "error"
                response = JSONResponse({"detail": "internal error"}, status_code=500)
        if hasattr(response, "body_iterator"):  # the endpoint's answer, streamed to us
            body = b"".join([chunk async for chunk in response.body_iterator])
        else:  # a refusal made here
            body = response.body
        route = request.scope.get("route")
        params = {**request.query_params, **(request.scope.get("path_params") or {})}
        params.pop("key", None)
        uscc = params.get("uscc")
        bank = request.state.bank  # signing in names the bank only in its answer
        build = getattr(request.state, "build", None)  # the build that answered, if any
        try:
            seq, entry_hash = audit.record(
                store,
                bank_id=bank.id if bank else None,
                purpose=params.get("purpose"),
                uscc=uscc_codes.normalise(uscc) if uscc else None,
                endpoint=f"{request.method} {route.path if route else path}",
                params={**params, "marts_build": build.id if build else None},
                result=body,
                outcome=getattr(
                    request.state, "outcome", "ok" if response.status_code < 400 else "error"
                ),
                status=response.status_code,
            )
        except Exception:  # an answer the log cannot record does not leave
            log.exception("the audit log cannot record %s %s", request.method, path)
            return JSONResponse({"detail": "the audit log is unavailable"}, status_code=503)
        if cfg.checkpoint_every and seq % cfg.checkpoint_every == 0:
            try:  # the entry is recorded; a checkpoint that fails is retried at the next one
                audit.write_checkpoint(cfg.checkpoints, cfg.audit_key, seq, entry_hash)
            except OSError:
                log.exception("audit checkpoint at entry %d not written", seq)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        headers["X-Audit-Seq"] = str(seq)
        return Response(
            body, status_code=response.status_code, headers=headers, media_type=response.media_type
        )

    def _refusal(request: Request, status: int, outcome: str, detail: str) -> Response:
        request.state.outcome = outcome
        if request.url.path.startswith("/report/"):
            return HTMLResponse(
                report.refusal_page(status, detail, _lang(request)), status_code=status
            )
        return JSONResponse({"detail": detail}, status_code=status)

    def _lang(request: Request) -> str:
        return "en" if request.query_params.get("lang") == "en" else "zh"

    def authorised(request: Request, uscc: str, purpose: str) -> str:
        """The normalised USCC, once the bank may see it for `purpose`; else 403 (audited)."""
        bank = request.state.bank
        try:
            code = authz.enterprise(uscc)
            authz.check_purpose(purpose)
        except authz.AuthorisationError as exc:
            request.state.outcome = "bad_request"
            raise HTTPException(422, str(exc)) from None
        today = datetime.now(UTC).date()
        build = request.state.build = marts.current()
        outstanding = lambda: build.query("outstanding", bank.id, code, bank.id)[0]["loans"]  # noqa: E731
        if not authz.permits(store, bank.id, code, purpose, today, outstanding):
            request.state.outcome = "forbidden"
            raise HTTPException(
                403, f"no active authorisation of {code} for {bank.id}, purpose {purpose}"
            )
        request.state.outcome = "ok"
        return code

    @app.exception_handler(MartsUnavailable)
    async def no_marts(request: Request, exc: MartsUnavailable):
        request.state.outcome = "unavailable"
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if request.url.path.startswith("/report/"):
            return HTMLResponse(
                report.refusal_page(exc.status_code, str(exc.detail), _lang(request)),
                status_code=exc.status_code,
            )
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    def credit_view(build: Build, code: str) -> str:
        """The shared credit view (registry, score and its reasons, indicators, warnings,
        repayment across banks) as the build's serving mart holds it: JSON text."""
        doc = build.document("credit_view", code)
        if doc is None:
            raise HTTPException(404, f"{code} is not in the marts")
        return doc

    @app.get("/healthz", summary="Liveness (no data)")
    def healthz():
        return {"status": "ok"}

    @app.get("/v1/enterprises/{uscc}", summary="The shared credit view of an authorised enterprise")
    def enterprise(request: Request, uscc: str, purpose: str):
        code = authorised(request, uscc, purpose)
        doc = credit_view(request.state.build, code)
        return Response(doc.encode("utf-8"), media_type="application/json")

    @app.get(
        "/v1/enterprises/{uscc}/loans", summary="This bank's loans to the enterprise, by month"
    )
    def own_loans(request: Request, uscc: str, purpose: str):
        code = authorised(request, uscc, purpose)
        loans = request.state.build.query("own_loans", request.state.bank.id, code)
        return _json({"uscc": code, "loans": loans})

    @app.get("/v1/enterprises/{uscc}/offers", summary="Credit lines by product for the enterprise")
    def offers(request: Request, uscc: str, purpose: str):
        code = authorised(request, uscc, purpose)
        offers = request.state.build.document("offers", code)
        return _json({"uscc": code, "offers": json.loads(offers or "[]")})

    def own_book(request: Request, query: str, key: str) -> Response:
        """Rows of the bank's own book (no enterprise authorisation: its loans are its own)."""
        bank = request.state.bank
        build = request.state.build = marts.current()
        return _json({"bank_id": bank.id, key: build.query(query, bank.id, bank.id)})

    @app.get("/v1/book", summary="This bank's loans at the latest month end")
    def book(request: Request):
        return own_book(request, "book", "loans")

    @app.get(
        "/v1/watchlist",
        summary="Open warnings of this bank's borrowers (post-loan management, loans outstanding)",
    )
    def watchlist(request: Request):
        return own_book(request, "watchlist", "warnings")

    @app.get(
        "/v1/prospects",
        summary="Batch screening: authorised enterprises by name, others pseudonymised",
    )
    def prospects(request: Request):
        bank = request.state.bank
        build = request.state.build = marts.current()
        known = authz.authorised_usccs(store, bank.id, datetime.now(UTC).date())
        rows = []
        for row in build.query("prospects"):
            if row["uscc"] not in known:  # until authorised: a pseudonym, no name
                digest = hmac.new(session_key, f"{bank.id}|{row['uscc']}".encode(), hashlib.sha256)
                row = {
                    **row,
                    "uscc": None,
                    "enterprise_name": None,
                    "pseudonym": digest.hexdigest()[:20],
                }
            rows.append(row)
        return _json({"prospects": rows})

    @app.post(
        "/v1/authorisations",
        status_code=201,
        summary="Register an enterprise's signed authorisation",
    )
    def register(request: Request, doc: Registration):
        try:
            auth = authz.register(
                store,
                request.state.bank.id,
                doc.uscc,
                doc.purpose,
                doc.valid_from,
                doc.valid_to,
                doc.document_sha256,
            )
        except authz.AuthorisationError as exc:
            request.state.outcome = "bad_request"
            raise HTTPException(422, str(exc)) from None
        return _json(auth.__dict__, status=201)

    @app.get("/v1/authorisations", summary="This bank's authorisations")
    def list_authorisations(request: Request, uscc: str | None = None):
        return _json([a.__dict__ for a in authz.of_bank(store, request.state.bank.id, uscc)])

    @app.post(
        "/v1/authorisations/{auth_id}/revoke", summary="Revoke an authorisation, with evidence"
    )
    def revoke(request: Request, auth_id: str, doc: Revocation):
        try:
            auth = authz.revoke(store, request.state.bank.id, auth_id, doc.evidence_sha256)
        except authz.AuthorisationError as exc:
            request.state.outcome = "bad_request"
            raise HTTPException(422, str(exc)) from None
        except LookupError:
            raise HTTPException(404, f"this bank has no authorisation {auth_id}") from None
        return _json(auth.__dict__)

    @app.get(
        "/report/{uscc}", response_class=HTMLResponse, summary="The enterprise credit report (HTML)"
    )
    def credit_report(request: Request, uscc: str, purpose: str, lang: str = "zh"):
        code = authorised(request, uscc, purpose)
        bank = request.state.bank
        build = request.state.build
        view = json.loads(credit_view(build, code))
        panels = {k: json.loads(v) for k, v in build.query("report_panels", code)[0].items()}
        today = datetime.now(UTC).date().isoformat()
        registry = view["registry"]
        peers = build.document("peer_months", registry["industry_section"], registry["size_class"])
        data = {
            **view,
            **panels,
            "bank_id": bank.id,
            "bank_name": bank.name,
            "purpose": purpose,
            "peers": json.loads(peers or "[]"),
            "public_records": report.shown_records(panels["public_records"], today),
            "own_repayment": build.query("own_repayment_months", bank.id, code),
            "queries": store.queries_of(code),
        }
        return HTMLResponse(report.render(data, "en" if lang == "en" else "zh"))

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, key: str | None = None, next: str = "/"):
        if key:  # a link the demo prints: the key goes into a session cookie, not the history
            bank = banks.authenticate(registry, key)
            if bank is None:
                request.state.outcome = "unauthenticated"
                return HTMLResponse(report.refusal_page(401, "unknown key", "en"), status_code=401)
            target = next if next.startswith("/") and not next.startswith("//") else "/"
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(
                SESSION_COOKIE, session_for(bank.id), httponly=True, samesite="strict"
            )
            request.state.bank = bank
            return response
        return HTMLResponse(report.login_page())

    if assets.check(SWAGGER_UI.name):  # else a warning naming `make install`; /docs is blank
        app.mount(SWAGGER_UI_PATH, StaticFiles(directory=SWAGGER_UI.folder))

    @app.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{SWAGGER_UI_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_UI_PATH}/favicon-32x32.png",
        )

    return app
