"""Reports: a site's figures for a range of local dates (staff), as JSON, CSV and SVG charts; sites side by side (admin)."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from schedq.api import auth
from schedq.api.language import chosen_language
from schedq.api.reports.schemas import (
    ChainQueryArgsSchema,
    ChainReportSchema,
    ChartQueryArgsSchema,
    ReportQueryArgsSchema,
    SiteReportSchema,
    TableQueryArgsSchema,
)
from schedq.api.reports.tables import chain_table, columns_of, site_table, to_csv
from schedq.domain.enums import Role
from schedq.services.reports import chain_report, site_report
from schedq.web_context import now, uow

blp = Blueprint("reports", __name__, description="Reports for site managers, counted from the visit events")

CSV_TYPE = "text/csv; charset=utf-8"
SVG_TYPE = "image/svg+xml"


def _site_report(site_id: int, args: dict):
    auth.require_staff(site_id)
    return site_report(
        uow(write=False),
        site_id=site_id,
        first_day=args["from_"],
        last_day=args["to"],
        now=now(),
        language=chosen_language(),
    )


def _attachment(body: str, filename: str) -> Response:
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        content_type=CSV_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blp.route("/sites/<id:site_id>/reports")
class SiteReport(MethodView):
    @blp.arguments(ReportQueryArgsSchema, location="query")
    @blp.response(200, SiteReportSchema)
    @blp.doc(**auth.BEARER_DOC)
    def get(self, args, site_id):
        """Every figure of a site between two local dates, counted from its events (staff)"""
        return _site_report(site_id, args)


@blp.route("/sites/<id:site_id>/reports.csv")
class SiteReportTable(MethodView):
    @blp.arguments(TableQueryArgsSchema, location="query")
    @blp.response(200, content_type="text/csv", description="one table of the report, UTF-8 with a BOM")
    @blp.doc(**auth.BEARER_DOC)
    def get(self, args, site_id):
        """One table of a site's report as a CSV file a spreadsheet opens (staff)"""
        report = _site_report(site_id, args)
        table = args["table"]
        rows = site_table(report, table)
        name = f"schedq-site{site_id}-{table}-{args['from_'].isoformat()}-{args['to'].isoformat()}.csv"
        return _attachment(to_csv(rows, columns_of(table)), name)


@blp.route("/sites/<id:site_id>/reports/chart.svg")
class SiteReportChart(MethodView):
    @blp.arguments(ChartQueryArgsSchema, location="query")
    @blp.response(
        200, content_type=SVG_TYPE, description="the chart as SVG, with its title and a text alternative"
    )
    @blp.doc(**auth.BEARER_DOC)
    def get(self, args, site_id):
        """One chart of a site's report as SVG, its words in the language asked (staff)"""
        from schedq.web.reports import report_chart

        report = _site_report(site_id, args)
        svg = report_chart(report, args["chart"], chosen_language())
        return Response(svg, mimetype=SVG_TYPE)


def _chain(args: dict):
    principal = auth.current_principal()
    if principal is None:
        abort(401, message="an API token is required", headers={"WWW-Authenticate": "Bearer"})
    if principal.role is not Role.ADMIN:
        abort(403, message="this needs an admin token")
    return chain_report(
        uow(write=False),
        first_day=args["from_"],
        last_day=args["to"],
        now=now(),
        language=chosen_language(),
        region=args.get("region") or None,
        site_ids=None if principal.is_global_admin else principal.site_ids,
    )


@blp.route("/reports")
class ChainReport(MethodView):
    @blp.arguments(ChainQueryArgsSchema, location="query")
    @blp.response(200, ChainReportSchema)
    @blp.doc(**auth.BEARER_DOC)
    def get(self, args):
        """The headline figures of every site (or a region's) side by side (admin; a site admin sees its sites)"""
        return _chain(args)


@blp.route("/reports.csv")
class ChainReportTable(MethodView):
    @blp.arguments(ChainQueryArgsSchema, location="query")
    @blp.response(200, content_type="text/csv", description="one row a site, UTF-8 with a BOM")
    @blp.doc(**auth.BEARER_DOC)
    def get(self, args):
        """The sites side by side as a CSV file (admin)"""
        report = _chain(args)
        region = f"-{args['region']}" if args.get("region") else ""
        safe_region = "".join(c if c.isalnum() else "-" for c in region)
        name = f"schedq-sites{safe_region}-{args['from_'].isoformat()}-{args['to'].isoformat()}.csv"
        return _attachment(to_csv(chain_table(report), columns_of("chain")), name)
