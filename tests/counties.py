"""Six county ledgers for the roll-up tests, written in the test run: 聊城市's counties, 2024 Q1.

    python tests/counties.py DIRECTORY        # writes the six files there and lists them

`write_counties(directory)` writes 东阿县, 阳谷县, 莘县, 茌平区, 冠县 and 高唐县
(in that order) and returns their paths. Seeded: the same bytes every time.
Each file has 60-120 cases received 2024-01-01..2024-03-31, `as_of:
'2024-04-01 09:00'`, and:

- its own time rules (calendar `workdays_cn`, `natural` or `workdays`, its
  own `resolve_days`, `dispatch_hours`, ...), while the judging rules
  (targets, weights, rank_min_cases, honour_roll) are the same in all six;
  `same_policy=True` gives every file the first county's policy;
- its own units (streets, towns, departments), no name shared with another
  county; the same categories everywhere, each led by the county's department;
- ids beginning with the county's prefix (DA-, YG-, ...), so none is shared;
- callers from a pool of the county's own (the fourth digit of every phone is
  the county's number), some calling again about the same thing: repeats;
- mostly resolved cases, some late, some open past their deadline, a few
  withdrawn; follow-up visits, some dissatisfied and reworked; mediations on
  disputes; a few petitions in the backlog, a few escalated; two featured;
- a gazetteer (`areas`): each street and town with two villages, 东关村 and 西关村 (the
  same names in every town: a text naming one alone places no case), and 经济开发区
  (alias 开发区) in every county, so that the roll-up keeps one 经济开发区 per county.
  Most cases have an `area` (a first level, a village, or by alias), some only a
  `location` naming one, a few neither; drawn from a stream of their own, so that the
  rest is what it was before areas.

Valid by construction: every time lies between the case's `received` and
`as_of`, `resolved` exactly when resolved, visits only on resolved cases.
Each case is one flow mapping (`- {id: 'DA-202401-0001', ...}`), units and
categories are block mappings: tests find and edit cases with a regex.
"""
from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

AS_OF = dt.datetime(2024, 4, 1, 9, 0)
FIRST_DAY = dt.date(2024, 1, 1)
DAYS = 91  # 2024-01-01 .. 2024-03-31

# The judging rules, the same in every county (the roll-up compares them).
JUDGING = """\
  targets:
    completion_rate: 0.9
    satisfaction_rate: 0.9
  weights: {response_rate: 0.1, solved_rate: 0.5, satisfaction_rate: 0.4}
  rank_min_cases: 3
  honour_roll: 2
"""

# Each county's own time rules: deadlines and the dispatch window differ.
TIME_RULES = [
    """\
  calendar: workdays_cn
  dispatch_hours: 3
  resolve_days: {default: 3, consultation: 1, dispute: 15, petition: 60}
""",
    """\
  calendar: natural
  dispatch_hours: 2
  resolve_days: {default: 5, consultation: 2, dispute: 20, petition: 60}
""",
    """\
  calendar: workdays_cn
  dispatch_hours: 4
  resolve_days: {default: 3, consultation: 1, help: 2, dispute: 10, petition: 30}
  category_resolve_days:
    矛盾纠纷/婚姻家庭: 20
""",
    """\
  calendar: natural
  dispatch_hours: 3
  resolve_days: {default: 7, consultation: 3, dispute: 15, petition: 60}
""",
    """\
  calendar: workdays
  holidays: ['2024-01-01', '2024-02-10', '2024-02-11', '2024-02-12', '2024-02-13', '2024-02-14', '2024-02-15',
             '2024-02-16', '2024-02-17']
  makeup_workdays: ['2024-02-04', '2024-02-18']
  dispatch_hours: 2
  resolve_days: {default: 4, consultation: 1, complaint: 5, dispute: 15, petition: 60}
""",
    """\
  calendar: workdays_cn
  dispatch_hours: 6
  resolve_days: {default: 5, consultation: 1, dispute: 15, petition: 90}
  min_visit_minutes: 30
""",
]

