#!/usr/bin/env python3
"""What areas (属地) cost: `summary` on a ledger with a 500-place gazetteer against the same ledger without.

    python bench/areas.py                        # 356,000 terse cases, 3 rounds
    python bench/areas.py --cases 2000 --rounds 1 --self-check
    python bench/areas.py --realistic --keep /tmp/areas-data

It writes, with bench/gen_ledger.py's own case writer (the same seed, the same
cases), two ledgers into a temporary directory (or into --keep DIR, where they
stay):

  (a) plain   the ledger as gen_ledger.py writes it (`--terse` unless --realistic)
  (b) areas   the same ledger with a gazetteer `areas` at the top level (20 街镇
              x 12 村/社区, about 240 小区/点位 under them: ~500 places, ~200
              aliases, deterministic names) and, on every case, either an `area`
              (90%: spread Zipf-like over the places; ~20% of them written with
              aliases, ~10% only the first level) or, on the other 10%, a
              `location` naming a place (~30% by an alias, ~5% naming none), so
              that the area is inferred, or left unknown

Then it times, each as its own subprocess of bench/run.py's fresh helper, in
rounds (floor a, floor b, summary a, summary b, floor a, ...):

  floor a/b     libyaml's events of each file (bench/run.py's floor)
  summary a/b   grassroots_report.py summary FILE --format json --jobs 1

and prints the best wall time and the peak RSS of each, and the ratio
summary (b) / summary (a) against the target 1.2.  The floors show how much of
that ratio is only the longer file ((b) is about 12% larger when terse: 122 MB
against 109 MB at 356,000 cases).  Each summary's JSON must count every case
(`totals.received`); that of (b) is also held to the counts this script
expects for `area_inferred` and `area_unknown` (a difference is printed, not a
failure: the time is still the time).  A failed command shows as `exit N`
with its last stderr line; the script still exits 0, so it runs before the
feature lands, (b) failing.

--self-check loads (b) with PyYAML and checks, case by case, that every
`area` resolves level by level in the gazetteer and that inferring the others
(the longest name or alias found in `location`, else in `summary`; two places
of that length: unknown) gives the counts expected.  Use it on small sizes.
"""
from __future__ import annotations

import argparse
import bisect
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import gen_ledger as gl  # noqa: E402
from run import FLOOR_CODE, TOOL, failure, failure_detail, log, measure_in_rounds, steps_table  # noqa: E402

TARGET = 1.2

# ---------------------------------------------------------------------------
# The gazetteer: 20 街镇 x 12 村/社区, 0-2 小区/点位 under each

TOWN_ROOTS = ["龙泉", "青石", "柳河", "杏林", "梨园", "桃源", "白马", "金沙", "银河", "松岭",
              "槐荫", "凤鸣", "鹤山", "鹿野", "清溪", "玉泉", "石门", "双桥", "云台", "卧龙"]
STREET_TOWNS = 6  # the first six are 街道 (with 社区 under them), the others 镇 (with 村)
# Village roots: a surname of the town's own, then a settlement word.  No name or alias of the
# gazetteer occurs inside another, so a location naming one place infers exactly that place.
SURNAMES = "王李张刘陈杨赵黄周吴徐孙朱马胡郭何高韩罗"
SETTLEMENTS = "屯楼营店集寨堂洼坊岗湾埠"
POINT_KINDS = ["小区", "花园", "市场", "广场", "小学", "公园"]
POINT_ALIASES = {"小区": "新苑", "花园": "家园", "市场": "集贸市场", "广场": "文化广场", "小学": "完小", "公园": "游园"}
# Roads for locations that name no place: none of their characters' runs is a name or an alias.
ROADS = ["人民路", "建设路", "解放路", "胜利街", "和平路", "光明街", "幸福路", "文化街"]


def build_gazetteer() -> list[tuple[str, list[str], list]]:
    """[(name, aliases, children)] three levels deep; every name and alias distinct."""
    towns = []
    for t, root in enumerate(TOWN_ROOTS):
        street = t < STREET_TOWNS
        town_name = root + ("街道" if street else "镇")
        town_alias = root + ("办事处" if street else "乡")
        surname = SURNAMES[t]
        villages = []
        for v, settlement in enumerate(SETTLEMENTS):
            stem = surname + settlement
            name = stem + ("社区" if street else "村")
            k = t * 12 + v
            # about 100 aliases at this level: an old name (王家屯) or the residents' committee
            aliases = [] if k % 12 >= 5 else [stem + "居委会" if street else surname + "家" + settlement]
            points = []
            for p in range((t + v) % 3):  # 0, 1 or 2 points: about 240 in all
                kind = POINT_KINDS[(v + 2 * p + t) % len(POINT_KINDS)]
                point = stem + kind
                # about 80 aliases: an older name of the estate or market
                palias = [stem + POINT_ALIASES[kind]] if (k + p) % 3 == 0 else []
                points.append((point, palias, []))
            villages.append((name, aliases, points))
        towns.append((town_name, [town_alias], villages))
    return towns


