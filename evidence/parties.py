"""Parties: lenders and collectors, the numbers and SMS signatures that belong to each."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from evidence import custody
from evidence.errors import UsageError
from evidence.numbers import parse_number
from evidence.records import PartyRecord
from evidence.schema import Event, Party, PartyLoanRef, PartyNumber, PartySignature
from evidence.store import Store

SIGNATURE = re.compile(r"【([^【】]{1,30})】")
MIN_LOAN_REF = 4  # shorter references would be found in unrelated texts (evidence.attribution)

# What kind of lender a party is: which authority takes a complaint (12378 only banks and
# consumer-finance companies; a 小额贷款公司 answers to the local 地方金融管理局) and which
# rate limits apply (catalog.toml). The one list; the CLI's choices are its keys.
LENDER_TYPES = {
    "bank": "银行",
    "consumer-finance": "消费金融公司",
    "microloan": "小额贷款公司（含网络小贷）",
    "unlicensed": "无放贷资质的机构",
    "individual": "个人",
}
# A respondent's identity, with the label a document and an error message use for each field.
IDENTITY_FIELDS = {
    "legal_name": "公司名称（营业执照上的全称）",
    "credit_code": "统一社会信用代码",
    "address": "住所地址",
    "app_name": "App名称",
    "lender_type": "机构类型",
    "contract": "借款合同信息",
}
IDENTITY_MAX_CHARS = 200

# GB 32100-2015: 18 characters from this alphabet, the last a check character.
_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_problem(code: str) -> str | None:
    """What is wrong with a 统一社会信用代码, or None when it checks out."""
    if len(code) != 18:
        return f"a 统一社会信用代码 has 18 characters; this one has {len(code)}"
    if any(c not in _CODE_ALPHABET for c in code):
        return "a 统一社会信用代码 holds only digits and the capitals A-Y without I, O, S, V, Z"
    total = sum(_CODE_ALPHABET.index(c) * w for c, w in zip(code, _CODE_WEIGHTS, strict=False))
    if _CODE_ALPHABET[(31 - total % 31) % 31] != code[17]:
        return "that 统一社会信用代码 does not check out (a character is mistyped)"
    return None


def normalise_signature(text: str) -> str:
    inner = text.strip().strip("【】[]")
    if not inner:
        raise UsageError("an SMS signature needs a name, e.g. 【好借花】")
    return f"【{inner}】"


def normalise_loan_ref(text: str) -> str:
    ref = text.strip()
    if len(ref) < MIN_LOAN_REF or any(c.isspace() for c in ref):
        raise UsageError(
            f"a loan reference is the lender's loan or contract number as its messages quote it: "
            f"at least {MIN_LOAN_REF} characters, no spaces"
        )
    return ref


def add_party(
    store: Store, name: str, numbers: list[str], signatures: list[str], loan_refs: Sequence[str] = ()
) -> PartyRecord:
    """Create the party, or add numbers, signatures and loan references to it; a number
    belongs to one party only."""
    name = name.strip()
    if not name:
        raise UsageError("a party needs a name")
    refs = [normalise_loan_ref(r) for r in loan_refs]
    canon: list[str] = []
    for raw in numbers:
        n = parse_number(raw)
        if n.canonical is None:
            raise UsageError("that is not a phone number: give digits, e.g. 17155550001 or 075512345678")
        canon.append(n.canonical)
    with store.transaction() as s:
        party = s.scalar(select(Party).where(Party.name == name))
        if party is None:
            party = Party(name=name, created_at=store.now())
            s.add(party)
            s.flush()
        owners = dict(s.execute(select(PartyNumber.number, Party.name).join(Party)).all())
        have = {pn.number for pn in party.numbers}
        for number in canon:
            if owners.get(number, name) != name:
                raise UsageError(f"that number already belongs to the party {owners[number]!r}")
            if number not in have:
                party.numbers.append(PartyNumber(number=number))
                have.add(number)
        known = {ps.signature for ps in party.signatures}
        for sig in map(normalise_signature, signatures):
            if sig not in known:
                party.signatures.append(PartySignature(signature=sig))
                known.add(sig)
        recorded = {r.reference for r in party.loan_refs}
        for ref in refs:
            if ref not in recorded:
                party.loan_refs.append(PartyLoanRef(reference=ref))
                recorded.add(ref)
        s.flush()
        detail: dict[str, object] = {"party": name, "numbers": len(have), "signatures": len(known)}
        if recorded:
            detail["loan_refs"] = len(recorded)
        custody.append(s, "party", detail, store.now())
        return record_of(party)


def record_of(p: Party) -> PartyRecord:
    return PartyRecord(
        p.name,
        tuple(n.number for n in p.numbers),
        tuple(x.signature for x in p.signatures),
        loan_refs=tuple(r.reference for r in p.loan_refs),
        lender_type=p.lender_type,
        legal_name=p.legal_name,
        credit_code=p.credit_code,
        address=p.address,
        app_name=p.app_name,
        contract=p.contract,
    )


def set_identity(store: Store, name: str, changes: Mapping[str, str | None]) -> PartyRecord:
    """Record who a party is in law (keys of IDENTITY_FIELDS; "" clears one). The values are the
    user's, as found in the contract, the app or a court message: documents print them as such."""
    cleaned: dict[str, str | None] = {}
    for field, value in changes.items():
        if field not in IDENTITY_FIELDS:
            raise UsageError(f"unknown detail {field!r}: one of {', '.join(IDENTITY_FIELDS)}")
        value = " ".join(value.split()) if value is not None else None
        if not value:
            cleaned[field] = None
            continue
        if len(value) > IDENTITY_MAX_CHARS or any(not c.isprintable() for c in value):
            raise UsageError(
                f"the {field.replace('_', '-')} must be printable text, "
                f"at most {IDENTITY_MAX_CHARS} characters"
            )
        if field == "credit_code":
            value = value.upper()
            problem = credit_code_problem(value)
            if problem:
                raise UsageError(f"{problem}: copy it again from the contract or 国家企业信用信息公示系统")
        if field == "lender_type" and value not in LENDER_TYPES:
            raise UsageError(f"unknown lender type {value!r}: one of {', '.join(LENDER_TYPES)}")
        cleaned[field] = value
    if not cleaned:
        raise UsageError("nothing to set: give at least one detail")
    with store.transaction() as s:
        party = s.scalar(select(Party).where(Party.name == name))
        if party is None:
            raise UsageError(f"no party named {name!r}: `locker party add {name}` creates it")
        for field, value in cleaned.items():
            setattr(party, field, value)
        s.flush()
        custody.append(s, "party", {"party": name, "identity": sorted(cleaned)}, store.now())
        return record_of(party)