# (jurisdiction, id prefix, streets, towns); departments are named after the county
COUNTIES = [
    ("东阿县", "DA", ["铜城街道", "新城街道"], ["刘集镇", "牛角店镇", "大桥镇"]),
    ("阳谷县", "YG", ["侨润街道", "博济桥街道"], ["阎楼镇", "阿城镇", "七级镇"]),
    ("莘县", "SX", ["莘州街道", "燕塔街道"], ["朝城镇", "观城镇", "古城镇"]),
    ("茌平区", "CP", ["振兴街道", "信发街道"], ["乐平铺镇", "冯官屯镇", "博平镇"]),
    ("冠县", "GX", ["清泉街道", "崇文街道"], ["桑阿镇", "柳林镇", "东古城镇"]),
    ("高唐县", "GT", ["鱼丘湖街道", "汇鑫街道"], ["梁村镇", "尹集镇", "清平镇"]),
]
FILE_NAMES = {"DA": "dong-e", "YG": "yanggu", "SX": "shenxian", "CP": "chiping", "GX": "guanxian", "GT": "gaotang"}
DEPARTMENTS = ["住建局", "人社局", "市场监管局", "司法局", "信访局"]

# major -> (the department that leads it, sub-categories, summaries by sub-category)
CATEGORIES = {
    "城乡建设": ("住建局", {"物业管理": "小区电梯停运，物业迟迟不修", "供水供暖": "楼栋连续两天停水",
                         "施工扰民": "工地夜间施工噪音扰民"}),
    "劳动保障": ("人社局", {"欠薪": "讨要拖欠的工资", "社保": "咨询灵活就业社保缴费"}),
    "市场监管": ("市场监管局", {"食品安全": "超市出售过期食品", "价格": "商户不明码标价"}),
    "矛盾纠纷": ("司法局", {"邻里纠纷": "相邻宅基地滴水檐纠纷", "婚姻家庭": "家庭赡养纠纷",
                         "土地纠纷": "承包地边界纠纷"}),
    "信访事项": ("信访局", {"征地拆迁": "反映征地补偿款未足额发放", "涉法涉诉": "对判决执行进度有异议"}),
    "交通出行": ("住建局", {"公交": "公交车班次减少", "道路": "路面坑洼影响出行"}),
}
EVERYDAY = ["城乡建设", "城乡建设", "劳动保障", "市场监管", "交通出行"]
KINDS = ["complaint"] * 5 + ["consultation"] * 3 + ["help"] * 2 + ["dispute"] * 2 + ["petition"]
CHANNELS = {"complaint": ["hotline"] * 5 + ["online", "online", "grid"],
            "consultation": ["hotline"] * 4 + ["online", "walk_in"],
            "help": ["hotline", "hotline", "walk_in", "grid"],
            "dispute": ["walk_in", "walk_in", "grid", "referral"],
            "petition": ["walk_in", "letter", "online"]}
SATISFACTION = (["satisfied", "basically_satisfied", "dissatisfied", "unreachable"], [70, 15, 8, 7])
# Requesters and mediators come from pools that share no name, so that a
# requester's name found in a partial is a leak, never a mediator.
SURNAMES = "王李张刘陈杨赵黄周吴徐孙"
GIVEN = ["秀英", "桂兰", "建华", "国强", "志刚", "丽", "伟", "芳", "敏", "静", "磊", "军", "海燕", "红梅"]
MEDIATORS = ["马德山", "胡传文", "郭庆华", "何兆忠"]
MOBILE = ["133", "135", "138", "139", "152", "158", "186", "189"]


def when(t: dt.datetime) -> str:
    return t.strftime("'%Y-%m-%d %H:%M'")


def policy(index: int, same_policy: bool) -> str:
    return "policy:\n" + TIME_RULES[0 if same_policy else index] + JUDGING


