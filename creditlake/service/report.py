"""The enterprise credit report, server-rendered: one printable HTML page with its charts as
inline SVG, nothing fetched from anywhere (no CDN, no script). Sections follow the enterprise
credit reports banks know (PBoC, D&B); labels in Chinese or English."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from html import escape

LABELS = {
    "title": ("企业信用报告", "Enterprise credit report"),
    "report_id": ("报告编号", "Report id"),
    "generated": ("报告时间", "Generated"),
    "bank": ("查询机构", "Bank"),
    "purpose": ("查询原因", "Purpose"),
    "identity": ("身份与登记信息", "Identity and registration"),
    "summary": ("信用概要", "Summary"),
    "three_tables": (
        "三表：用电、用水、纳税（近24个月，对比同业中位数）",
        "The three tables: electricity, water, tax (24 months, against industry peers' median)",
    ),
    "supply_chain": ("供应链", "Supply chain"),
    "public_records": (
        "公共记录（结束后保留5年）",
        "Public records (shown for 5 years after they end)",
    ),
    "warnings": ("预警信号", "Warnings"),
    "credit_lines": ("授信额度（按产品）", "Credit lines by product"),
    "repayment": ("本机构还款记录", "Repayment at this bank"),
    "queries": ("查询记录", "Query record"),
    "score": ("评分", "Score"),
    "grade": ("等级", "Grade"),
    "decision": ("决策", "Decision"),
    "reasons": ("主要原因", "Reason codes"),
    "data_depth": ("数据深度", "Data depth"),
    "electricity": ("用电量 (kWh)", "Electricity (kWh)"),
    "water": ("用水量 (m³)", "Water (m³)"),
    "tax": ("纳税额 (元)", "Tax paid (CNY)"),
    "this_enterprise": ("本企业", "This enterprise"),
    "peers": ("同业中位数", "Peers' median"),
    "payment_index": ("付款指数 (Paydex)", "Payment index (Paydex)"),
    "days_beyond_terms": ("逾期付款天数", "Days beyond terms paid"),
    "buyer_concentration": ("客户集中度 (HHI)", "Buyer concentration (HHI)"),
    "core_enterprise": ("核心企业", "Core enterprise"),
    "none": ("无", "None"),
    "forbidden": ("无权查询", "Not authorised"),
    "across_banks": ("跨机构还款概况", "Repayment across banks"),
    "another_institution": ("其他机构", "another institution"),
}
REGISTRY_FIELDS = [
    ("uscc", ("统一社会信用代码", "USCC")),
    ("enterprise_name", ("企业名称", "Name")),
    ("legacy_reg_no", ("原注册号", "Legacy registration no.")),
    ("enterprise_type", ("企业类型", "Type")),
    ("size_class", ("规模", "Size")),
    ("industry_division_name", ("行业", "Industry")),
    ("province_name", ("省份", "Province")),
    ("city_name", ("城市", "City")),
    ("registered_capital", ("注册资本", "Registered capital")),
    ("established_on", ("成立日期", "Established")),
    ("status", ("登记状态", "Status")),
    ("address", ("住所", "Address")),
]
# the column headers of the report's tables
COLUMNS = {
    "record_type": ("记录类型", "Record type"),
    "started_on": ("开始日期", "Started"),
    "ended_on": ("结束日期", "Ended"),
    "source": ("来源", "Source"),
    "detail": ("详情", "Detail"),
    "amount": ("金额 (元)", "Amount (CNY)"),
    "shown_until": ("展示至", "Shown until"),
    "signal": ("信号", "Signal"),
    "level": ("级别", "Level"),
    "status": ("状态", "Status"),
    "first_seen_month": ("首次出现", "First seen"),
    "last_seen_month": ("最近出现", "Last seen"),
    "metric": ("指标", "Metric"),
    "evidence_first_value": ("首次取值", "First value"),
    "evidence_last_value": ("最近取值", "Last value"),
    "amber_threshold": ("黄色阈值", "Amber threshold"),
    "red_threshold": ("红色阈值", "Red threshold"),
    "product_id": ("产品编号", "Product"),
    "product_type": ("产品类型", "Product type"),
    "grade": ("等级", "Grade"),
    "decision": ("决策", "Decision"),
    "suggested_line": ("建议额度 (元)", "Suggested line (CNY)"),
    "offer_status": ("授信状态", "Offer status"),
    "period": ("月份", "Month"),
    "exposure": ("敞口 (元)", "Exposure (CNY)"),
    "days_past_due": ("逾期天数", "Days past due"),
    "banks": ("机构数", "Banks"),
    "loans": ("贷款笔数", "Loans"),
    "current_exposure": ("当前敞口 (元)", "Current exposure (CNY)"),
    "worst_days_past_due_ever": ("历史最长逾期天数", "Worst days past due"),
    "loans_ever_90_plus": ("曾逾期90天以上笔数", "Loans ever 90+ days past due"),
    "at": ("查询时间", "Time"),
    "bank_id": ("查询机构", "Institution"),
    "purpose": ("查询原因", "Purpose"),
    "endpoint": ("查询内容", "Endpoint"),
    "outcome": ("结果", "Outcome"),
}
# the codes the marts hold, as a bank's reader says them (a code not listed shows as it is)
CODES = {
    "enterprise_type": {
        "limited_company": ("有限责任公司", "Limited company"),
        "sole_proprietorship": ("个人独资企业", "Sole proprietorship"),
        "partnership": ("合伙企业", "Partnership"),
        "individual_business": ("个体工商户", "Individual business"),
    },
    "size_class": {
        "micro": ("微型", "Micro"),
        "small": ("小型", "Small"),
        "medium": ("中型", "Medium"),
        "large": ("大型", "Large"),
    },
    "status": {  # registration and warning status share the column name
        "active": ("存续", "Active"),
        "suspended": ("停业", "Suspended"),
        "revoked": ("吊销", "Revoked"),
        "cancelled": ("注销", "Cancelled"),
        "new": ("新增", "New"),
        "ongoing": ("持续", "Ongoing"),
        "resolved": ("已解除", "Resolved"),
    },
    "decision": {
        "approve": ("通过", "Approve"),
        "refer": ("人工复核", "Refer"),
        "decline": ("拒绝", "Decline"),
    },
    "level": {"red": ("红色", "Red"), "amber": ("黄色", "Amber")},
    "offer_status": {
        "offered": ("可授信", "Offered"),
        "declined_by_score": ("评分未通过", "Declined by score"),
        "not_in_core_chain": ("非核心企业链上企业", "Not in a core enterprise's chain"),
        "no_basis_data": ("缺少测算数据", "No data to base a line on"),
        "below_product_minimum": ("低于产品最低额度", "Below the product's minimum"),
    },
    "record_type": {
        "penalty": ("行政处罚", "Administrative penalty"),
        "abnormal_operation": ("经营异常名录", "Abnormal operations list"),
        "dishonest_debtor": ("失信被执行人", "Dishonest judgment debtor"),
        "tax_arrear": ("欠税", "Tax arrears"),
    },
    "purpose": {
        "loan_application": ("贷款审批", "Loan application"),
        "post_loan_management": ("贷后管理", "Post-loan management"),
        "guarantee_review": ("担保资格审查", "Guarantee review"),
        "account_opening": ("开户及业务关系", "Account opening"),
        "other": ("其他", "Other"),
    },
    "outcome": {
        "ok": ("成功", "Answered"),
        "forbidden": ("未获授权", "Not authorised"),
        "bad_request": ("请求有误", "Bad request"),
        "unauthenticated": ("未认证", "Not signed in"),
        "rate_limited": ("超出频率", "Rate limited"),
        "unavailable": ("暂不可用", "Unavailable"),
        "error": ("出错", "Error"),
    },
}
STYLE = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC",sans-serif;margin:2em;color:#222}
h1{font-size:1.6em;border-bottom:3px solid #1f4e79}h2{font-size:1.15em;color:#1f4e79;margin-top:1.6em}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #bbb;padding:.25em .6em;text-align:left}
th{background:#eef3f8}.chart{display:inline-block;margin:0 1em 1em 0}.muted{color:#777}
@media print{body{margin:1cm}section{page-break-inside:avoid}}
"""


