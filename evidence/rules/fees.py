"""Category 10: interest and fees above the caps, and interest deducted up front (砍头息)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time

from evidence.loans import LoanRecord, effective_annual_rate, lpr_on
from evidence.records import FindingDraft
from evidence.rules.catalog import Catalog, finding_key


def _caps_engaged(rate: float, loan: LoanRecord, caps: list[dict[str, object]]) -> list[str]:
    engaged = []
    for cap in caps:
        applies = cap["applies"]
        if loan.lender_type is not None and loan.lender_type not in applies:  # type: ignore[operator]
            continue
        if "lpr_multiple" in cap:
            row = lpr_on(loan.start)
            if row is None:
                continue
            limit = float(row.rate) / 100 * float(cap["lpr_multiple"])  # type: ignore[arg-type]
            name = f"合同成立时一年期LPR（{row.rate}%）的四倍即{limit:.2%}（{cap['basis']}；LPR数值待核实）"
        else:
            limit = float(cap["rate"])  # type: ignore[arg-type]
            name = f"年利率{cap['name']}（{cap['basis']}）"
            if cap["mark"] == "U":
                name += "【该依据待核实】"
        if rate > limit:
            engaged.append(name)
    return engaged


RATE_SHOWN_UP_TO = 10.0  # 1000% a year: beyond it a figure says more about the schedule than the loan


def rate_text(rate: float) -> str:
    """An annual rate as a filing states it: to one decimal of a percent, and above 1000% only
    as "超过1000%" (a week's loan repaid at 30% extra compounds to billions of percent, which is
    true arithmetic but reads as an error)."""
    return f"{rate:.1%}" if rate <= RATE_SHOWN_UP_TO else f"超过{RATE_SHOWN_UP_TO:.0%}"


def loan_findings(loans: Sequence[object], catalog: Catalog) -> list[FindingDraft]:
    rate_rule, upfront = catalog.rule("loan-rate"), catalog.rule("loan-upfront-deduction")
    out = []
    for loan in loans:
        assert isinstance(loan, LoanRecord)
        at = datetime.combine(loan.start, time(12), tzinfo=UTC)
        key_base = (loan.party, loan.start.isoformat(), loan.principal)
        rate = effective_annual_rate(loan)
        engaged = _caps_engaged(rate, loan, rate_rule["caps"])
        if engaged:
            text = rate_rule.explanation.format(
                party=loan.party,
                principal=loan.principal,
                received=loan.received,
                rate=rate_text(rate),
                caps="；".join(engaged),
            )
            out.append(
                FindingDraft(
                    finding_key(rate_rule.id, *key_base),
                    10,
                    rate_rule.id,
                    rate_rule.version,
                    at,
                    (),
                    loan.party,
                    (),
                    text,
                    rate_rule.strength,
                    f"{rate:.4f}",
                    catalog.instrument_names(rate_rule.instruments),
                )
            )
        if loan.received < loan.principal:
            text = upfront.explanation.format(
                party=loan.party,
                principal=loan.principal,
                received=loan.received,
                deducted=loan.principal - loan.received,
            )
            out.append(
                FindingDraft(
                    finding_key(upfront.id, *key_base),
                    10,
                    upfront.id,
                    upfront.version,
                    at,
                    (),
                    loan.party,
                    (),
                    text,
                    upfront.strength,
                    None,
                    catalog.instrument_names(upfront.instruments),
                )
            )
    return out