def header(index: int, same_policy: bool) -> list[str]:
    name, _prefix, streets, towns = COUNTIES[index]
    lines = [f"# {name} 2024 年一季度基层治理台账（测试用合成数据，人名电话均为虚构）",
             "version: 1", f"jurisdiction: {name}", "period: {start: '2024-01-01', end: '2024-03-31'}",
             "as_of: '2024-04-01 09:00'", policy(index, same_policy).rstrip("\n"), "categories:"]
    for major, (lead, subs) in CATEGORIES.items():
        lines += [f"  - name: {major}", f"    lead: {name}{lead}", f"    subcategories: [{', '.join(subs)}]"]
    lines.append("units:")
    for unit, kind in [*((s, "street") for s in streets), *((t, "town") for t in towns),
                       *((name + d, "department") for d in DEPARTMENTS)]:
        lines += [f"  - name: {unit}", f"    type: {kind}"]
    lines.append("areas:")
    for place in [*streets, *towns]:
        lines.append(f"  - {{name: {place}, areas: [{{name: 东关村}}, {{name: 西关村, aliases: [西关]}}]}}")
    lines.append("  - {name: 经济开发区, aliases: [开发区]}")
    lines.append("cases:")
    return lines


class County:
    """Draws one county's cases from its own seeded stream."""

    def __init__(self, index: int):
        self.index = index
        self.name, self.prefix, streets, towns = COUNTIES[index]
        self.rng = random.Random(20240401 + index)
        self.places = streets + towns
        # frequent callers: a phone and the matter they keep calling about
        self.callers = [(self.phone(), self.rng.choice(EVERYDAY)) for _ in range(6)]
        self.area_rng = random.Random(20241206 + index)  # areas: a stream of their own

    def area(self) -> str | None:
        """A case's `area` or `location` field, or None."""
        rng = self.area_rng
        place = rng.choice(self.places + ["经济开发区", "开发区"])
        village = rng.choice(["东关村", "西关村", "西关"])
        roll = rng.random()
        if roll < 0.4:
            return f"area: {place}"
        if roll < 0.75:
            return f"area: {place}/{village}" if "开发区" not in place else f"area: {place}"
        if roll < 0.9:
            return f"location: {place}{village}路口" if rng.random() < 0.5 else f"location: {village}村口"
        return None

    def phone(self) -> str:
        # The fourth digit is the county's: no phone is shared between two counties.
        return f"{self.rng.choice(MOBILE)}{self.index}{self.rng.randrange(10 ** 7):07d}"

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def cases(self) -> list[str]:
        rng = self.rng
        count = rng.randint(60, 120)
        received = sorted(dt.datetime.combine(FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS)), dt.time())
                          + dt.timedelta(hours=rng.randrange(8, 18), minutes=rng.randrange(0, 60, 5))
                          for _ in range(count))
        featured = set(rng.sample(range(count), 2))
        per_month: dict[int, int] = {}
        out = []
        for number, at in enumerate(received):
            per_month[at.month] = per_month.get(at.month, 0) + 1
            case_id = f"'{self.prefix}-2024{at.month:02d}-{per_month[at.month]:04d}'"
            out.append(self.case(case_id, at, featured=number in featured))
        return out

    def case(self, case_id: str, received: dt.datetime, featured: bool) -> str:
        rng = self.rng
        kind = rng.choice(KINDS)
        caller = None
        if kind == "dispute":
            major = "矛盾纠纷"
        elif kind == "petition":
            major = rng.choice(["信访事项", "信访事项", "劳动保障", "城乡建设"])
        elif rng.random() < 0.3:  # a frequent caller, about their own matter
            caller, major = rng.choice(self.callers)
        else:
            major = rng.choice(EVERYDAY)
        lead, subs = CATEGORIES[major]
        sub = rng.choice(list(subs))
        if kind in ("dispute", "petition") or rng.random() < 0.5:
            unit = rng.choice(self.places) if rng.random() < 0.6 else self.name + lead
        else:
            unit = self.name + lead
        fields = [f"id: {case_id}", f"received: {when(received)}", f"kind: {kind}",
                  f"channel: {rng.choice(CHANNELS[kind])}", f"category: {major}/{sub}", f"unit: {unit}",
                  f"summary: {subs[sub]}"]
        area = self.area()
        if area:
            fields.append(area)
        if caller or rng.random() < 0.6:
            fields.append(f"requester: {{name: {self.person()}, phone: '{caller or self.phone()}'}}")

        on_the_spot = kind == "consultation" and rng.random() < 0.4
        start = received
        if not on_the_spot:
            late_dispatch = rng.random() < 0.08
            start = received + dt.timedelta(minutes=rng.randrange(300, 720) if late_dispatch
                                            else rng.randrange(10, 110))
            fields.append(f"dispatched: {when(start)}")
        if rng.random() < 0.06:
            fields.append(f"returns: {rng.randint(1, 2)}")

        hours = {"consultation": [1, 3, 8, 30], "dispute": [48, 120, 300, 500],
                 "petition": [200, 600, 1200, 1600]}.get(kind, [5, 20, 50, 90, 200])
        resolved = (received + dt.timedelta(minutes=rng.randrange(15, 90)) if on_the_spot
                    else start + dt.timedelta(hours=rng.choice(hours), minutes=rng.randrange(60)))
        roll = rng.random()
        if roll < 0.03:
            status = "withdrawn"
        elif roll < 0.12 or resolved > AS_OF - dt.timedelta(hours=2):
            status = "open"  # the early ones are past their deadline by as-of
        else:
            status = "resolved"
        fields.append(f"status: {status}")
        if status == "resolved":
            fields.append(f"resolved: {when(resolved)}")
            visits = self.visits(resolved)
            if visits:
                fields.append(f"visits: [{', '.join(visits)}]")
        if kind == "dispute" and rng.random() < 0.85:
            outcome = ("pending" if status != "resolved"
                       else rng.choices(["agreement", "no_agreement", "referred"], [75, 15, 10])[0])
            fields.append(f"mediation: {{outcome: {outcome}, mediator: {rng.choice(MEDIATORS)}, "
                          f"room: {rng.choice(self.places)}调解室}}")
        if kind == "petition":
            if rng.random() < 0.3:
                fields.append(f"backlog: {{since: '{2021 + rng.randrange(3)}-0{rng.randint(1, 9)}-15', "
                              f"leader: {self.name}副县长}}")
            if rng.random() < 0.2:
                at = min(received + dt.timedelta(days=rng.randint(1, 5)), AS_OF)
                fields.append(f"escalated: {{at: {when(at)}, to: {self.name}信访联席会议, reason: 多次重复信访}}")
        if featured:
            fields.append("featured: true")
        return "  - {" + (",\n     ".join(_lines(fields))) + "}"

    def visits(self, resolved: dt.datetime) -> list[str]:
        """Follow-up visits after `resolved` and before as-of, oldest first; some are none."""
        rng = self.rng
        if rng.random() >= 0.8:
            return []
        first = resolved + dt.timedelta(hours=rng.randrange(2, 48))
        if first > AS_OF:
            return []
        answer = rng.choices(*SATISFACTION)[0]
        out = [_visit(first, answer, rng)]
        if answer == "dissatisfied" and rng.random() < 0.6:  # reworked, then called again
            again = first + dt.timedelta(days=rng.randint(2, 6))
            if again <= AS_OF:
                out.append(_visit(again, rng.choice(["satisfied", "basically_satisfied"]), rng))
        return out