def shown_records(records: list[dict], today: str) -> list[dict]:
    """The public records a report made on `today` (ISO date) shows: those that stand, and those
    that ended less than 5 years ago (shown_until, set by fct_public_records)."""
    return [r for r in records if r["shown_until"] is None or r["shown_until"] >= today]


def _say(words: tuple[str, str], lang: str) -> str:
    """The (Chinese, English) pair's words in the report's language."""
    return words[0 if lang == "zh" else 1]


def _t(key: str, lang: str) -> str:
    return _say(LABELS[key], lang)


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal | float):
        return f"{float(value):,.2f}"
    return str(value)


def _cell(column: str, value, lang: str) -> str:
    """A value as the report prints it: a code in words, a number with separators."""
    label = CODES.get(column, {}).get(value)
    return _say(label, lang) if label else _fmt(value)


def _table(rows: list[dict], columns: list[str], lang: str) -> str:
    if not rows:
        return f'<p class="muted">{_t("none", lang)}</p>'
    head = "".join(f"<th>{_say(COLUMNS[c], lang)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(c, r.get(c), lang))}</td>" for c in columns) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def line_chart(title: str, labels: list[str], series: list[tuple[str, str, list]]) -> str:
    """An inline SVG line chart: `series` of (name, colour, values), None for a gap."""
    width, height, pad = 360, 160, 30
    values = [float(v) for _, _, vs in series for v in vs if v is not None]
    # the axis spans zero and every value: days beyond terms go below zero (paid early)
    bottom, top = min([0.0, *values]), max([0.0, *values])
    top = top if top > bottom else bottom + 1.0
    n = max(len(labels), 2)
    x = lambda i: pad + i * (width - 2 * pad) / (n - 1)  # noqa: E731
    y = lambda v: height - pad - (float(v) - bottom) / (top - bottom) * (height - 2 * pad)  # noqa: E731
    lines = []
    for name, colour, vs in series:
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vs) if v is not None)
        if points:
            lines.append(
                f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="2" '
                f'points="{points}"><title>{escape(name)}</title></polyline>'
            )
    legend = "".join(
        f'<tspan fill="{colour}" dx="8">■ {escape(name)}</tspan>' for name, colour, _ in series
    )
    first, last = (labels[0], labels[-1]) if labels else ("", "")
    return (
        f'<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{escape(title)}</title>"
        f'<line x1="{pad}" y1="{y(0):.1f}" x2="{width - pad}" y2="{y(0):.1f}" stroke="#999"/>'
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#999"/>'
        + "".join(lines)
        + f'<text x="{pad}" y="{height - 8}" font-size="10">{escape(first)}</text>'
        f'<text x="{width - pad}" y="{height - 8}" font-size="10" text-anchor="end">{escape(last)}</text>'
        f'<text x="{pad}" y="14" font-size="11">{legend}</text>'
        f"</svg><figcaption>{escape(title)}</figcaption></figure>"
    )