def flatten(gazetteer: list) -> list[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]:
    """Every place as (standard path, the words of each level (name first, then aliases))."""
    out = []

    def walk(nodes, path, words):
        for name, aliases, children in nodes:
            p, w = path + (name,), words + ((name, *aliases),)
            out.append((p, w))
            walk(children, p, w)
    walk(gazetteer, (), ())
    return out


def render_areas(gazetteer: list) -> str:
    lines = ["# 属地地名库（基准测试用合成地名）", "areas:"]

    def walk(nodes, indent):
        pad = " " * indent
        for name, aliases, children in nodes:
            lines.append(f"{pad}- name: {name}")
            if aliases:
                lines.append(f"{pad}  aliases: [{', '.join(aliases)}]")
            if children:
                lines.append(f"{pad}  areas:")
                walk(children, indent + 4)
    walk(gazetteer, 2)
    return "\n".join(lines) + "\n"


class Matcher:
    """The spec's inference: the longest name or alias occurring in a text; two places of that length: unknown."""

    def __init__(self, places):
        self.words: dict[str, tuple[str, ...]] = {}
        for path, words in places:
            for word in words[-1]:
                assert word not in self.words, word
                self.words[word] = path
        self.lengths = sorted({len(w) for w in self.words}, reverse=True)

    def infer(self, text: str | None) -> tuple[str, ...] | None | bool:
        """The place; None when no name occurs; False when two places tie for the longest."""
        if not text:
            return None
        for length in self.lengths:
            found = {self.words[text[i:i + length]] for i in range(len(text) - length + 1)
                     if text[i:i + length] in self.words}
            if found:
                return found.pop() if len(found) == 1 else False
        return None


# ---------------------------------------------------------------------------
# The two ledgers

class AreaWriter:
    """Adds an area (or a location to infer it from) to each case; its own random stream."""

    def __init__(self, seed: int, places, matcher: Matcher):
        self.rng = random.Random(seed * 7907 + 29)
        self.places = places
        self.matcher = matcher
        order = list(range(len(places)))
        random.Random(seed).shuffle(order)  # which places are the popular ones: a mix of levels
        weights = [0.0] * len(places)
        for rank, index in enumerate(order, 1):
            weights[index] = 1 / rank  # Zipf, s = 1
        total, self.cumulative = 0.0, []
        for w in weights:
            total += w
            self.cumulative.append(total)
        self.total = total
        self.counts = Counter()  # how the cases were written
        self.places_used = Counter()

    def pick(self):
        return self.places[bisect.bisect_left(self.cumulative, self.rng.random() * self.total)]

    def transform(self, case: str) -> str:
        r = self.rng.random
        path, words = self.pick()
        at = case.index("\n", case.index("\n    unit: ") + 1) + 1  # after the unit line
        if r() < 0.9:
            aliased = r() < 0.2 and any(len(w) > 1 for w in words)
            first_only = r() < 0.1
            if first_only:
                words = words[:1]
                path = path[:1]
            spelt = self._alias_somewhere(words) if aliased else [w[0] for w in words]
            self.counts["area"] += 1
            self.counts["area, first level only"] += first_only
            self.counts["area, with an alias"] += spelt != [w[0] for w in words]
            self.places_used[path] += 1
            return case[:at] + f"    area: {'/'.join(spelt)}\n" + case[at:]
        # no area: a location to find it in
        x = r()
        if x < 0.05:
            location = f"{ROADS[int(r() * len(ROADS))]}{1 + int(r() * 300)}号"
        else:
            level = words[-1]
            word = level[1 + int(r() * (len(level) - 1))] if x < 0.35 and len(level) > 1 else level[0]
            if len(path) < 3:
                location = f"{word}{ROADS[int(r() * len(ROADS))]}{1 + int(r() * 300)}号"
            elif path[-1].endswith(("小区", "花园")):
                location = f"{word}{1 + int(r() * 30)}号楼"
            else:
                location = word + ("东门", "北侧", "门口", "附近")[int(r() * 4)]
        summary = self.summary(case)
        found = self.matcher.infer(location)
        if found is None:
            found = self.matcher.infer(summary)
        if found:
            self.counts["inferred"] += 1
            self.places_used[found] += 1
        else:
            self.counts["unknown"] += 1
        if "\n    location: " in case:  # realistic cases: the location replaced
            start = case.index("\n    location: ") + 1
            end = case.index("\n", start) + 1
            return case[:start] + f"    location: {location}\n" + case[end:]
        return case[:at] + f"    location: {location}\n" + case[at:]

    @staticmethod
    def summary(case: str) -> str | None:
        """The case's summary as YAML reads it: a plain scalar, or gen_ledger's `|-` block of lines."""
        lines = case.split("\n")
        for i, line in enumerate(lines):
            if line.startswith("    summary: "):
                text = line[len("    summary: "):]
                if text != "|-":
                    return text
                block = []
                for more in lines[i + 1:]:
                    if not more.startswith("      "):
                        break
                    block.append(more[6:])
                return "\n".join(block)
        return None

    def _alias_somewhere(self, words) -> list[str]:
        """The path with an alias for one or more of its levels that have one."""
        spelt = [w[0] for w in words]
        having = [i for i, w in enumerate(words) if len(w) > 1]
        for i in having:
            if self.rng.random() < 0.6 or i == having[-1]:
                spelt[i] = words[i][1]
        return spelt


