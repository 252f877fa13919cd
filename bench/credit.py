#!/usr/bin/env python3
"""What a town's virtue-credit ledger (美德信用积分台账) costs: `summary` against libyaml's floor.

    python bench/credit.py                          # 20,000 subjects, 500,000 events, 3 rounds
    python bench/credit.py --scaling                # and peak RSS at 125k, 250k and 500k events
    python bench/credit.py --events 2000 --subjects 400 --rounds 1 --check
    python bench/credit.py --keep /tmp/credit-data

It writes (deterministic: the same options, the same bytes) a credit ledger
(`ledger: credit`) into a temporary directory, or into --keep DIR where it
stays: a town of --subjects subjects (95% households, 3% persons, 1.5%
新型农业经营主体, a 村集体 a village) in --villages villages of unequal size,
the 12 rules of examples/credit-2024.yaml (two capped: 垃圾分类 at 4 points a
month, 见义勇为 at 40 a year), --events events over 2024 (subjects drawn by a
heavy-tailed activity; 垃圾分类 recorded at most once a weekly check, so a
keen household crosses its cap in a month of five Tuesdays; 2% rejected, 20%
of the last 30 days' events pending and a few older ones), and about
--events/25 redemptions at each village's monthly 兑换日, every one within the
subject's available points on its day (the generator replays the caps and
the available points as the tool counts them).

Then it times, each as its own subprocess of bench/run.py's fresh helper, in
interleaved rounds (floor, summary, floor, summary, ...):

  floor     libyaml's events of the file (bench/run.py's floor)
  summary   grassroots_report.py summary FILE --format json

and prints the best wall time and the peak RSS of each and the ratio summary
/ floor.  The summary's JSON must be the credit summary with every subject
(`totals.subjects`); its other totals (events, pending, redemptions, points
awarded, deducted, redeemed and outstanding, participants) are compared with
what the generator wrote, a difference printed, not a failure.  A failed
command shows as `exit N` with its last stderr line; the script still exits 0.

--scaling also writes ledgers of a quarter and a half of --events (the same
subjects and rules; redemptions in proportion) and runs the floor and the
summary once on each of the three sizes, printing the summary's peak RSS and
its growth per event, to show whether memory stays flat as events grow.

--check runs `grassroots_report.py check` on the ledger first and holds it to
exit 0 with exactly the warnings the generator expects (one a capped event cut,
one a pending event older than 30 days).  Use it on small sizes.

NOTE: the tool reads at most 10,000 items of any one list of a file's header
(MAX_ITEMS), and a credit ledger's `subjects` is such a list: at the default
20,000 subjects `summary` stops at the 10,001st subject (exit 1; the first
lines of its stderr are printed under the table).  `--subjects 10000` is the
largest town it reads today.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from run import (FLOOR_CODE, TOOL, failure, failure_detail, log, measure_in_rounds, rss_cell, steps_table,  # noqa: E402
                 time_cell)

YEAR = 2024
AS_OF = dt.date(YEAR, 12, 31)
PENDING_DAYS = 30  # a pending event older than this at as-of is a warning

# code, name, points, unit, cap_per_month, cap_per_year, share of the events (%)
RULES = [
    ("V01", "参加志愿服务", 3, None, None, None, 20),
    ("V02", "志愿服务时长", 0.25, "hour", None, None, 14),
    ("V03", "孝老爱亲", 5, None, None, None, 6),
    ("V04", "环境卫生评比“美丽庭院”", 5, None, None, None, 8),
    ("V05", "移风易俗（婚事新办、丧事简办）", 10, None, None, None, 1.5),
    ("V06", "见义勇为", 20, None, None, 40, 0.4),
    ("V07", "参与矛盾调解", 5, None, None, None, 3),
    ("V08", "垃圾分类", 1, None, 4, None, 40),
    ("N01", "违规燃放烟花爆竹", -10, None, None, None, 1.2),
    ("N02", "乱堆乱放", -5, None, None, None, 4),
    ("N03", "占道经营", -5, None, None, None, 1.5),
    ("N04", "不履行赡养义务", -20, None, None, None, 0.4),
]
HOURS = (1, 1.5, 2, 2, 2.5, 3, 3, 4, 5, 6)  # 志愿服务时长's quantities
ITEMS = [("香皂", 5), ("毛巾", 8), ("洗洁精", 8), ("洗衣粉", 10), ("酱油", 10), ("挂面", 12),
         ("大米（5斤）", 15), ("食用油（1.8升）", 20), ("精品花瓶", 35)]  # cheapest first
NOTES = ("学雷锋志愿服务日", "三夏帮扶留守老人抢收", "重阳节敬老志愿服务", "冬季村庄环境整治", "季度美丽庭院评比",
         "为留守老人代购", "邻里纠纷调解", "集日占道摆摊", "柴草堆放占用街巷")
SURNAMES = "韩王张刘李赵孙杨马高徐季杜石周吴郑胡朱郭"
SETTLEMENTS = ("家曲", "家庄", "家岭", "家峪", "家沟", "家崖", "家洼", "官庄", "家坡", "家店")
GIVEN = ("庆华", "德明", "立军", "玉兰", "秀英", "长山", "传福", "继平", "学礼", "宗友", "洪亮", "守成", "同林", "兆军", "振海", "成刚", "玉珍",
         "桂芳", "凤英", "丰收", "金华", "志强", "建国", "永平", "希田", "家顺", "明德", "广利", "爱民", "春生", "延军", "作田", "孝文", "传英",
         "维山", "其昌", "连仁", "绪刚", "学军", "保田")
JURISDICTION = "示例县基准镇"


def cents(points) -> int:
    return int((Decimal(str(points)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def event_cents(rule_points, quantity) -> int:
    """rule.points x quantity, rounded half-up to 2 places, in cents (as the tool counts it)."""
    return cents(Decimal(cents(rule_points)) / 100 * Decimal(str(quantity)))


# ---------------------------------------------------------------------------
# The ledger

class Town:
    """The villages and subjects: the same for every --events (a random stream of their own)."""

    def __init__(self, n_subjects: int, n_villages: int, seed: int):
        rng = random.Random(seed * 1_000_003 + 7)
        names = []
        for k in range(n_villages):
            name = SURNAMES[k % len(SURNAMES)] + SETTLEMENTS[(k * 7 + k // len(SURNAMES)) % len(SETTLEMENTS)] + "村"
            while name in names:
                name = name[:-1] + "新村"
            names.append(name)
        self.villages = names
        sizes = [rng.uniform(0.4, 1.6) for _ in names]
        # a 村集体 a village, the rest shared out by size
        rest = n_subjects - n_villages
        if rest < 0:
            raise ValueError(f"--subjects must be at least --villages ({n_villages})")
        counts = [math.floor(rest * s / sum(sizes)) for s in sizes]
        for k in range(rest - sum(counts)):
            counts[k % n_villages] += 1
        self.ids, self.lines, self.village_of, self.activity, self.redeems = [], [], [], [], []
        h = p = b = 0
        for v, (village, count) in enumerate(zip(names, counts)):
            self._add(f"C-{v + 1:03d}", f"{village}股份经济合作社", v, "collective", 0.1, False)
            for _ in range(count):
                x = rng.random()
                if x < 0.015:
                    b += 1
                    self._add(f"B-{b:05d}", f"{village[:-1]}{GIVEN[b % len(GIVEN)]}种植专业合作社", v, "business",
                              0.5, False)
                elif x < 0.045:
                    p += 1
                    self._add(f"P-{p:05d}", rng.choice(SURNAMES) + rng.choice(GIVEN), v, "person",
                              rng.lognormvariate(0.3, 1.0), True)
                else:
                    h += 1
                    surname = village[0] if rng.random() < 0.6 else rng.choice(SURNAMES)
                    # activity: heavy-tailed (a few keen households, many occasional ones, some never)
                    activity = 0.0 if rng.random() < 0.08 else rng.lognormvariate(0.0, 1.0)
                    self._add(f"H-{h:05d}", surname + rng.choice(GIVEN), v, "household", activity, True)
        self.members = [[] for _ in names]  # a village's subjects who redeem, with their cumulative activity
        for i, v in enumerate(self.village_of):
            if self.redeems[i] and self.activity[i] > 0:
                self.members[v].append(i)

    def _add(self, sid, name, village, kind, activity, redeems):
        self.ids.append(sid)
        self.village_of.append(village)
        self.activity.append(activity)
        self.redeems.append(redeems)
        self.lines.append(f"  - {{id: {sid}, name: {name}, village: {self.villages[village]}, type: {kind}}}\n")


class Expected:
    """What the generator wrote, as the tool should count it (points in cents)."""

    def __init__(self):
        self.events = self.approved = self.pending = self.rejected = self.redemptions = 0
        self.awarded = self.deducted = self.redeemed = self.outstanding = 0
        self.participants = 0
        self.cut = self.stale_pending = 0


def header(town: Town, n_events: int) -> str:
    lines = ["# 美德信用积分台账（基准测试用合成数据：人名、编号、事项均为虚构）",
             "version: 1", "ledger: credit", f"jurisdiction: {JURISDICTION}",
             "period: {start: '2024-01-01', end: '2024-12-31'}", "as_of: '2024-12-31'",
             "policy: {base: 1000, grades: {AAA: 1100, AA: 1030, A: 1000, B: 950}, honour_roll: 10, publish_names: false}",
             "rules:"]
    for code, name, points, unit, cap_m, cap_y, _share in RULES:
        extra = (f", unit: {unit}" if unit else "") + (f", cap_per_month: {cap_m}" if cap_m else "") \
            + (f", cap_per_year: {cap_y}" if cap_y else "")
        lines.append(f"  - {{code: {code}, name: {name}, points: {points}{extra}}}")
    lines.append(f"subjects:  # {len(town.ids):,}")
    return "\n".join(lines) + "\n" + "".join(town.lines) + f"events:  # {n_events:,}\n"


def write_ledger(path: Path, town: Town, n_events: int, n_redemptions: int, seed: int) -> Expected:
    """Write the ledger to path, one day at a time; the counts the tool should give."""
    rng = random.Random(seed * 7919 + n_events)
    exp = Expected()
    n_subjects = len(town.ids)
    days = [dt.date(YEAR, 1, 1) + dt.timedelta(days=k) for k in range((AS_OF - dt.date(YEAR, 1, 1)).days + 1)]
    # events a day: more in the 春节 clean-up, 三夏 and the autumn, fewer in the midsummer heat
    weights = [1 + 0.35 * math.cos((d.timetuple().tm_yday - 300) / 366 * 2 * math.pi) +
               (0.6 if d.weekday() == 1 else 0) for d in days]  # Tuesdays: 垃圾分类 checks
    per_day = [math.floor(n_events * w / sum(weights)) for w in weights]
    for k in range(n_events - sum(per_day)):
        per_day[k % len(days)] += 1
    cum_activity, total = [], 0.0
    for a in town.activity:
        total += a
        cum_activity.append(total)
    rule_codes = [r[0] for r in RULES]
    cum_rules, total = [], 0.0
    for r in RULES:
        total += r[6]
        cum_rules.append(total)
    unit_cents = {r[0]: cents(r[2]) for r in RULES}
    hour_cents = {q: event_cents(0.25, q) for q in HOURS}
    cap_month = {r[0]: cents(r[4]) for r in RULES if r[4]}
    cap_year = {r[0]: cents(r[5]) for r in RULES if r[5]}
    used: dict[tuple, int] = {}
    sorting: dict[tuple[int, int], int] = {}  # (subject, month) -> 垃圾分类 events recorded
    checks = {m: sum(1 for d in days if d.month == m and d.weekday() == 1) for m in range(1, 13)}  # Tuesdays
    available = [0] * n_subjects
    positive = bytearray(n_subjects)
    recorders = [[v[0] + g for g in ("秀云", "立华")] for v in town.villages]  # two 信息采集员 a village
    # each village's 兑换日: one day a month; the redemptions of a 兑换日 shared out over the year
    quota = n_redemptions / (len(town.villages) * 12)
    exchange_day = [5 + (v * 3) % 23 for v in range(len(town.villages))]
    cum_members = []
    for members in town.members:
        cum, t = [], 0.0
        for i in members:
            t += town.activity[i]
            cum.append(t)
        cum_members.append(cum)
    redemption_lines = []
    owed = [0.0] * len(town.villages)  # redemptions a village's 兑换日 could not place, carried on
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as f:
        f.write(header(town, n_events))
        for d, count in zip(days, per_day):
            date = f"'{d.isoformat()}'"
            recent = (AS_OF - d).days <= PENDING_DAYS
            month = d.month
            chunk = []
            subjects = rng.choices(range(n_subjects), cum_weights=cum_activity, k=count)
            rules = rng.choices(rule_codes, cum_weights=cum_rules, k=count)
            for s, code in zip(subjects, rules):
                n += 1
                eid = f"E-{n:07d}"
                extra = ""
                if code == "V08":
                    # 垃圾分类 is recorded at the weekly checks: at most one a check, so a household is cut
                    # only when it was recorded at all five checks of a five-week month
                    key = (s, month)
                    if sorting.get(key, 0) >= checks[month]:
                        code = "V01"
                    else:
                        sorting[key] = sorting.get(key, 0) + 1
                if code == "V02":
                    q = rng.choice(HOURS)
                    c = hour_cents[q]
                    extra = f", quantity: {q}"
                else:
                    c = unit_cents[code]
                x = rng.random()
                status = "approved"
                if x < 0.02:
                    status = "rejected"
                elif (recent and x < 0.22) or x < 0.0205:
                    status = "pending"
                extra += f", recorder: {recorders[town.village_of[s]][n & 1]}"
                if status != "approved":
                    extra += f", status: {status}"
                if rng.random() < 0.03:
                    extra += f", note: {NOTES[n % len(NOTES)]}"
                chunk.append(f"  - {{id: {eid}, subject: {town.ids[s]}, date: {date}, rule: {code}{extra}}}\n")
                exp.events += 1
                if status == "pending":
                    exp.pending += 1
                    exp.stale_pending += not recent
                    continue
                if status == "rejected":
                    exp.rejected += 1
                    continue
                exp.approved += 1
                counted = c
                if code in cap_month or code in cap_year:
                    windows = []
                    if code in cap_month:
                        windows.append(((s, code, month), cap_month[code]))
                    if code in cap_year:
                        windows.append(((s, code), cap_year[code]))
                    size = abs(c)
                    counted = min([size] + [max(0, cap - used.get(key, 0)) for key, cap in windows])
                    for key, _cap in windows:
                        used[key] = used.get(key, 0) + counted
                    exp.cut += counted < size
                    counted = counted if c > 0 else -counted
                if counted > 0:
                    exp.awarded += counted
                    available[s] += counted
                    positive[s] = 1
                else:
                    exp.deducted -= counted
            f.write("".join(chunk))
            # the 爱心超市 of the villages whose 兑换日 this is
            for v, members in enumerate(town.members):
                if exchange_day[v] != d.day or not members:
                    continue
                want = quota + owed[v]
                placed = tries = 0
                while placed < int(want) and tries < 4 * int(want) + 4:
                    tries += 1
                    s = members[rng.choices(range(len(members)), cum_weights=cum_members[v])[0]]
                    affordable = [it for it in ITEMS if cents(it[1]) <= available[s]]
                    if not affordable:
                        continue
                    item, points = rng.choice(affordable[-4:])  # what they have saved for, or near it
                    available[s] -= cents(points)
                    exp.redeemed += cents(points)
                    exp.redemptions += 1
                    placed += 1
                    redemption_lines.append((town.ids[s], date, item, points, town.villages[v]))
                owed[v] = want - placed
        f.write(f"redemptions:  # {len(redemption_lines):,}\n")
        f.write("".join(f"  - {{id: R-{k:06d}, subject: {s}, date: {date}, item: {item}, points: {points}, "
                        f"shop: {village}爱心超市}}\n"
                        for k, (s, date, item, points, village) in enumerate(redemption_lines, 1)))
    exp.outstanding = sum(available)
    exp.participants = sum(positive)
    return exp


# ---------------------------------------------------------------------------
# Checking the outputs

def compare(totals: dict, groups: dict, exp: Expected, n_subjects: int) -> list[str]:
    """The summary's figures that differ from what the generator wrote."""
    def pts(value) -> int | None:
        return None if value is None else round(value * 100)

    got = {"subjects": totals.get("subjects"), "participants": totals.get("participants"),
           "events (approved, in the rules)": sum(r.get("events", 0) for r in groups.get("rule", [])),
           "events_pending": totals.get("events_pending"), "redemptions": totals.get("redemptions"),
           "points_awarded": pts(totals.get("points_awarded")), "points_deducted": pts(totals.get("points_deducted")),
           "points_redeemed": pts(totals.get("points_redeemed")),
           "points_outstanding": pts(totals.get("points_outstanding"))}
    want = {"subjects": n_subjects, "participants": exp.participants, "events (approved, in the rules)": exp.approved,
            "events_pending": exp.pending, "redemptions": exp.redemptions, "points_awarded": exp.awarded,
            "points_deducted": exp.deducted, "points_redeemed": exp.redeemed, "points_outstanding": exp.outstanding}
    return [f"{key}: {got[key]!r}, expected {want[key]!r}" for key in want if got[key] != want[key]]


