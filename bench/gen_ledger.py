#!/usr/bin/env python3
"""Generate a realistic grassroots-governance case ledger for benchmarks.

    python bench/gen_ledger.py N [-o FILE] [--seed S] [--terse] [--invalid-every K]
                                 [--jurisdiction NAME] [--id-prefix P]

Writes one YAML case file (format version 1, see SPEC.md) with N cases for
峄城区 over the year 2024 to FILE, or to standard output.  The same N and seed
always give the same bytes.

`--jurisdiction NAME` writes NAME for 峄城区 in the header (`jurisdiction`,
`title` and the comment line above them), and `--id-prefix P` begins every
case id with P instead of `YC` (`P20240101-00001`), so that several files,
each with its own seed, jurisdiction and prefix, make a roll-up of counties
that never share an id.  The units and categories stay those of 峄城区; the
cases are the same bytes but for their ids.

The file is valid by construction: every id is unique, every timestamp lies
between the case's `received` and the ledger's `as_of`, `resolved` is present
exactly when the status is `resolved`, visits only follow resolved cases, and
every unit and category comes from the lists in the header.  Proportions aim
at a real hotline/mediation ledger: ~90% resolved, 8% open (mostly recent),
2% withdrawn, visits on ~70% of resolved cases, mediation on disputes, backlog
on ~10% of petitions, and so on.

`--terse` leaves out the free text and the optional details (summary,
location, requester, co-units, channel, tags, risk, returns, reasonable,
extra): the same cases in about 300 bytes each instead of about 515, the
size of a ledger kept with few columns (356,000 cases in ~110 MB).

`--phone-share F` replaces every case's requester (also in `--terse`
ledgers) by `requester: {phone: ...}` on a share F of the cases (0.3: 30%)
and none on the others.  A fifth of those phones come from a small pool of
frequent callers (one number per 200 cases), so the ledger has repeat
requests (重复诉求); one in ten is written with spaces, dashes or `+86`.  The
phones come from a random stream of their own, so the rest of each case is
the same bytes as without the option.

`--invalid-every K` spoils every K-th case (cases K, 2K, ...) in one of these
ways, in turn: a bad enum value, an unquoted time such as `2024-03-05 9:30`,
a missing `status`, `resolved` before `received`, an unknown unit, a
duplicate id, a misspelt key.  Use it for error-path benchmarks.

Speed: the YAML text is written with f-strings, case by case, in chunks, so
memory stays flat whatever N is (1,000,000 cases, 515 MB, in about 17 s here).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import re
import sys
from typing import TextIO

# ---------------------------------------------------------------------------
# Calendar: times are seconds since 2024-01-01 00:00 (+08:00)

EPOCH = dt.date(2024, 1, 1)
PERIOD_DAYS = 366  # 2024 is a leap year
AS_OF_DAY = 375  # 2025-01-10
AS_OF = AS_OF_DAY * 86400 + 17 * 3600 + 30 * 60  # '2025-01-10 17:30'
DAY = 86400
HOUR = 3600

DAYS = [(EPOCH + dt.timedelta(days=d)).isoformat() for d in range(AS_OF_DAY + 400)]
HM = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]
SS = [f"{s:02d}" for s in range(60)]

# China's 2024 public holidays and the weekend days worked in exchange (调休).
HOLIDAYS = [
    "2024-01-01",
    "2024-02-10", "2024-02-11", "2024-02-12", "2024-02-13",
    "2024-02-14", "2024-02-15", "2024-02-16", "2024-02-17",
    "2024-04-04", "2024-04-05", "2024-04-06",
    "2024-05-01", "2024-05-02", "2024-05-03", "2024-05-04", "2024-05-05",
    "2024-06-10",
    "2024-09-15", "2024-09-16", "2024-09-17",
    "2024-10-01", "2024-10-02", "2024-10-03", "2024-10-04",
    "2024-10-05", "2024-10-06", "2024-10-07",
    "2025-01-01",
]
MAKEUP_WORKDAYS = [
    "2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11",
    "2024-09-14", "2024-09-29", "2024-10-12",
]

# ---------------------------------------------------------------------------
# Reference lists: units, categories, people, places, texts

TOWNS = ["坛山街道", "吴林街道", "古邵镇", "阴平镇", "底阁镇", "榴园镇", "峨山镇"]

# (name, parent town, type)
GRASSROOTS = [
    ("坛山街道文化路社区", "坛山街道", "community"),
    ("坛山街道振兴路社区", "坛山街道", "community"),
    ("吴林街道吴林社区", "吴林街道", "community"),
    ("吴林街道东王庄村", "吴林街道", "village"),
    ("古邵镇古邵村", "古邵镇", "village"),
    ("阴平镇阴平村", "阴平镇", "village"),
    ("底阁镇底阁村", "底阁镇", "village"),
    ("榴园镇贾泉村", "榴园镇", "village"),
    ("峨山镇峨山口村", "峨山镇", "village"),
    ("坛山街道榴园社区", "坛山街道", "community"),
]

DEPARTMENTS = [
    "区住房城乡建设局", "区综合行政执法局", "区市场监督管理局", "区人力资源社会保障局",
    "市生态环境局峄城分局", "区农业农村局", "公安峄城分局", "区司法局", "区民政局",
    "区水务局", "区教育和体育局", "区卫生健康局", "区自然资源局", "区信访局",
    "区医疗保障局", "区交通运输局", "区退役军人事务局",
]
COURTS = [("峄城区人民法院", None), ("峄城区人民法院古邵人民法庭", "峄城区人民法院")]
CENTERS = ["区社会治理综合服务中心", "区矛盾纠纷调处化解中心", "区公共法律服务中心"]
OTHERS = ["国网峄城供电中心", "峄城区自来水公司", "中国移动峄城分公司"]

# major -> (lead unit, {sub: (special units, summary templates)})
# Templates take positional fields: 0 place, 1 road, 2 count, 3 amount, 4 organisation.
CATEGORIES = {
    "城乡建设": ("区住房城乡建设局", {
        "物业管理": ([], [
            "反映{0}小区物业公司长期不清理楼道垃圾，电梯多次故障无人维修",
            "来电称{0}小区物业擅自上调物业费，要求公开收支明细",
            "反映{0}小区地下车库积水严重，物业未及时处理"]),
        "房屋质量": ([], [
            "反映所购{4}开发的商品房外墙渗水，多次找开发商未果",
            "反映{0}安置房楼顶漏雨，{2}户居民受影响"]),
        "供暖供气": ([], [
            "反映{0}小区暖气不热，室温不足十六度",
            "来电称{1}燃气管道改造后迟迟未通气"]),
    }),
    "城市管理": ("区综合行政执法局", {
        "市容环卫": ([], [
            "反映{1}路段垃圾桶满溢，{2}天无人清运",
            "反映{0}附近有人夜间焚烧垃圾，烟味刺鼻"]),
        "违法建设": (["区自然资源局"], [
            "举报{0}有住户在楼顶私搭乱建，存在安全隐患",
            "反映{1}临街商户违规搭建彩钢棚占用人行道"]),
        "占道经营": ([], [
            "反映{1}早市摊贩占道经营，造成交通拥堵",
            "反映{0}门口烧烤摊夜间占道经营，噪音油烟扰民"]),
    }),
    "市场监管": ("区市场监督管理局", {
        "食品安全": ([], [
            "投诉{4}所售熟食疑似过期变质，食用后腹泻",
            "举报{1}一家餐馆后厨卫生条件差，无健康证上岗"]),
        "消费维权": ([], [
            "投诉在{4}办理预付卡后商家闭店，剩余{3}元无法退还",
            "反映在{4}购买的电动车质量问题，商家拒绝三包"]),
    }),
    "劳动社保": ("区人力资源社会保障局", {
        "欠薪讨薪": ([], [
            "反映在{4}务工的{2}名工人被拖欠工资约{3}元，要求协调支付",
            "来电称{4}拖欠其半年工资{3}元，老板失联"]),
        "社会保险": (["区医疗保障局"], [
            "咨询城乡居民养老保险缴费档次及补缴政策",
            "反映单位未按规定为其缴纳社会保险，要求补缴",
            "咨询异地就医备案办理流程"]),
    }),
    "生态环境": ("市生态环境局峄城分局", {
        "噪声污染": ([], [
            "反映{1}施工工地夜间施工噪音扰民，影响休息",
            "反映{0}附近{4}机器噪音大，昼夜不停"]),
        "大气污染": ([], [
            "反映{4}烟囱冒黑烟，周边气味刺鼻",
            "反映{0}周边有企业疑似偷排废气"]),
        "水体污染": (["区水务局"], [
            "反映{0}附近河道水体发黑发臭，疑似有企业偷排污水"]),
    }),
    "农业农村": ("区农业农村局", {
        "土地承包": ([], [
            "反映{0}土地流转费{3}元未按合同支付",
            "反映{0}承包地确权面积与实际不符，要求重新核实"]),
        "涉农补贴": ([], [
            "咨询耕地地力保护补贴发放时间及标准",
            "反映{0}种粮补贴未发放到户"]),
    }),
    "社会治安": ("公安峄城分局", {
        "治安秩序": ([], [
            "反映{1}附近有人聚众赌博，影响周边秩序",
            "反映{0}小区电动车电瓶多次被盗"]),
        "交通安全": (["区交通运输局"], [
            "反映{1}路口红绿灯故障，存在安全隐患",
            "建议在{0}学校门口增设减速带和人行横道"]),
    }),
    "矛盾纠纷": ("区司法局", {
        "邻里纠纷": (["区矛盾纠纷调处化解中心"], [
            "{0}两户邻居因宅基地边界问题发生争执，多次协商未果",
            "反映楼上住户装修漏水导致其房屋受损，双方就赔偿协商未果",
            "{0}村民因排水沟走向发生纠纷"]),
        "婚姻家庭": (["区公共法律服务中心"], [
            "反映子女不履行赡养义务，要求调解",
            "夫妻双方因离婚财产分割发生纠纷，申请调解"]),
        "合同债务": (["峄城区人民法院", "峄城区人民法院古邵人民法庭"], [
            "反映{4}欠其货款{3}元，多次催要未果",
            "民间借贷纠纷，借款{3}元逾期未还"]),
        "损害赔偿": (["峄城区人民法院"], [
            "交通事故赔偿纠纷，双方对赔偿金额{3}元存在分歧",
            "反映在{4}务工时受伤，就赔偿问题协商未果"]),
    }),
    "民生保障": ("区民政局", {
        "低保救助": ([], [
            "咨询低保申请条件及办理流程",
            "反映家中老人患重病，生活困难，申请临时救助"]),
        "养老服务": ([], [
            "咨询高龄津贴申领流程",
            "反映{0}日间照料中心未正常开放"]),
        "残疾人帮扶": ([], [
            "咨询残疾人两项补贴申请条件"]),
    }),
    "公用事业": ("区水务局", {
        "供水": (["峄城区自来水公司"], [
            "反映{0}小区停水{2}天，未提前通知",
            "反映{1}自来水水质浑浊，有异味"]),
        "供电": (["国网峄城供电中心"], [
            "反映{0}频繁停电，影响生产生活",
            "反映{1}路灯不亮，夜间出行不便"]),
        "通信": (["中国移动峄城分公司"], [
            "反映{0}手机信号差，宽带经常断网"]),
    }),
}
DISPUTE_MAJORS = {"矛盾纠纷"}

ROADS = ["振兴路", "坛山路", "榴园路", "承水路", "峨山路", "文化路", "华山路", "吴林路",
         "古邵大街", "阴平大街", "底阁大街", "中兴大道", "胜利路", "光明路"]
PLACES = ["坛山街道文化路社区", "振兴花园", "榴园小区", "承水家园", "古邵村", "阴平村",
          "吴林社区", "东王庄村", "贾泉村", "峨山口村", "底阁村", "锦绣华府", "御景苑",
          "育才学校", "阳光新城", "石榴园"]
ORGS = ["某建筑劳务公司", "某商贸有限公司", "某食品店", "某健身会所", "某物流公司",
        "某石材厂", "某置业有限公司", "某电动车销售店", "某超市", "某水泥制品厂"]

SURNAMES = list("王王王李李李张张张刘刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎")
GIVEN = ["秀英", "桂英", "秀兰", "玉兰", "建华", "建国", "建军", "国强", "志强", "永刚", "丽",
         "伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明",
         "超", "秀珍", "海燕", "红梅", "丽娟", "德山", "传文", "庆华", "兆忠", "振华", "玉梅",
         "子涵", "浩然", "梓萱", "一诺", "佳怡", "宇航", "文博", "思远"]
MOBILE = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
          "153", "155", "156", "157", "158", "159", "166", "177", "180", "182", "183", "185",
          "186", "187", "188", "189", "199"]

MEDIATORS = ["张桂兰", "王德山", "李传文", "孙庆华", "刘兆忠", "褚夫英", "杜秀云"]
METHODS = ["现场调解", "联合调解", "背靠背调解", "视频调解", "诉前调解", "上门调解"]
ESCALATE_TO = ["区信访工作联席会议", "区委政法委", "区矛盾纠纷调处化解中心", "分管副区长", "区委督查室"]
ESCALATE_WHY = ["多次重复投诉未解决", "涉及多个部门职责交叉", "群体性诉求", "有越级上访倾向",
                "涉及金额较大"]
LEADER_TITLES = ["区委副书记", "区委常委、政法委书记", "副区长", "区人大常委会副主任", "区政协副主席"]
TAGS = ["三三制", "多方联动", "网格上报", "涉老", "涉农", "涉企", "节假日", "重复来电",
        "民生实事", "一站式化解", "诉前调解", "回访整改"]
NOTES = {
    "satisfied": ["电话回访，群众表示满意", "群众反映问题已解决", "现场回访，群众认可处理结果"],
    "basically_satisfied": ["群众表示基本满意，希望加快进度", "问题基本解决，群众无异议"],
    "dissatisfied": ["群众对处理结果不满意，要求重办", "群众反映问题仍未解决"],
    "unreachable": ["多次拨打无人接听", "电话关机，未能联系"],
}
SPECIAL_RESOLVE_DAYS = {"矛盾纠纷/合同债务": 30, "劳动社保/欠薪讨薪": 10, "城乡建设/房屋质量": 20, "民生保障": 7}


def weighted(pairs: list[tuple[object, int]]) -> list:
    """Expand (value, weight) pairs into a list to index with a random float."""
    return [value for value, weight in pairs for _ in range(weight)]


KINDS = weighted([("consultation", 25), ("complaint", 25), ("help", 14), ("report", 5),
                  ("suggestion", 4), ("dispute", 13), ("petition", 6), ("legal_aid", 5),
                  ("other", 3)])
CHANNELS = {
    "default": weighted([("hotline", 60), ("walk_in", 8), ("letter", 2), ("online", 16),
                         ("grid", 10), ("referral", 2), ("other", 2)]),
    "dispute": weighted([("hotline", 20), ("walk_in", 30), ("grid", 30), ("referral", 15),
                         ("online", 3), ("other", 2)]),
    "petition": weighted([("walk_in", 45), ("letter", 25), ("online", 20), ("hotline", 8),
                          ("referral", 2)]),
    "legal_aid": weighted([("walk_in", 60), ("hotline", 20), ("online", 10), ("referral", 10)]),
}
SATISFACTION = weighted([("satisfied", 72), ("basically_satisfied", 14),
                         ("dissatisfied", 6), ("unreachable", 8)])
OUTCOME_DONE = weighted([("agreement", 76), ("no_agreement", 14), ("referred", 10)])
RISK = {
    "petition": weighted([(None, 30), ("high", 18), ("medium", 32), ("low", 20)]),
    "dispute": weighted([(None, 50), ("high", 5), ("medium", 20), ("low", 25)]),
    "default": weighted([(None, 85), ("high", 1), ("medium", 4), ("low", 10)]),
}
# Hour of day a case comes in: hotline runs 24h, but mostly office hours.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 10, 22, 26, 24, 18, 10, 12, 20, 22, 20, 14, 8, 6, 5, 4, 3, 2]
SECOND_OF_DAY = [h * HOUR + s for h, w in enumerate(HOUR_WEIGHTS) for s in range(0, HOUR, 3600 // (w * 4))]


def build_units() -> list[tuple[str, str, str | None]]:
    """All units as (name, type, parent)."""
    units = [(t, "street" if t.endswith("街道") else "town", None) for t in TOWNS]
    units += [(name, kind, parent) for name, parent, kind in GRASSROOTS]
    units += [(d, "department", None) for d in DEPARTMENTS]
    units += [(c, "court", parent) for c, parent in COURTS]
    units += [(c, "center", None) for c in CENTERS]
    units += [(o, "other", None) for o in OTHERS]
    return units


def build_subcategories() -> list[tuple[str, str, list[str], list[str]]]:
    """Every subcategory as (major, 'major/sub', unit pool, summary templates)."""
    out = []
    grassroots = [name for name, _, _ in GRASSROOTS]
    for major, (lead, subs) in CATEGORIES.items():
        for sub, (special, templates) in subs.items():
            pool = [lead] * 9 + TOWNS * 5 + grassroots * 1 + CENTERS[:1] + special * 3
            if major in DISPUTE_MAJORS:
                pool += CENTERS * 3 + grassroots * 2
            out.append((major, f"{major}/{sub}", pool, templates))
    return out


SUBCATEGORIES = build_subcategories()
DISPUTE_SUBS = [s for s in SUBCATEGORIES if s[0] in DISPUTE_MAJORS]
# Weighted so that livelihood topics dominate, as on a real hotline.
SUB_WEIGHTS = {"城乡建设": 14, "城市管理": 12, "市场监管": 10, "劳动社保": 10, "生态环境": 6,
               "农业农村": 6, "社会治安": 6, "矛盾纠纷": 4, "民生保障": 8, "公用事业": 10}
ANY_SUBS = weighted([(s, SUB_WEIGHTS[s[0]]) for s in SUBCATEGORIES])
PETITION_SUBS = weighted([(s, 3 if s[0] in ("劳动社保", "农业农村", "城乡建设", "矛盾纠纷") else 1)
                          for s in SUBCATEGORIES])
LEGAL_AID_SUBS = [s for s in SUBCATEGORIES
                  if s[1] in ("劳动社保/欠薪讨薪", "矛盾纠纷/婚姻家庭", "矛盾纠纷/合同债务", "矛盾纠纷/损害赔偿")]
ALL_UNITS = [name for name, _, _ in build_units()]

# Mean time to resolve after dispatch, by kind, in hours.
RESOLVE_MEAN_HOURS = {"consultation": 10, "complaint": 50, "help": 40, "report": 70,
                      "suggestion": 80, "dispute": 120, "petition": 480, "legal_aid": 150,
                      "other": 48}


def q(text: str) -> str:
    """Single-quote a scalar (the texts here never contain a quote)."""
    return f"'{text}'"


def plain_or_quoted(text: str) -> str:
    """`text` as a plain YAML scalar when it reads back as that text, else single-quoted.

    INFO: plain for a name such as 峄城区, so the default header stays the same
    bytes; quoted for anything YAML might type or split (`1`, `null`, `a: b`).
    """
    if re.fullmatch(r"[^\W\d_]\w*", text) and text.lower() not in ("true", "false", "null"):
        return text
    return "'" + text.replace("'", "''") + "'"


# ---------------------------------------------------------------------------
# Header

JURISDICTION = "峄城区"
ID_PREFIX = "YC"


def render_header(n: int, jurisdiction: str = JURISDICTION) -> str:
    """Everything before the cases: version, policy, categories, units."""
    lines = [
        f"# {jurisdiction}基层治理案件台账（基准测试用合成数据，人名电话均为虚构）",
        "version: 1",
        f"jurisdiction: {plain_or_quoted(jurisdiction)}",
        f"title: {plain_or_quoted(jurisdiction + '2024年度社会治理工单办理情况')}",
        "period: {start: '2024-01-01', end: '2024-12-31'}",
        f"as_of: '{DAYS[AS_OF_DAY]} {HM[(AS_OF % DAY) // 60]}'",
        "policy:",
        "  timezone: '+08:00'",
        "  calendar: workdays",
        "  holidays:",
        *[f"    - '{d}'" for d in HOLIDAYS],
        "  makeup_workdays: [" + ", ".join(q(d) for d in MAKEUP_WORKDAYS) + "]",
        "  dispatch_hours: 3",
        "  resolve_days: {default: 3, consultation: 1, complaint: 5, dispute: 15, petition: 60, legal_aid: 10}",
        "  category_resolve_days:",
        *[f"    {k}: {v}" for k, v in SPECIAL_RESOLVE_DAYS.items()],
        "  targets:",
        "    completion_rate: 0.95",
        "    on_time_rate: 0.9",
        "    response_rate: 0.98",
        "    satisfaction_rate: 0.9",
        "    mediation_success_rate: 0.8",
        "  weights: {response_rate: 0.1, solved_rate: 0.5, satisfaction_rate: 0.4}",
        "  basically_satisfied_weight: 0.9",
        "  rank_min_cases: 10",
        "  penalty_per_overdue: 1",
        "categories:",
    ]
    for major, (lead, subs) in CATEGORIES.items():
        lines += [f"  - name: {major}", f"    lead: {lead}",
                  "    subcategories: [" + ", ".join(subs) + "]"]
    lines.append("units:")
    for name, kind, parent in build_units():
        tail = f", parent: {parent}" if parent else ""
        lines.append(f"  - {{name: {name}, type: {kind}{tail}}}")
    lines.append(f"# {n} cases follow")
    lines.append("cases:" if n else "cases: []")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Cases

INVALID_KINDS = ["enum", "time", "no_status", "resolved_early", "unit", "duplicate_id", "key"]


class CaseWriter:
    """Renders case i (0-based) of n as YAML text; keeps only O(1) state."""

    def __init__(self, n: int, seed: int, invalid_every: int = 0, id_prefix: str = ID_PREFIX):
        self.n = n
        self.rng = random.Random(seed)
        self.invalid_every = invalid_every
        self.id_prefix = id_prefix
        self.day_seen = -1
        self.day_count = 0
        self.last_id = f"{id_prefix}20240101-00001"

    # -- small helpers ------------------------------------------------------
    def pick(self, pool: list):
        return pool[int(self.rng.random() * len(pool))]

    @staticmethod
    def ts(t: int, style: int) -> str:
        """Format seconds since EPOCH; style 0 'D HH:MM', 1 'D HH:MM:SS', 2 ISO with offset."""
        d, r = divmod(t, DAY)
        if style == 0:
            return f"'{DAYS[d]} {HM[r // 60]}'"
        if style == 1:
            return f"'{DAYS[d]} {HM[r // 60]}:{SS[r % 60]}'"
        return f"'{DAYS[d]}T{HM[r // 60]}:{SS[r % 60]}+08:00'"

    def person(self) -> str:
        return self.pick(SURNAMES) + self.pick(GIVEN)

    def phone(self) -> str:
        r = self.rng.random
        if r() < 0.08:
            return f"'0632-77{int(r() * 100000):05d}'"
        return f"'{self.pick(MOBILE)}{int(r() * 1e8):08d}'"

    def id_number(self) -> str:
        r = self.rng.random
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=int(r() * 23000))
        body = f"370404{birth:%Y%m%d}{int(r() * 1000):03d}"
        weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]
        return f"'{body}{check}'"

    def amount(self) -> int:
        return int(self.rng.random() ** 2 * 300) * 100 + 500

    # -- one case -----------------------------------------------------------
    def render(self, i: int) -> str:
        r = self.rng.random
        pick = self.pick
        ts = self.ts
        bad = ""
        if self.invalid_every and (i + 1) % self.invalid_every == 0:
            bad = INVALID_KINDS[((i + 1) // self.invalid_every - 1) % len(INVALID_KINDS)]

        # Received: spread evenly over the period, in file order.
        day = i * PERIOD_DAYS // self.n
        received = day * DAY + pick(SECOND_OF_DAY) + int(r() * 60)
        if bad == "time":
            received = day * DAY + 9 * HOUR + 30 * 60
        if day != self.day_seen:
            self.day_seen, self.day_count = day, 0
        self.day_count += 1
        case_id = f"{self.id_prefix}{DAYS[day].replace('-', '')}-{self.day_count:05d}"
        if bad == "duplicate_id":
            case_id = self.last_id
        self.last_id = case_id
        style = 0 if r() < 0.85 else (1 if r() < 0.8 else 2)

        kind = pick(KINDS)
        channel = pick(CHANNELS.get(kind, CHANNELS["default"]))
        if kind == "dispute":
            sub = pick(DISPUTE_SUBS)
        elif kind == "petition":
            sub = pick(PETITION_SUBS)
        elif kind == "legal_aid":
            sub = pick(LEGAL_AID_SUBS)
        else:
            sub = pick(ANY_SUBS)
        major, category, unit_pool, templates = sub
        unit = pick(unit_pool)
        if channel == "referral" and kind == "dispute" and r() < 0.5:
            unit = pick(CENTERS)

        out = [f"  - id: '{case_id}'"]
        out.append(f"    received: {DAYS[day]} 9:30" if bad == "time"
                   else f"    received: {ts(received, style)}")
        out.append(f"    kind: {'complain' if bad == 'enum' else kind}")
        if channel != "hotline" or r() < 0.7:
            out.append(f"    channel: {channel}")
        out.append(f"    category: {category if r() < 0.97 else major}")
        out.append(f"    unit: {'坛山街导' if bad == 'unit' else unit}")
        if r() < 0.12:
            co = {pick(ALL_UNITS) for _ in range(1 + (r() < 0.4))} - {unit}
            if co:
                out.append(f"    co_units: [{', '.join(sorted(co))}]")

        summary = pick(templates).format(pick(PLACES), pick(ROADS), 2 + int(r() * 30),
                                         self.amount(), pick(ORGS))
        if r() < 0.04:
            out.append("    summary: |-")
            out.append(f"      {summary}。")
            out.append(f"      补充说明：来电人称已多次反映，希望尽快答复。联系时间{HM[480 + int(r() * 600)]}以后。")
        elif r() < 0.97:
            out.append(f"    summary: {summary}")
        if r() < 0.85:
            out.append(f"    location: {pick(TOWNS)}{pick(ROADS)}{1 + int(r() * 300)}号")
        x = r()
        if x < 0.70:
            out.append(f"    requester: {{name: {self.person()}, phone: {self.phone()}}}")
        elif x < 0.88:
            out.append(f"    requester: {{name: {self.person()}, phone: {self.phone()}, "
                       f"id_number: {self.id_number()}}}")
        elif x < 0.93:
            out.append("    requester:")
            out.append(f"      name: {self.person()}")
            out.append(f"      phone: {self.phone()}")
        elif x < 0.96:
            out.append(f"    requester: {{name: {self.person()}}}")

        # Status: recent cases are more often still open.
        age_days = AS_OF_DAY - day
        x = r()
        status = ("open" if x < (0.5 if age_days < 40 else 0.04)
                  else "withdrawn" if x > 0.98 else "resolved")
        if bad == "resolved_early":
            status = "resolved"

        # Dispatch / on-the-spot answers.
        on_the_spot = kind == "consultation" and r() < 0.55
        dispatched = None
        if not on_the_spot and r() < 0.97:
            late = r() < 0.04
            dispatched = received + 300 + int(r() * (10 * HOUR if late else 2.5 * HOUR))
            dispatched = min(dispatched, AS_OF)
            out.append(f"    dispatched: {ts(dispatched, style)}")
        if r() < 0.05:
            out.append(f"    deadline: '{DAYS[day + 5 + int(r() * 25)]}'")

        start = dispatched if dispatched is not None else received
        resolved = None
        if status == "resolved":
            if on_the_spot:
                resolved = received + 120 + int(r() * 40 * 60)
            else:
                resolved = start + 600 + int(self.rng.expovariate(1 / RESOLVE_MEAN_HOURS[kind]) * HOUR)
            resolved = min(resolved, AS_OF)
            if bad == "resolved_early":
                resolved = received - HOUR - int(r() * 48 * HOUR)
        if bad != "no_status":
            out.append(f"    status: {status}")
        if resolved is not None:
            out.append(f"    resolved: {ts(resolved, style)}")

        x = r()
        if x < 0.03:
            out.append("    reasonble: false" if bad == "key" else "    reasonable: false")
        elif x < 0.04 or bad == "key":
            out.append("    reasonble: true" if bad == "key" else "    reasonable: true")
        x = r()
        if x < 0.09:
            out.append(f"    returns: {1 if x < 0.07 else 2 if x < 0.085 else 3}")
        elif x < 0.11:
            out.append("    returns: 0")
        if r() < 0.01:
            at = min(received + int(r() * 72 * HOUR), AS_OF)
            out.append(f"    escalated: {{at: {ts(at, style)}, to: {pick(ESCALATE_TO)}, "
                       f"reason: {pick(ESCALATE_WHY)}}}")

        if status == "resolved" and r() < 0.7 and bad != "resolved_early":
            out += self.visits(resolved, style)

        if kind == "dispute" or (kind == "legal_aid" and r() < 0.3):
            if r() < 0.85:
                out.append(self.mediation(status, major))
        if kind == "petition" and r() < 0.10:
            since = dt.date(2019, 1, 1) + dt.timedelta(days=int(r() * 1800))
            out.append(f"    backlog: {{since: '{since}', leader: {self.person()}（{pick(LEADER_TITLES)}）}}")
        risk = pick(RISK.get(kind, RISK["default"]))
        if risk:
            out.append(f"    risk: {risk}")
        x = r()
        if x < 0.003:
            out.append("    featured: true")
        elif x < 0.005:
            out.append("    featured: false")
        if r() < 0.2:
            tags = {pick(TAGS) for _ in range(1 + (r() < 0.3))}
            out.append(f"    tags: [{', '.join(sorted(tags))}]")
        x = r()
        if x < 0.04:
            out.append(f"    extra: {{工单编号: 'GD{int(r() * 1e8):08d}', 承办人: {self.person()}}}")
        elif x < 0.05:
            out.append("    extra:")
            out.append(f"      source_no: 'SD12345-{int(r() * 1e6):06d}'")
            out.append(f"      repeat_calls: {1 + int(r() * 5)}")
            out.append(f"      enterprise_related: {'true' if r() < 0.3 else 'false'}")
        out.append("")
        return "\n".join(out)

    def visits(self, resolved: int, style: int) -> list[str]:
        """One or two 回访 records, oldest first, after `resolved`."""
        r = self.rng.random
        out = ["    visits:"]
        # Call-backs happen in office hours, within a few days of resolution.
        first = (resolved // DAY + int(r() * 3)) * DAY + 8 * HOUR + 1800 + int(r() * 9 * HOUR)
        first = min(max(first, resolved + 1800), AS_OF)
        sats = [self.pick(SATISFACTION)]
        times = [first]
        if sats[0] in ("dissatisfied", "unreachable") and r() < 0.5:
            sats.append(self.pick(SATISFACTION))
            times.append(min(first + DAY + int(r() * 5 * DAY), AS_OF))
        elif r() < 0.03:  # a second call that did not get through
            sats.append("unreachable")
            times.append(min(first + HOUR, AS_OF))
        for at, sat in zip(times, sats):
            fields = [f"at: {self.ts(at, style)}", f"satisfaction: {sat}"]
            if sat != "unreachable" and r() < 0.85:
                ok = r() < (0.95 if sat == "satisfied" else 0.75 if sat == "basically_satisfied" else 0.15)
                fields.append(f"solved: {'true' if ok else 'false'}")
            if r() < 0.25:
                fields.append(f"note: {self.pick(NOTES[sat])}")
            out.append("      - {" + ", ".join(fields) + "}")
        return out

    def mediation(self, status: str, major: str) -> str:
        """A 调解 record; pending while the case is open."""
        r = self.rng.random
        if status == "open":
            outcome = "pending" if r() < 0.8 else self.pick(OUTCOME_DONE)
        elif status == "withdrawn":
            outcome = "pending" if r() < 0.5 else "no_agreement"
        else:
            outcome = self.pick(OUTCOME_DONE)
        fields = [f"outcome: {outcome}"]
        if r() < 0.9:
            fields.append(f"mediator: {self.pick(MEDIATORS)}")
        if r() < 0.7:
            fields.append(f"room: {self.pick(TOWNS)}人民调解委员会调解室")
        if r() < 0.8:
            fields.append(f"method: {self.pick(METHODS)}")
        if outcome == "agreement" and r() < 0.5:
            amt = self.amount()
            fields.append(f"amount: {amt}.5" if r() < 0.1 else f"amount: {amt}")
        return "    mediation: {" + ", ".join(fields) + "}"


# ---------------------------------------------------------------------------
# Command line

TERSE_DROPS = ("    summary:", "    location:", "    requester:", "    co_units:", "    channel:", "    tags:",
               "    risk:", "    returns:", "    reasonable:", "    extra:")


def terse(text: str) -> str:
    """A case's YAML without the TERSE_DROPS keys (and their indented continuation lines)."""
    kept = []
    dropping = False
    for line in text.splitlines(keepends=True):
        if dropping and line.startswith("      "):
            continue
        dropping = line.startswith(TERSE_DROPS)
        if not dropping:
            kept.append(line)
    return "".join(kept)