def write_pair(plain: Path, areas: Path, n: int, seed: int, realistic: bool) -> AreaWriter:
    """Write (a) and (b) in one pass over the generator's cases; the writer keeps the counts."""
    gazetteer = build_gazetteer()
    places = flatten(gazetteer)
    writer = AreaWriter(seed, places, Matcher(places))
    header = gl.render_header(n)
    marker = f"# {n} cases follow\n"
    cut = header.index(marker)
    header_b = header[:cut] + render_areas(gazetteer) + header[cut:]
    cases = gl.CaseWriter(n, seed)
    render = cases.render if realistic else (lambda i: gl.terse(cases.render(i)))
    with open(plain, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as fa, \
            open(areas, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as fb:
        fa.write(header)
        fb.write(header_b)
        chunk = 2000
        for lo in range(0, n, chunk):
            texts = [render(i) for i in range(lo, min(n, lo + chunk))]
            fa.write("".join(texts))
            fb.write("".join(writer.transform(t) for t in texts))
    writer.n_places = len(places)
    writer.n_aliases = sum(len(w[-1]) - 1 for _, w in places)
    return writer


# ---------------------------------------------------------------------------
# --self-check: read (b) back and recount

def self_check(path: Path, writer: AreaWriter) -> list[str]:
    """Problems found reading (b) back with PyYAML; [] when it holds what the writer counted."""
    with open(path, encoding="utf-8") as f:
        data = yaml.load(f, Loader=yaml.CSafeLoader)
    places = flatten(_nodes(data["areas"]))
    matcher = Matcher(places)
    problems = []
    counts = Counter()
    for case in data["cases"]:
        if "area" in case:
            nodes, resolved = data["areas"], ()
            for part in case["area"].split("/"):
                node = next((x for x in nodes if part == x["name"] or part in x.get("aliases", ())), None)
                if node is None:
                    problems.append(f"{case['id']}: area {case['area']!r} does not resolve at {part!r}")
                    break
                resolved += (node["name"],)
                nodes = node.get("areas", [])
            counts["area"] += 1
        else:
            found = matcher.infer(case.get("location"))
            if found is None:
                found = matcher.infer(case.get("summary"))
            counts["inferred" if found else "unknown"] += 1
    for key in ("area", "inferred", "unknown"):
        if counts[key] != writer.counts[key]:
            problems.append(f"{key}: {counts[key]} read back, {writer.counts[key]} written")
    if len(places) != writer.n_places:
        problems.append(f"{len(places)} places read back, {writer.n_places} written")
    return problems


def _nodes(areas: list[dict]) -> list:
    return [(a["name"], list(a.get("aliases", [])), _nodes(a.get("areas", []))) for a in areas]


# ---------------------------------------------------------------------------
# Command line

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=356_000, help="cases in each ledger (default 356000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, best kept (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="gen_ledger.py's seed (default 1)")
    parser.add_argument("--realistic", action="store_true",
                        help="full cases (~515 bytes, with summaries and locations) instead of terse ones")
    parser.add_argument("--tool", type=Path, default=TOOL, help="the grassroots_report.py to run (default this one)")
    parser.add_argument("--no-floor", action="store_true", help="leave out the libyaml floors")
    parser.add_argument("--self-check", action="store_true", help="read (b) back with PyYAML and recount (small sizes)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write the two ledgers into DIR and keep them")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before one run is killed")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.rounds < 1:
        parser.error("--cases and --rounds must be at least 1")

    with tempfile.TemporaryDirectory(prefix="grassroots-areas-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        style = "realistic" if args.realistic else "terse"
        plain = folder.resolve() / f"ledger-{style}-{args.cases}.yaml"
        areas = folder.resolve() / f"ledger-{style}-{args.cases}-areas.yaml"
        start = time.perf_counter()
        writer = write_pair(plain, areas, args.cases, args.seed, args.realistic)
        log(f"{plain.name}, {areas.name}: written in {time.perf_counter() - start:.1f} s")
        counts = writer.counts
        log(f"  {writer.n_places} places, {writer.n_aliases} aliases; {counts['area']:,} cases with an area "
            f"({counts['area, with an alias']:,} using an alias, {counts['area, first level only']:,} "
            f"first level only), {counts['inferred']:,} to infer, {counts['unknown']:,} unknown; "
            f"{len(writer.places_used)} places with a case, the busiest "
            f"{'/'.join(writer.places_used.most_common(1)[0][0])} ({writer.places_used.most_common(1)[0][1]:,})")
        if args.self_check:
            if args.cases > 50_000:
                log("  --self-check loads the whole file: this will take a while")
            problems = self_check(areas, writer)
            log("  self-check: " + ("; ".join(problems) if problems else "every area resolves, the counts agree"))
            if problems:
                return 1

        seen: dict[str, dict] = {}

        def verify(name: str):
            def check(stdout: bytes) -> str:
                try:
                    totals = json.loads(stdout)["totals"]
                except (ValueError, KeyError, TypeError) as e:
                    return f"stdout is not the JSON summary ({type(e).__name__}: {e})"
                if totals.get("received") != args.cases:
                    return f"totals.received is {totals.get('received')!r}, not {args.cases}"
                seen[name] = totals
                return ""
            return check

        steps = {}
        if not args.no_floor:
            steps["floor (a) plain"] = ([sys.executable, "-c", FLOOR_CODE, str(plain)], None)
            steps["floor (b) areas"] = ([sys.executable, "-c", FLOOR_CODE, str(areas)], None)
        for name, path in (("summary (a) plain", plain), ("summary (b) areas", areas)):
            steps[name] = ([sys.executable, str(args.tool), "summary", str(path), "--format", "json", "--jobs", "1"],
                           verify(name))
        results = measure_in_rounds(steps, args.rounds, args.timeout)
        sizes = {"(a)": plain.stat().st_size, "(b)": areas.stat().st_size}

    print(f"Python {platform.python_version()}, PyYAML {yaml.__version__} "
          f"(libyaml: {'yes' if yaml.__with_libyaml__ else 'no'}), {os.cpu_count()} CPUs; "
          f"{args.cases:,} {style} cases ((a) {sizes['(a)'] / 1e6:.1f} MB, (b) {sizes['(b)'] / 1e6:.1f} MB); "
          f"best of {args.rounds} rounds")
    print()
    print(steps_table(results))
    print()
    a, b = results["summary (a) plain"], results["summary (b) areas"]
    if not failure(a) and not failure(b):
        ratio = b.seconds / a.seconds
        print(f"summary (b) / (a): ×{ratio:.3f} (target ≤ {TARGET}: {'met' if ratio <= TARGET else 'NOT met'}); "
              f"peak RSS {b.rss_mb - a.rss_mb:+.0f} MB")
    if not args.no_floor:
        fa, fb = results["floor (a) plain"], results["floor (b) areas"]
        if not failure(fa) and not failure(fb):
            print(f"floor (b) / (a): ×{fb.seconds / fa.seconds:.3f} (the longer file alone)")
            for name, floor in (("summary (a) plain", fa), ("summary (b) areas", fb)):
                if not failure(results[name]):
                    print(f"{name} / its floor: ×{results[name].seconds / floor.seconds:.2f}")
    totals = seen.get("summary (b) areas")
    if totals is not None:
        got = (totals.get("area_inferred"), totals.get("area_unknown"))
        want = (counts["inferred"], counts["unknown"])
        print(f"(b) totals.area_inferred, area_unknown: {got[0]}, {got[1]}; expected {want[0]}, {want[1]}"
              + ("" if got == want else "  <- DIFFERENT"))
    failures = [f"- {name}: {failure_detail(m)}" for name, m in results.items() if failure(m)]
    if failures:
        print()
        print("Failures:")
        print("\n".join(failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