def _visit(at: dt.datetime, satisfaction: str, rng: random.Random) -> str:
    solved = "" if satisfaction == "unreachable" else f", solved: {'false' if satisfaction == 'dissatisfied' else 'true'}"
    return f"{{at: {when(at)}, satisfaction: {satisfaction}{solved}}}"


def _lines(fields: list[str], width: int = 100) -> list[str]:
    """The fields of a flow mapping, joined into lines of about `width` characters."""
    lines: list[str] = []
    for field in fields:
        if lines and len(lines[-1]) + len(field) + 2 <= width:
            lines[-1] += ", " + field
        else:
            lines.append(field)
    return lines


def write_counties(directory: Path, same_policy: bool = False) -> list[Path]:
    """Write the six county ledgers into `directory`; their paths, in the order of COUNTIES."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, (name, prefix, _streets, _towns) in enumerate(COUNTIES):
        text = "\n".join([*header(index, same_policy), *County(index).cases()]) + "\n"
        path = directory / f"{index + 1}-{FILE_NAMES[prefix]}.yaml"  # ASCII names: safe in every shell
        path.write_text(text, encoding="utf-8", newline="\n")
        paths.append(path)
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/counties.py DIRECTORY")
    for written in write_counties(Path(sys.argv[1])):
        print(written)