def without_requester(text: str) -> str:
    """A case's YAML without its `requester` (and the indented lines under it)."""
    kept = []
    dropping = False
    for line in text.splitlines(keepends=True):
        if dropping and line.startswith("      "):
            continue
        dropping = line.startswith("    requester:")
        if not dropping:
            kept.append(line)
    return "".join(kept)


class PhoneWriter:
    """The `requester: {phone}` line of a case, or nothing, for `--phone-share`."""

    def __init__(self, n: int, seed: int, share: float):
        # A stream of its own, so the cases' other fields do not change.
        self.rng = random.Random(seed * 7919 + 17)
        self.share = share
        self.pool = max(1, n // 200)

    def line(self) -> str:
        r = self.rng.random
        if r() >= self.share:
            return ""
        if r() < 0.2:  # a frequent caller
            number = f"139{int(r() * self.pool):08d}"
        else:
            number = f"{MOBILE[int(r() * len(MOBILE))]}{int(r() * 1e8):08d}"
        x = r()
        if x < 0.04:
            number = f"{number[:3]} {number[3:7]} {number[7:]}"
        elif x < 0.07:
            number = f"{number[:3]}-{number[3:7]}-{number[7:]}"
        elif x < 0.10:
            number = f"+86 {number}"
        return f"    requester: {{phone: '{number}'}}\n"


def write_ledger(out: TextIO, n: int, seed: int, invalid_every: int = 0, chunk: int = 2000,
                 terse_cases: bool = False, phone_share: float | None = None,
                 jurisdiction: str = JURISDICTION, id_prefix: str = ID_PREFIX) -> None:
    """Stream the whole file to `out`, `chunk` cases per write."""
    out.write(render_header(n, jurisdiction))
    writer = CaseWriter(n, seed, invalid_every, id_prefix)
    render = (lambda i: terse(writer.render(i))) if terse_cases else writer.render
    if phone_share is not None:
        phones = PhoneWriter(n, seed, phone_share)
        plain = render
        render = lambda i: without_requester(plain(i)) + phones.line()  # noqa: E731
    for lo in range(0, n, chunk):
        out.write("".join([render(i) for i in range(lo, min(n, lo + chunk))]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a realistic synthetic case ledger (SPEC.md format) with N cases.")
    parser.add_argument("n", type=int, metavar="N", help="number of cases")
    parser.add_argument("-o", "--output", metavar="FILE", help="output file (default: stdout)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--invalid-every", type=int, default=0, metavar="K",
                        help="spoil every K-th case (bad enum, unquoted 9:30, missing status, "
                             "resolved before received, unknown unit, duplicate id, misspelt key)")
    parser.add_argument("--terse", action="store_true",
                        help="leave out free text and optional details (~300 bytes a case, not ~515)")
    parser.add_argument("--phone-share", type=float, default=None, metavar="F",
                        help="give a share F of the cases (0.3: 30%%) just a requester phone, with "
                             "repeat callers, and the others none")
    parser.add_argument("--jurisdiction", default=JURISDICTION, metavar="NAME",
                        help=f"the ledger's jurisdiction, in its header and title (default {JURISDICTION})")
    parser.add_argument("--id-prefix", default=ID_PREFIX, metavar="P",
                        help=f"begin every case id with P (default {ID_PREFIX}: {ID_PREFIX}20240101-00001)")
    args = parser.parse_args(argv)
    if args.n < 0 or args.invalid_every < 0:
        parser.error("N and K must be >= 0")
    if args.phone_share is not None and not 0 <= args.phone_share <= 1:
        parser.error("F must be between 0 and 1")
    if not args.jurisdiction.strip() or not args.jurisdiction.isprintable():
        parser.error("--jurisdiction must be a name on one line, e.g. 东阿县")
    # The id is written in single quotes: a quote or a space in P would change it or break the file.
    if not re.fullmatch(r"[^\s'\\]*", args.id_prefix) or not args.id_prefix.isprintable():
        parser.error("--id-prefix takes no spaces, quotes or backslashes, e.g. DA")
    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
                write_ledger(out, args.n, args.seed, args.invalid_every, terse_cases=args.terse,
                             phone_share=args.phone_share, jurisdiction=args.jurisdiction,
                             id_prefix=args.id_prefix)
        else:
            out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n",
                                   write_through=False)
            write_ledger(out, args.n, args.seed, args.invalid_every, terse_cases=args.terse,
                             phone_share=args.phone_share, jurisdiction=args.jurisdiction,
                             id_prefix=args.id_prefix)
            out.flush()
    except BrokenPipeError:
        sys.stderr.close()  # `| head`: end quietly
    return 0


if __name__ == "__main__":
    sys.exit(main())
