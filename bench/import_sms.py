"""Benchmark: importing a big SMS Backup & Restore export against a bare stdlib `iterparse` loop.

Generates an SBR `sms-*.xml` with N collection messages in a temporary folder: threats, the
address book, visits, fake court and police notices, new-loan pushing, each template filled with
names, amounts, dates and cities, every one a text finding; sent from a few dozen collector
numbers around the clock (night contact and bursts fire too); `&#10;` newlines, an emoji now and
then, an MMS every 50 messages; no surrogate-pair references, which the bare loop cannot read.
Then times:

* bare: `xml.etree.ElementTree.iterparse` over the file, touching each record's attributes and
  clearing it (the floor any Python XML reader stands on);
* ours: `evidence.importers.parse_export("sbr-sms", …)`, consuming every event, run in a child
  process so its peak RSS is its own;
* whole import: `locker add FILE` into an empty locker, as a user runs it (sniff, hash and
  seal, parse, canonical numbers, batched inserts, custody, then the findings refresh), its
  time and its own peak RSS;
* stages: the same in one interpreter, `intake.add_paths` then `findings.refresh`, each timed,
  with the rules' own share of the refresh.

Prints the times, the ratios to bare iterparse (parser alone near 3×; whole import limit 5×)
and the peak RSS (whole import limit 300 MB).

    .venv/bin/python bench/import_sms.py [--messages 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from zoneinfo import ZoneInfo
from evidence.importers import parse_export
t = time.perf_counter()
n = sum(1 for _ in parse_export("sbr-sms", Path(sys.argv[1]), ZoneInfo("Asia/Shanghai")))
seconds = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"events": n, "seconds": seconds, "rss_kib": rss}))
"""