def missing_identity(party: PartyRecord | None, needed: Sequence[str]) -> list[str]:
    """Which of the needed identity fields a respondent lacks (all of them without a respondent)."""
    return [f for f in needed if party is None or not getattr(party, f)]


def list_parties(store: Store) -> list[PartyRecord]:
    with store.transaction() as s:
        return [record_of(p) for p in s.scalars(select(Party).order_by(Party.name))]


@dataclass(frozen=True)
class Suggestion:
    number: str
    party: str
    messages: int
    reason: str  # "signature" or "name"


def suggest_numbers(store: Store) -> list[Suggestion]:
    """Numbers outside every party whose own messages carry a party's signature or name.

    Proposed, never merged: the user decides with `locker party add`.
    """
    parties = list_parties(store)
    owned = {n for p in parties for n in p.numbers}
    hits: Counter[tuple[str, str, str]] = Counter()
    with store.transaction() as s:
        rows = s.execute(
            select(Event.number, Event.text).where(
                Event.direction == "in", Event.text.is_not(None), Event.number.is_not(None)
            )
        )
        for number, text in rows:
            if number is None or text is None or number in owned:
                continue
            for p in parties:
                if any(sig in text for sig in p.signatures):
                    hits[(number, p.name, "signature")] += 1
                elif p.name in text:
                    hits[(number, p.name, "name")] += 1
    return [
        Suggestion(n, p, c, why) for (n, p, why), c in sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
