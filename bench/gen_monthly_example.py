#!/usr/bin/env python3
"""Write examples/hotline-2023-01-to-2024-03.yaml: 15 months of a county hotline ledger.

    python bench/gen_monthly_example.py > examples/hotline-2023-01-to-2024-03.yaml

Seeded, so the same file every time.  About 30 cases a month across street, town
and department units, with the usual mix: most resolved in time, some late, some
open past their deadline, follow-up visits, a few disputes mediated, repeat
callers, and one featured case a month.  It is the example of `--period`
(环比, 同比, 累计, carried-over cases, 红黑榜).
"""
from __future__ import annotations

import datetime as dt
import random

UNITS = [("铜城街道", "street"), ("新城街道", "street"), ("刘集镇", "town"), ("大桥镇", "town"),
         ("高集镇", "town"), ("县住建局", "department"), ("县人社局", "department"), ("县市场监管局", "department")]
CATEGORIES = {"城乡建设": ["物业管理", "供水供暖", "施工扰民"], "劳动保障": ["欠薪", "社保"],
              "市场监管": ["食品安全", "价格"], "矛盾纠纷": ["邻里纠纷", "婚姻家庭"], "交通出行": ["公交", "道路"]}
LEADS = {"城乡建设": "县住建局", "劳动保障": "县人社局", "市场监管": "县市场监管局", "矛盾纠纷": "县司法局",
         "交通出行": "县交通运输局"}
KINDS = ["complaint"] * 5 + ["consultation"] * 3 + ["help"] * 2 + ["suggestion", "report", "praise"]
SUMMARIES = {"物业管理": "小区电梯停运，物业迟迟不修", "供水供暖": "楼栋连续两天停水", "施工扰民": "工地夜间施工噪音扰民",
             "欠薪": "讨要拖欠的工资", "社保": "咨询灵活就业社保缴费", "食品安全": "超市出售过期食品",
             "价格": "商户不明码标价", "邻里纠纷": "相邻宅基地滴水檐纠纷", "婚姻家庭": "家庭赡养纠纷",
             "公交": "公交车班次减少", "道路": "路面坑洼影响出行"}
PHONES = [f"139{n:08d}" for n in (12345678, 23456789, 34567890, 45678901, 56789012)]


def when(t: dt.datetime) -> str:
    return t.strftime("'%Y-%m-%d %H:%M'")


def main() -> None:
    rng = random.Random(20240331)
    print("# 东阿县 12345 热线台账，2023 年 1 月至 2024 年 3 月（--period 的示例：环比、同比、累计、上期结转、红黑榜）")
    print("version: 1\njurisdiction: 东阿县\nas_of: '2024-04-30 09:00'\npolicy:\n  calendar: workdays_cn")
    print("  resolve_days: {default: 3, consultation: 1, dispute: 15}\n  dispatch_hours: 3")
    print("  targets: {completion_rate: 0.95, satisfaction_rate: 0.9}\n  rank_min_cases: 3\n  honour_roll: 2")
    print("categories:")
    for major, minors in CATEGORIES.items():
        print(f"  - {{name: {major}, lead: {LEADS[major]}, subcategories: [{', '.join(minors)}]}}")
    print("units:")
    for name, kind in UNITS:
        print(f"  - {{name: {name}, type: {kind}}}")
    print("cases:")
    number = 0
    for month_index in range(15):
        year, month = 2023 + (month_index // 12), month_index % 12 + 1
        # more cases as the year goes on, and a jump in 城乡建设 in March 2024
        count = 24 + month_index // 2
        for i in range(count):
            number += 1
            day = rng.randrange(1, 29)
            received = dt.datetime(year, month, day, rng.randrange(8, 18), rng.choice((0, 15, 30, 45)))
            major = "城乡建设" if (year, month) == (2024, 3) and i % 3 == 0 else rng.choice(list(CATEGORIES))
            minor = rng.choice(CATEGORIES[major])
            kind = "dispute" if major == "矛盾纠纷" else rng.choice(KINDS)
            unit, _type = rng.choice(UNITS)
            lines = [f"  - id: 'DA-{year}{month:02d}-{number:04d}'", f"    received: {when(received)}",
                     f"    kind: {kind}", f"    channel: {rng.choice(['hotline'] * 4 + ['online', 'walk_in', 'grid'])}",
                     f"    category: {major}/{minor}", f"    unit: {unit}", f"    summary: {SUMMARIES[minor]}"]
            if rng.random() < 0.25:
                lines.append(f"    requester: {{phone: '{rng.choice(PHONES)}'}}")
            roll = rng.random()
            answered = rng.random() < 0.15
            if not answered:
                lines.append(f"    dispatched: {when(received + dt.timedelta(minutes=rng.randrange(10, 240)))}")
            if roll < 0.03:
                lines.append("    status: withdrawn")
            elif roll < 0.10 and (year, month) >= (2024, 2):
                lines.append("    status: open")
            else:
                hours = rng.choice([2, 5, 20, 30, 50, 70, 100, 200]) if kind != "dispute" else rng.randrange(24, 400)
                resolved = received + dt.timedelta(hours=hours, minutes=rng.randrange(60))
                lines += ["    status: resolved", f"    resolved: {when(resolved)}"]
                if rng.random() < 0.8:
                    satisfaction = rng.choices(["satisfied", "basically_satisfied", "dissatisfied", "unreachable"],
                                               [70, 15, 8, 7])[0]
                    visit = resolved + dt.timedelta(hours=rng.randrange(2, 48))
                    solved = "true" if satisfaction != "dissatisfied" else "false"
                    lines.append(f"    visits:\n      - {{at: {when(visit)}, satisfaction: {satisfaction}, "
                                 f"solved: {solved}}}")
                if kind == "dispute":
                    outcome = rng.choices(["agreement", "no_agreement", "referred"], [75, 15, 10])[0]
                    lines.append(f"    mediation: {{outcome: {outcome}, mediator: 李建国, room: 第一调解室}}")
            if i == 0:
                lines.append("    featured: true")
            print("\n".join(lines))


if __name__ == "__main__":
    main()