# Collection messages as borrowers report them (categories 1, 4, 5, 6, 7, 8); each one engages
# at least one text rule, so every message imported is a finding to write.
TEMPLATES = (
    "【{platform}】{name}，你的借款{amount}元已逾期{days}天，今天再不还款，我们将联系你通讯录里的所有联系人。",
    "{name}你好，你欠{platform}的{amount}元还不处理？你的通讯录我们已经导出，明天开始挨个打电话给你{relation}。",
    "{name}，{date}前不结清{amount}元，我们就把你欠钱不还的事发到你的通讯录和朋友圈，让大家都知道。",
    "通知{name}：你在{platform}的欠款{amount}元逾期{days}天，已将你的逾期信息发给你通讯录里的{relation}和单位同事。",
    "{name}，再不还{amount}元，小心你的腿，出门注意点。",
    "欠{platform}{amount}元不还是吧？{name}你等着，我们有的是办法让你在{city}待不下去。",
    "{name}，我们知道你家住哪里，{date}不还{amount}元后果自负，别怪我们不客气。",
    "{name}你听好了，{days}天内不还清{amount}元，我们会让你全家不得安宁。",
    "{name}，我司已安排外访人员{date}上门到你{city}的家中和单位核实情况，请准备好{amount}元欠款。",
    "{platform}催收部：{name}，催收专员明天上门到你公司找你，欠款{amount}元，请当面处理。",
    "{name}，我们的人已经到{city}了，今晚就去你家楼下等你，欠{platform}的{amount}元准备好。",
    "【{city}市人民法院】{name}，你因拖欠{platform}借款{amount}元已被立案起诉，{date}前不还将强制执行并拘留。",
    "{name}，你的案件已移交{city}公安局经侦大队，涉嫌诈骗，欠款{amount}元，请于{date}前到案说明。",
    "律师函：{name}，你拖欠{platform}{amount}元，我方已申请法院传票，{date}开庭，逾期将列入失信黑名单并冻结你的银行卡。",
    "{name}，你已被列入失信被执行人名单，{date}法院将派人上门查封你的财产，欠款{amount}元。",
    "{name}，还不上{amount}元的话，可以先在{other}借一笔周转，当天放款，借新还旧很正常。",
    "{name}，我给你推荐个口子，{other}秒批{amount}元，先借出来把{platform}的账还了。",
    "{name}，实在没钱就去其他平台借，以贷养贷也要先把{amount}元还上，{date}是最后期限。",
    "【{platform}】尊敬的{name}，您的借款{amount}元已逾期{days}天，我们将通知你的紧急联系人{relation}代为还款。",
    "{name}，你{relation}的电话我们有，你不接电话我们就打给你{relation}和紧急联系人，让他替你还{amount}元。",
    "{name}，你这种老赖不还钱，我们会在你们小区贴告示，把你欠钱不还的事告诉所有邻居，{amount}元都不还。",
    "{name}，{date}之前不还{amount}元，我们就上门去你{relation}单位闹，让他丢工作。",
    "【{platform}】{name}，你已严重逾期{days}天，欠款{amount}元，公司将派催收人员到你户籍地{city}上门走访。",
    "{name}，你欠的{amount}元再不还，我们会把你的照片和身份证发到网上，说你是骗子。",
)
NAMES = ("王五", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄敏")
PLATFORMS = ("好借花", "快来钱", "闪电贷", "安心借", "速融宝", "金满仓")
RELATIONS = ("母亲", "父亲", "老婆", "同事", "领导", "朋友", "哥哥")
CITIES = ("东莞", "合肥", "成都", "郑州", "长沙", "南宁")
# A few dozen collectors: virtual-operator and ordinary mobile numbers.
COLLECTORS = tuple(f"1715555{k:04d}" for k in range(24)) + tuple(f"1380013{k:04d}" for k in range(16))


def collection_text(rnd: random.Random, day: int) -> str:
    """One collection message: a template filled with a name, an amount, a date, a city."""
    platform = rnd.choice(PLATFORMS)
    return rnd.choice(TEMPLATES).format(
        name=rnd.choice(NAMES),
        platform=platform,
        other=rnd.choice([p for p in PLATFORMS if p != platform]),
        amount=rnd.randrange(800, 50_000),
        days=rnd.randrange(1, 120),
        date=f"8月{1 + (day + rnd.randrange(1, 4)) % 28}日",
        relation=rnd.choice(RELATIONS),
        city=rnd.choice(CITIES),
    )


def write_export(path: Path, messages: int, seed: int = 9) -> None:
    """An SBR messages export of `messages` received collection messages (one MMS in 50),
    about a minute apart around the clock, each from one of COLLECTORS."""
    rnd = random.Random(seed)
    start = 1786454400000
    with path.open("w", encoding="utf-8") as out:
        out.write("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n")
        out.write(f'<smses count="{messages}" backup_set="bench" backup_date="{start}" type="full">\n')
        date = start
        for i in range(messages):
            date += rnd.randrange(1_000, 90_000)
            number = rnd.choice(COLLECTORS)
            text = escape(collection_text(rnd, (date - start) // 86_400_000), {'"': "&quot;"})
            if i % 50 == 49:
                out.write(
                    f'  <mms date="{date}" msg_box="1" address="{number}" m_type="132" read="1" '
                    f'date_sent="{date // 1000}" contact_name="(Unknown)">\n    <parts>\n'
                    '      <part seq="-1" ct="application/smil" text="&lt;smil&gt;&lt;/smil&gt;" />\n'
                    f'      <part seq="0" ct="text/plain" chset="106" text="{text}" />\n'
                    '      <part seq="1" ct="image/jpeg" data="iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB" />\n'
                    f'    </parts>\n    <addrs>\n      <addr address="{number}" type="137" charset="106" />\n'
                    "    </addrs>\n  </mms>\n"
                )
                continue
            emoji = "\U0001f621" if i % 97 == 0 else ""
            out.write(
                f'  <sms protocol="0" address="{number}" date="{date}" type="1" subject="null" '
                f'body="{text}{emoji}&#10;【催收中心】" '
                'toa="null" sc_toa="null" service_center="null" read="1" status="-1" locked="0" '
                f'date_sent="{date - 1000}" sub_id="1" readable_date="2026年08月11日 21:20:00" '
                'contact_name="(Unknown)" />\n'
            )
        out.write("</smses>\n")


def bare_iterparse(path: Path) -> float:
    """Seconds for a plain stdlib iterparse loop that reads each record's attributes."""
    t = time.perf_counter()
    touched = 0
    for _event, element in ET.iterparse(path, events=("end",)):
        if element.tag in ("sms", "mms"):
            touched += len(element.attrib.get("body", ""))
            element.clear()
    return time.perf_counter() - t


BIN = Path(sys.executable).parent
PASSPHRASE = "bench passphrase"

_INIT = """
import sys
from pathlib import Path
from evidence.store import init_store
init_store(Path(sys.argv[1]), sys.argv[2], 10)[0].close()
"""


def new_locker(folder: Path) -> Path:
    """An empty locker in a fresh folder (made in a child: the measured processes only open it)."""
    home = Path(tempfile.mkdtemp(dir=folder)) / "locker"
    subprocess.run([sys.executable, "-c", _INIT, str(home), PASSPHRASE], check=True)
    return home


def locker_add(path: Path) -> dict[str, float]:
    """The whole import as users run it: `locker add FILE` into an empty locker (sniff, hash and
    seal, parse, canonical numbers, batched inserts, custody, then the findings refresh), with
    the seconds and the peak RSS (KiB) of that process alone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKER_")}
    env.update(LOCKER_HOME=str(new_locker(path.parent)), LOCKER_PASSPHRASE=PASSPHRASE)
    t = time.perf_counter()
    child = subprocess.Popen(
        [str(BIN / "locker"), "add", str(path)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert child.stderr is not None
    stderr = child.stderr.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"locker add failed ({child.returncode}): {stderr.decode(errors='replace')}")
    return {"seconds": seconds, "rss_kib": usage.ru_maxrss}


_STAGES = """
import json, resource, sys, time
from pathlib import Path
import evidence.rules
from evidence import findings, intake
from evidence.store import open_store
store = open_store(Path(sys.argv[2]), sys.argv[3])
rules = {"seconds": 0.0}
iter_rules = evidence.rules.iter_rules
def timed_rules(*args, **kwargs):  # the refresh writes findings as the rules make them
    drafts = iter_rules(*args, **kwargs)
    while True:
        t = time.perf_counter()
        try:
            draft = next(drafts)
        except StopIteration:
            return
        finally:
            rules["seconds"] += time.perf_counter() - t
        yield draft
evidence.rules.iter_rules = timed_rules
t = time.perf_counter()
batch = intake.add_paths(store, [Path(sys.argv[1])])
added = time.perf_counter()
if batch.failures or not batch.added:
    sys.exit(f"add failed: {batch.failures}")
count = findings.refresh(store)
seconds = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "events": batch.added[0].events, "findings": count, "seconds": seconds, "add_seconds": added - t,
    "refresh_seconds": seconds - (added - t), "rules_seconds": rules["seconds"], "rss_kib": rss,
}))
"""


def stages(path: Path) -> dict[str, float]:
    """The same import in one interpreter, stage by stage: `intake.add_paths`, then
    `findings.refresh` (what `locker add` runs), with the rules' own share of the refresh."""
    home = new_locker(path.parent)
    done = subprocess.run(
        [sys.executable, "-c", _STAGES, str(path), str(home), PASSPHRASE],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def ours(path: Path) -> dict[str, float]:
    """Seconds, event count and peak RSS (KiB) of parse_export in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


RATIO_LIMIT = 5.0  # the whole import against bare iterparse (issue 9, point 6)
RSS_LIMIT_MB = 300.0


def limit_verdict(value: float, limit: float, unit: str) -> str:
    """ "limit 5x: 0.84 of it, OK" or "limit 5x: 3.10 times it, OVER"."""
    share = value / limit
    said = f"{share:.2f} of it, OK" if share <= 1 else f"{share:.2f} times it, OVER"
    return f"limit {limit:g}{unit}: {said}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="locker-bench-") as folder:
        path = Path(folder) / "sms-bench.xml"
        write_export(path, args.messages)
        size_mib = path.stat().st_size / 2**20
        bare = min(bare_iterparse(path) for _ in range(3))
        result = min((ours(path) for _ in range(3)), key=lambda r: r["seconds"])
        whole = min((locker_add(path) for _ in range(2)), key=lambda r: r["seconds"])
        parts = stages(path)
    ratio = result["seconds"] / bare
    print(f"export:          {args.messages} messages, {size_mib:.1f} MiB")
    print(f"bare iterparse:  {bare:.3f} s")
    print(f"parse_export:    {result['seconds']:.3f} s ({int(result['events'])} events)")
    print(f"parser ratio:    {ratio:.2f}x (target ~3x)")
    print(f"peak RSS (ours): {result['rss_kib'] / 1024:.1f} MB")
    whole_ratio = whole["seconds"] / bare
    peak_mb = whole["rss_kib"] / 1024
    print(f"locker add:      {whole['seconds']:.3f} s (the whole import, start-up included)")
    print(
        f"import ratio:    {whole_ratio:.2f}x bare iterparse; {limit_verdict(whole_ratio, RATIO_LIMIT, 'x')}"
    )
    print(f"peak RSS (add):  {peak_mb:.1f} MB; {limit_verdict(peak_mb, RSS_LIMIT_MB, ' MB')}")
    total, refresh, rules = parts["seconds"], parts["refresh_seconds"], parts["rules_seconds"]
    rest = refresh - rules
    print(
        f"stages:          {total:.3f} s in one interpreter ({int(parts['events'])} events stored, "
        f"{int(parts['findings'])} findings; {total / bare:.2f}x; peak RSS {parts['rss_kib'] / 1024:.1f} MB)"
    )
    print(f"  add_paths:     {parts['add_seconds']:.3f} s ({parts['add_seconds'] / total:.0%})")
    print(f"  refresh:       {refresh:.3f} s ({refresh / total:.0%})")
    print(f"    rules:       {rules:.3f} s ({rules / total:.0%})")
    print(f"    the rest:    {rest:.3f} s ({rest / total:.0%}: reading events, writing findings)")


if __name__ == "__main__":
    main()