def _three_tables(months: list[dict], peers: list[dict], lang: str) -> str:
    months = sorted(months, key=lambda r: r["period"])
    peer = {r["period"]: r for r in peers}
    labels = [r["period"] for r in months]
    charts = []
    for key, column in (
        ("electricity", "electricity_kwh"),
        ("water", "water_m3"),
        ("tax", "tax_paid"),
    ):
        charts.append(
            line_chart(
                _t(key, lang),
                labels,
                [
                    (_t("this_enterprise", lang), "#1f4e79", [r[column] for r in months]),
                    (_t("peers", lang), "#c55a11", [peer.get(p, {}).get(column) for p in labels]),
                ],
            )
        )
    return "".join(charts)


def render(data: dict, lang: str = "zh") -> str:
    reg, score, ind = data["registry"], data["score"] or {}, data["indicators"] or {}
    months = sorted(data["months"], key=lambda r: r["period"])
    identity = "".join(
        f"<tr><th>{_say(label, lang)}</th><td>{escape(_cell(k, reg.get(k), lang))}</td></tr>"
        for k, label in REGISTRY_FIELDS
    )
    reasons = ", ".join(
        f"{escape(r['reason_code'])} {escape(r['reason_text'] or '')}"
        for r in data.get("reasons", [])
    ) or ", ".join(
        escape(c)
        for c in (
            score.get("reason_code_1"),
            score.get("reason_code_2"),
            score.get("reason_code_3"),
        )
        if c
    )
    summary = (
        f"<table><tr><th>{_t('score', lang)}</th><td>{_fmt(score.get('score'))}</td>"
        f"<th>{_t('grade', lang)}</th><td>{_fmt(score.get('grade'))}</td>"
        f"<th>{_t('decision', lang)}</th><td>{_cell('decision', score.get('decision'), lang)}</td>"
        f"<th>{_t('data_depth', lang)}</th><td>{_fmt(reg.get('data_depth_grade'))}</td></tr>"
        f"<tr><th>{_t('reasons', lang)}</th><td colspan=7>{reasons or '—'}</td></tr></table>"
    )
    chain = (
        line_chart(
            _t("days_beyond_terms", lang),
            [r["period"] for r in months],
            [
                (
                    _t("this_enterprise", lang),
                    "#1f4e79",
                    [r["days_beyond_terms_paid"] for r in months],
                )
            ],
        )
        + f"<table><tr><th>{_t('payment_index', lang)}</th><td>{_fmt(ind.get('paydex_12m'))}</td></tr>"
        f"<tr><th>{_t('buyer_concentration', lang)}</th><td>{_fmt(ind.get('customer_hhi_12m'))}</td></tr>"
        f"<tr><th>{_t('core_enterprise', lang)}</th><td>{escape(_fmt(reg.get('chain_name')))} "
        f"{escape(_fmt(reg.get('core_uscc')))}</td></tr></table>"
    )
    # who asked: this bank by name, any other institution as such (its business is its own)
    queries = [
        {
            "at": at,
            "bank_id": bank if bank == data["bank_id"] else _t("another_institution", lang),
            "purpose": purpose,
            "endpoint": endpoint,
            "outcome": outcome,
        }
        for at, bank, purpose, endpoint, outcome in data["queries"]
    ]
    sections = [
        ("identity", f"<table>{identity}</table>"),
        ("summary", summary),
        ("three_tables", _three_tables(data["months"], data["peers"], lang)),
        ("supply_chain", chain),
        (
            "public_records",
            _table(
                data["public_records"],
                [
                    "record_type",
                    "started_on",
                    "ended_on",
                    "source",
                    "detail",
                    "amount",
                    "shown_until",
                ],
                lang,
            ),
        ),
        (
            "warnings",
            _table(
                data["warnings"],
                [
                    "signal",
                    "level",
                    "status",
                    "first_seen_month",
                    "last_seen_month",
                    "metric",
                    "evidence_first_value",
                    "evidence_last_value",
                    "amber_threshold",
                    "red_threshold",
                ],
                lang,
            ),
        ),
        (
            "credit_lines",
            _table(
                data["offers"],
                [
                    "product_id",
                    "product_type",
                    "grade",
                    "decision",
                    "suggested_line",
                    "offer_status",
                ],
                lang,
            ),
        ),
        (
            "repayment",
            _table(data["own_repayment"], ["period", "exposure", "days_past_due"], lang)
            + f"<h3>{_t('across_banks', lang)}</h3>"
            + _table(
                [data["repayment_across_banks"] or {}],
                [
                    "banks",
                    "loans",
                    "current_exposure",
                    "worst_days_past_due_ever",
                    "loans_ever_90_plus",
                ],
                lang,
            ),
        ),
        ("queries", _table(queries, ["at", "bank_id", "purpose", "endpoint", "outcome"], lang)),
    ]
    header = (
        f"<table><tr><th>{_t('report_id', lang)}</th><td>{uuid.uuid4()}</td>"
        f"<th>{_t('generated', lang)}</th><td>{datetime.now(UTC).isoformat(timespec='seconds')}</td></tr>"
        f"<tr><th>{_t('bank', lang)}</th><td>{escape(data['bank_name'])} ({escape(data['bank_id'])})</td>"
        f"<th>{_t('purpose', lang)}</th><td>{escape(_cell('purpose', data['purpose'], lang))}</td></tr></table>"
    )
    body = "".join(
        f'<section id="{key}"><h2>{_t(key, lang)}</h2>{html}</section>' for key, html in sections
    )
    return _page(
        f"{_t('title', lang)} · {escape(reg.get('enterprise_name') or '')}",
        f'<header id="header">{header}</header>{body}',
        lang,
    )


def _page(title: str, body: str, lang: str) -> str:
    return (
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{STYLE}</style></head><body><h1>{title}</h1>{body}</body></html>"
    )


def refusal_page(status: int, detail: str, lang: str = "zh") -> str:
    return _page(
        f"{status} · {_t('forbidden', lang)}", f'<p id="refusal">{escape(detail)}</p>', lang
    )


def login_page() -> str:
    return _page(
        "creditlake",
        '<form method="get" action="/login"><label>API key <input name="key" type="password">'
        '</label><input type="hidden" name="next" value="/v1/book"><button>Sign in</button></form>',
        "en",
    )