def summary_step(tool: Path, path: Path, n_subjects: int, seen: dict, name: str):
    def verify(stdout: bytes) -> str:
        try:
            data = json.loads(stdout)
            subjects = data["totals"]["subjects"]
        except (ValueError, KeyError, TypeError) as e:
            return f"stdout is not the credit summary ({type(e).__name__}: {e})"
        if data.get("ledger") != "credit" or subjects != n_subjects:
            return f"ledger {data.get('ledger')!r}, totals.subjects {subjects!r}, not credit and {n_subjects}"
        seen[name] = data
        return ""
    return [sys.executable, str(tool), "summary", str(path), "--format", "json"], verify


def run_check(tool: Path, path: Path, exp: Expected, timeout: float) -> list[str]:
    """`check` on the ledger: exit 0 and the warnings expected (a cut event, a stale pending one)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(tool), "check", str(path), "--lang", "en"], check=False,
                          capture_output=True, text=True, timeout=timeout)
    lines = done.stderr.splitlines()
    listed = [line for line in lines if ": warning: " in line]
    cut = sum(1 for line in listed if "passes the cap" in line)
    stale = sum(1 for line in listed if "awaited review" in line)
    total = next((int(m.group(1)) for line in lines for m in [re.search(r"(\d+) (?:warnings? )?in all$", line)] if m), 0)
    problems = []
    if done.returncode != 0:
        problems.append(f"exit {done.returncode}: {lines[-1] if lines else '(no stderr)'}")
        problems += [f"  {line}" for line in lines[:10]]
    if total != exp.cut + exp.stale_pending:
        problems.append(f"{total} warnings, expected {exp.cut} cut by a cap + {exp.stale_pending} pending")
    if len(listed) == total:  # all listed: each kind counted
        if cut != exp.cut:
            problems.append(f"{cut} events cut by a cap, expected {exp.cut}")
        if stale != exp.stale_pending:
            problems.append(f"{stale} pending events older than {PENDING_DAYS} days, expected {exp.stale_pending}")
        problems += [f"unexpected: {line}" for line in listed
                     if "passes the cap" not in line and "awaited review" not in line][:5]
    log(f"  check: exit {done.returncode} in {time.perf_counter() - start:.1f} s; {total} warnings "
        f"({len(listed)} listed: {cut} cut by a cap, {stale} pending too long)"
        + ("" if not problems else " -- " + "; ".join(problems)))
    return problems


# ---------------------------------------------------------------------------
# Command line

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500_000, help="events in the ledger (default 500000)")
    parser.add_argument("--subjects", type=int, default=20_000, help="subjects (default 20000)")
    parser.add_argument("--villages", type=int, default=30, help="villages (default 30)")
    parser.add_argument("--redemptions", type=int, default=None,
                        help="redemptions aimed at (default events / 25; a few fewer when points run short)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, best kept (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="the generator's seed (default 1)")
    parser.add_argument("--scaling", action="store_true",
                        help="also run floor and summary once at 1/4, 1/2 and all of --events; print peak RSS")
    parser.add_argument("--check", action="store_true", help="run `check` on the ledger first (small sizes)")
    parser.add_argument("--tool", type=Path, default=TOOL, help="the grassroots_report.py to run (default this one)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write the ledgers into DIR and keep them")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before one run is killed")
    args = parser.parse_args(argv)
    if args.events < 1 or args.subjects < 1 or args.rounds < 1 or args.villages < 1:
        parser.error("--events, --subjects, --villages and --rounds must be at least 1")
    if args.subjects < args.villages:
        parser.error("--subjects must be at least --villages")

    def redemptions_for(events: int) -> int:
        return round(events / 25) if args.redemptions is None else round(args.redemptions * events / args.events)

    with tempfile.TemporaryDirectory(prefix="grassroots-credit-") as scratch:
        folder = (args.keep or Path(scratch)).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        town = Town(args.subjects, args.villages, args.seed)
        ledgers: dict[int, tuple[Path, Expected]] = {}
        sizes = sorted({max(1, args.events // 4), max(1, args.events // 2), args.events}) if args.scaling \
            else [args.events]
        for n in sizes:
            path = folder / f"credit-{args.subjects}s-{n}e.yaml"
            t0 = time.perf_counter()
            exp = write_ledger(path, town, n, redemptions_for(n), args.seed)
            ledgers[n] = (path, exp)
            log(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB written in {time.perf_counter() - t0:.1f} s; "
                f"{exp.events:,} events ({exp.approved:,} approved, {exp.pending:,} pending of which "
                f"{exp.stale_pending:,} older than {PENDING_DAYS} days, {exp.rejected:,} rejected), {exp.cut:,} cut "
                f"by a cap, {exp.redemptions:,} redemptions, {exp.participants:,} participants")
        log(f"ledgers written in {time.perf_counter() - start:.1f} s")
        path, exp = ledgers[args.events]
        if args.check:
            if args.events > 50_000:
                log("  --check on a large ledger: this will take a while")
            if run_check(args.tool, path, exp, args.timeout):
                return 1

        seen: dict[str, dict] = {}
        steps = {"floor": ([sys.executable, "-c", FLOOR_CODE, str(path)], None),
                 "summary": summary_step(args.tool, path, args.subjects, seen, "summary")}
        log(f"{args.events:,} events, {args.rounds} rounds:")
        results = measure_in_rounds(steps, args.rounds, args.timeout)

        scaling = {}
        if args.scaling:
            log("scaling, one round each:")
            scale_steps = {}
            for n in sizes:
                p, _exp = ledgers[n]
                scale_steps[f"floor {n}"] = ([sys.executable, "-c", FLOOR_CODE, str(p)], None)
                scale_steps[f"summary {n}"] = summary_step(args.tool, p, args.subjects, seen, f"summary {n}")
            scaling = measure_in_rounds(scale_steps, 1, args.timeout)
        file_mb = {n: ledgers[n][0].stat().st_size / 1e6 for n in sizes}
        why = []
        if failure(results["summary"]) and results["summary"].exit_code > 0:
            # the helper keeps only stderr's last line (a count): read the first ones, which say why
            done = subprocess.run(steps["summary"][0], check=False, capture_output=True, text=True,
                                  timeout=args.timeout)
            why = done.stderr.splitlines()[:3]

    print(f"Python {platform.python_version()}, PyYAML {yaml.__version__} "
          f"(libyaml: {'yes' if yaml.__with_libyaml__ else 'no'}), {os.cpu_count()} CPUs; "
          f"a credit ledger of {args.subjects:,} subjects in {args.villages} villages, {args.events:,} events "
          f"({exp.pending:,} pending, {exp.rejected:,} rejected, {exp.cut:,} cut by a cap), "
          f"{exp.redemptions:,} redemptions ({file_mb[args.events]:.1f} MB); best of {args.rounds} rounds")
    print()
    print(steps_table(results))
    print()
    floor, summary = results["floor"], results["summary"]
    if not failure(floor) and not failure(summary):
        print(f"summary / floor: ×{summary.seconds / floor.seconds:.2f} wall; "
              f"peak RSS {summary.rss_mb:.0f} MB against {floor.rss_mb:.0f} MB")
    if "summary" in seen:
        diff = compare(seen["summary"]["totals"], seen["summary"]["groups"], exp, args.subjects)
        print("summary figures: " + ("as written (subjects, participants, events, pending, redemptions, "
                                     "points awarded, deducted, redeemed, outstanding)" if not diff
                                     else "DIFFERENT: " + "; ".join(diff)))
    if scaling:
        print()
        print("| events | file MB | floor s | summary s | floor RSS MB | summary RSS MB |")
        print("|---|---|---|---|---|---|")
        for n in sizes:
            fl, su = scaling[f"floor {n}"], scaling[f"summary {n}"]
            print(f"| {n:,} | {file_mb[n]:.1f} | {time_cell(fl)} | {time_cell(su, fl)} | {rss_cell(fl)} | {rss_cell(su)} |")
        small, large = scaling[f"summary {sizes[0]}"], scaling[f"summary {sizes[-1]}"]
        if len(sizes) > 1 and not failure(small) and not failure(large):
            per_event = (large.rss_mb - small.rss_mb) * 1024 * 1024 / (sizes[-1] - sizes[0])
            print()
            print(f"summary peak RSS from {sizes[0]:,} to {sizes[-1]:,} events: {small.rss_mb:.0f} -> "
                  f"{large.rss_mb:.0f} MB ({large.rss_mb / small.rss_mb:.2f}x for {sizes[-1] / sizes[0]:.0f}x the "
                  f"events; about {per_event:.0f} bytes an event)")
        for n in sizes:
            data = seen.get(f"summary {n}")
            if data is not None:
                diff = compare(data["totals"], data["groups"], ledgers[n][1], args.subjects)
                if diff:
                    print(f"{n:,} events, summary figures DIFFERENT: " + "; ".join(diff))
    failures = [f"- {name}: {failure_detail(m)}" for name, m in {**results, **scaling}.items() if failure(m)]
    if failures:
        print()
        print("Failures:")
        print("\n".join(failures))
    if failure(summary) and summary.exit_code > 0 and why:
        print()
        print("The summary's first lines on stderr (run again to read them):")
        print("\n".join(f"    {line}" for line in why))
    return 0


if __name__ == "__main__":
    sys.exit(main())
