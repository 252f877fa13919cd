"""grassroots-report: check a case ledger (台账) and turn it into a briefing (通报).

For county and district 12345 hotline centres, one-stop dispute-mediation
centres, petition offices, court pre-litigation mediation and grid centres.
It reads one or more YAML case files (format v1, see README.md and
schema.yaml), checks them, and computes the standard figures of a briefing:
办结率, 按期办结率, 响应率, 满意率, 解决率, 调解成功率, 积案化解率, 重复诉求率,
overdue warnings, a ranking of units and the hot issues, and signals of data
worth a look (bulk closures, instant follow-ups, follow-ups before closure).

Usage:
    grassroots-report check   FILE...        check only
    grassroots-report summary FILE... [--by unit|category|channel|kind]
                                      [--format table|csv|tsv|json|markdown]
    grassroots-report report  FILE... [-o OUT.md]
    grassroots-report run     FILE... [-o OUT.md]   check, table, then report
    grassroots-report schema                 print schema.yaml
    grassroots-report example                print a complete example file
Common options: --as-of DATETIME, --lang zh|en, --strict, --encoding NAME,
--fail-on-target.  FILE may be `-` for standard input.

Exit codes:
    0    done
    1    the data is invalid (or has warnings, with --strict)
    2    usage or I/O error (no such file, unreadable, output onto an input)
    3    a policy target was missed (only with --fail-on-target)
    130  interrupted (Ctrl-C)
A closed pipe (`| head`) ends quietly with the status the command had.

Data flows one way: bytes -> YAML events -> case dicts -> problems and a
tally -> Summary -> text.  Cases are built, checked and counted one at a time,
so memory grows with the number of groups and listed cases, not with the
number of cases (the ids kept for the duplicate check, the durations kept
for the median, the cases with a caller kept for the repeat count and the
resolution times kept for bulk closures are the exceptions, a few dozen
bytes a case).
"""

# =============================================================================
# Imports
# =============================================================================
from __future__ import annotations

import array
import bisect
import csv
import dataclasses
import datetime as dt
import difflib
import functools
import hashlib
import io
import itertools
import json
import math
import operator
import os
import re
import sys
import tempfile
import unicodedata
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import click

# yaml and jsonschema are imported where they are first needed, so that
# `--help` stays fast (jsonschema alone takes longer to import than --help
# may take in all).

# =============================================================================
# Constants and exit codes
# =============================================================================
__version__ = "1.0.0"

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_TARGET_MISSED = 3
EXIT_INTERRUPTED = 130

FORMAT_VERSION = 1
MAX_DEPTH = 32  # collections nested deeper than this are refused while parsing
MAX_PRINTED_PROBLEMS = 100
MAX_KEPT_PROBLEMS = 10_000  # problems kept for sorting; the rest are only counted
MAX_KEPT_WARNINGS = 1_000

KINDS = ("consultation", "complaint", "help", "report", "suggestion",
         "dispute", "petition", "legal_aid", "other")
CHANNELS = ("hotline", "walk_in", "letter", "online", "grid", "referral", "other")
STATUSES = ("open", "resolved", "withdrawn")
OUTCOMES = ("pending", "agreement", "no_agreement", "referred")
GROUPINGS = ("unit", "category", "channel", "kind")

RATE_KEYS = (
    "completion_rate", "on_time_rate", "response_rate", "visit_rate",
    "satisfaction_rate", "solved_rate", "mediation_success_rate",
    "backlog_cleared_rate", "return_rate", "repeat_rate",
)
# Every metric, in the order of SPEC.md; this is the order of JSON and CSV.
METRIC_KEYS = (
    "received", "withdrawn", "resolved", "open", "overdue", "late", "on_time",
    "completion_rate", "on_time_rate", "response_rate", "visit_rate",
    "satisfaction_rate", "solved_rate", "dissatisfied", "reworked",
    "mediations", "mediation_agreements", "mediation_success_rate",
    "backlog", "backlog_resolved", "backlog_cleared_rate", "escalated",
    "returned", "return_rate", "median_hours_to_resolve", "score",
    "penalty_points", "repeats", "repeat_rate",
)
# INFO: a higher return or repeat rate is worse; targets on them are maxima and
# the score counts 1 - rate, so that a higher score is always better.
LOWER_IS_BETTER = frozenset({"return_rate", "repeat_rate"})
MAX_REPEAT_CALLERS = 20

DEFAULT_RESOLVE_DAYS = {"default": 3, "consultation": 1, "dispute": 15, "petition": 60}
DEFAULT_WEIGHTS = {"response_rate": Fraction(1, 10), "solved_rate": Fraction(1, 2),
                   "satisfaction_rate": Fraction(2, 5)}

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
# INFO: years a ledger can mean; anything else is a typo, and refusing it keeps
# every deadline and offset inside what datetime can print.
MIN_YEAR, MAX_YEAR = 1900, 2199
SECONDS_PER_DAY = 86_400

# Display labels: one table, keyed by the names of the contract.
LABELS: dict[str, tuple[str, str]] = {
    "received": ("受理", "Received"),
    "withdrawn": ("撤回", "Withdrawn"),
    "resolved": ("办结", "Resolved"),
    "open": ("在办", "Open"),
    "overdue": ("超期未办结", "Overdue"),
    "late": ("超期办结", "Late"),
    "on_time": ("按期办结", "On time"),
    "completion_rate": ("办结率", "Completion"),
    "on_time_rate": ("按期办结率", "On-time"),
    "response_rate": ("响应率", "Response"),
    "visit_rate": ("回访率", "Visited"),
    "satisfaction_rate": ("满意率", "Satisfaction"),
    "solved_rate": ("解决率", "Solved"),
    "dissatisfied": ("不满意待重办", "Dissatisfied"),
    "reworked": ("不满意已整改", "Reworked"),
    "mediations": ("调解", "Mediations"),
    "mediation_agreements": ("调解成功", "Agreements"),
    "mediation_success_rate": ("调解成功率", "Mediation success"),
    "backlog": ("信访积案", "Backlog"),
    "backlog_resolved": ("积案化解", "Backlog cleared"),
    "backlog_cleared_rate": ("积案化解率", "Backlog cleared rate"),
    "escalated": ("提级办理", "Escalated"),
    "returned": ("回退", "Returned"),
    "return_rate": ("回退率", "Return rate"),
    "median_hours_to_resolve": ("办结时长中位数(小时)", "Median hours"),
    "score": ("综合得分", "Score"),
    "penalty_points": ("扣分", "Penalty"),
    "repeats": ("重复诉求", "Repeats"),
    "repeat_rate": ("重复诉求率", "Repeat rate"),
    "rank": ("排名", "Rank"),
    "name": ("名称", "Name"),
    "total": ("合计", "Total"),
    # groupings
    "unit": ("单位", "Unit"),
    "category": ("诉求分类", "Category"),
    "channel": ("受理渠道", "Channel"),
    "kind": ("诉求类型", "Kind"),
    # kinds
    "consultation": ("咨询", "Consultation"),
    "complaint": ("投诉", "Complaint"),
    "help": ("求助", "Help"),
    "report": ("举报", "Report"),
    "suggestion": ("建议", "Suggestion"),
    "dispute": ("矛盾纠纷", "Dispute"),
    "petition": ("信访", "Petition"),
    "legal_aid": ("法律援助", "Legal aid"),
    "other": ("其他", "Other"),
    # channels
    "hotline": ("12345热线", "Hotline"),
    "walk_in": ("来访", "Walk-in"),
    "letter": ("来信", "Letter"),
    "online": ("网上/App", "Online"),
    "grid": ("网格上报", "Grid"),
    "referral": ("分流转办", "Referral"),
    # statuses, satisfaction and outcomes
    "status_open": ("办理中", "open"),
    "status_resolved": ("已办结", "resolved"),
    "status_withdrawn": ("已撤回", "withdrawn"),
    "satisfied": ("满意", "satisfied"),
    "basically_satisfied": ("基本满意", "basically satisfied"),
    "unreachable": ("未接通", "unreachable"),
    "pending": ("调解中", "pending"),
    "agreement": ("达成协议", "agreement"),
    "no_agreement": ("未达成协议", "no agreement"),
    "referred": ("转诉讼或其他途径", "referred"),
    "high": ("高", "high"),
    "medium": ("中", "medium"),
    "low": ("低", "low"),
    "natural": ("自然日", "calendar days"),
    "workdays": ("工作日", "working days"),
    # report sections and phrases
    "r_jurisdiction": ("统计区域", "Jurisdiction"),
    "r_period": ("统计周期", "Period"),
    "r_as_of": ("统计截止", "As of"),
    "r_policy": ("办理规则", "Rules in force"),
    "r_source": ("数据来源", "Source"),
    "r_overview": ("总体情况", "Overview"),
    "r_ranking": ("单位排名", "Ranking of units"),
    "r_categories": ("诉求分类", "Categories"),
    "r_channels": ("受理渠道", "Channels"),
    "r_overdue": ("超期工单（红色预警）", "Overdue cases (red warning)"),
    "r_dissatisfied": ("不满意工单（待重办）", "Dissatisfied cases awaiting re-work"),
    "r_mediation": ("矛盾纠纷调解", "Dispute mediation"),
    "r_backlog": ("信访积案化解", "Petition backlog"),
    "r_escalated": ("提级办理", "Escalated cases"),
    "r_featured": ("典型案例", "Typical cases"),
    "r_warnings": ("数据质量提示", "Data-quality warnings"),
    "r_metric": ("指标", "Figure"),
    "r_value": ("数值", "Value"),
    "r_target": ("目标", "Target"),
    "r_met": ("是否达标", "Met"),
    "r_yes": ("达标", "met"),
    "r_no": ("未达标", "missed"),
    "r_warning": ("预警", "Warning"),
    "r_share": ("占比", "Share"),
    "r_bar": ("分布", "Distribution"),
    "r_id": ("工单编号", "Case"),
    "r_deadline": ("办理时限", "Deadline"),
    "r_days_overdue": ("超期天数", "Days overdue"),
    "r_hot": ("热点小类（前十）", "Hot sub-categories (top ten)"),
    "r_subcategory": ("小类", "Sub-category"),
    "r_outcome": ("调解结果", "Outcome"),
    "r_count": ("件数", "Cases"),
    "r_mediator": ("调解员", "Mediator"),
    "r_room": ("调解室", "Room"),
    "r_method": ("调解方式", "Method"),
    "r_since": ("积案起始", "Backlog since"),
    "r_leader": ("包案领导", "Leader in charge"),
    "r_status": ("状态", "Status"),
    "r_risk": ("风险等级", "Risk"),
    "r_to": ("提级至", "Escalated to"),
    "r_reason": ("原因", "Reason"),
    "r_at": ("时间", "At"),
    "r_none": ("本期无。", "None this period."),
    "r_unranked": ("案件不足 {n} 件、不参与排名的单位", "Units with fewer than {n} cases (not ranked)"),
    "r_request": ("诉求", "Request"),
    "r_handling": ("办理", "Handling"),
    "r_location": ("地点", "Location"),
    "r_visit": ("回访", "Follow-up"),
    "r_lead": ("牵头部门", "Lead department"),
    "r_repeats": ("重复诉求", "Repeat requests"),
    "r_repeats_text": ("本期重复诉求 {repeats} 件（同一诉求人 {days} 天内就同一大类再次反映），重复诉求率 {rate}；"
                       "重复诉求的满意率 {satisfaction}。",
                       "Repeat requests (the same caller on the same major category within {days} days): {repeats}, "
                       "repeat rate {rate}; satisfaction of the repeat cases {satisfaction}."),
    "r_repeat_callers": ("重复诉求较多的诉求人", "Callers with the most repeats"),
    "r_caller": ("诉求人", "Caller"),
    "r_caller_cases": ("相关件数", "Cases"),
    "r_units": ("承办单位", "Units"),
    "r_categories_of": ("诉求分类", "Categories"),
    "r_signals": ("以下数据建议核实（不是错误，也不代表存在问题）：",
                  "These figures are worth a look (not errors, and not proof of a problem):"),
    "s_bulk_closure": ("{unit} {start}–{end} 集中办结 {cases} 件（{minutes} 分钟内办结不少于 {threshold} 件），请核实办理过程。",
                       "{unit} resolved {cases} cases from {start} to {end} (at least {threshold} within {minutes} "
                       "minutes): please check how they were handled."),
    "s_instant_visit": ("{unit}有 {cases} 件在办结后不到 {minutes} 分钟即记录满意回访，请核实回访是否实际进行。",
                        "{unit}: a satisfied follow-up recorded less than {minutes} minutes after resolution, on "
                        "{cases} of its cases: please check that the follow-ups took place."),
    "s_visit_before_resolved": ("{unit}有 {cases} 件的回访时间早于办结时间，请核对回访和办结时间。",
                                "{unit}: a follow-up dated before resolution, on {cases} of its cases: please "
                                "check both times."),
}


def label(key: str, lang: str) -> str:
    """The display label of a contract name in `lang` (the name itself if none)."""
    pair = LABELS.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]


# Problem messages: one template per message id, in both languages.
MESSAGES: dict[str, tuple[str, str]] = {
    # loading
    "empty": ("文件是空的：案件文件应以 `version: 1` 开头，并含 jurisdiction 和 cases",
              "the file is empty: a case file starts with `version: 1` and has jurisdiction and cases"),
    "not_mapping_top": ("文件顶层应是键值映射（version、jurisdiction、cases …），实际是{what}",
                        "the top level must be a mapping (version, jurisdiction, cases ...), not {what}"),
    "two_documents": ("一个文件只能有一个 YAML 文档：删除这里的 `---` 及其后的内容，或拆成两个文件",
                      "a file holds one YAML document: remove this `---` and what follows, or split the file"),
    "syntax": ("YAML 语法错误：{problem}{hint}", "YAML syntax error: {problem}{hint}"),
    "hint_tab": ("（请用空格缩进，不要用 Tab）", " (indent with spaces, not tabs)"),
    "hint_colon": ("（值里有冒号时请加引号，如 '9:30 到访'）",
                   " (quote a value that contains a colon, e.g. '9:30 visit')"),
    "duplicate_key": ("重复的键 `{key}`（第 {first} 行已写过）：删掉其中一个",
                      "duplicate key `{key}` (already at line {first}): remove one of them"),
    "tag": ("不接受显式标签 `{tag}`：删掉标签，直接写值",
            "explicit tags such as `{tag}` are refused: remove the tag and write the value"),
    "anchor": ("不接受锚点 `&{name}`：台账里请直接写出每个值",
               "anchors such as `&{name}` are refused: write each value out"),
    "alias": ("不接受别名 `*{name}`：请直接写出这个值",
              "aliases such as `*{name}` are refused: write the value out"),
    "key_not_text": ("键必须是文字，不能是列表或映射", "keys must be text, not a list or mapping"),
    "too_deep": ("嵌套超过 {depth} 层，已停止读取：案件文件用不到这么深的结构",
                 "nesting deeper than {depth} levels; reading stopped: a case file never needs this"),
    "encoding_gbk": ("文件不是 UTF-8 编码，看起来是 GBK/GB18030（中文 Windows/Excel 导出）：请另存为 UTF-8，或加 --encoding gbk",
                     "the file is not UTF-8; it looks like GBK/GB18030 (a Chinese Windows/Excel export): save it as UTF-8, or pass --encoding gbk"),
    "encoding_bad": ("第 {line} 行有无效的 UTF-8 字节 0x{byte:02X}：请把文件另存为 UTF-8",
                     "invalid UTF-8 byte 0x{byte:02X} on line {line}: save the file as UTF-8"),
    "encoding_other": ("无法按 {encoding} 读取：{reason}", "cannot read as {encoding}: {reason}"),
    "control_char": ("含有不可用的控制字符 {char}：请删除它", "unacceptable control character {char}: remove it"),
    # schema keywords
    "type": ("应为{expected}，实际是{actual} `{raw}`{hint}", "must be {expected}, not {actual} `{raw}`{hint}"),
    "enum": ("`{raw}` 不是可选值；可选：{choices}{hint}", "`{raw}` is not one of: {choices}{hint}"),
    "const": ("应为 `{expected}`，实际是 `{raw}`", "must be `{expected}`, not `{raw}`"),
    "required": ("缺少必填字段 `{field}`", "missing required field `{field}`"),
    "unknown_key": ("未知字段 `{key}`{hint}", "unknown field `{key}`{hint}"),
    "pattern_datetime": ("`{raw}` 不是日期时间：请写成 '2024-03-05 09:30'（加引号，可带 Z 或 +08:00）",
                         "`{raw}` is not a date and time: write it as '2024-03-05 09:30' (quoted; Z or +08:00 allowed)"),
    "pattern_date": ("`{raw}` 不是日期：请写成 '2024-03-05'", "`{raw}` is not a date: write it as '2024-03-05'"),
    "pattern_timezone": ("`{raw}` 不是时区偏移：请写成 '+08:00' 或 'Z'",
                         "`{raw}` is not a time-zone offset: write '+08:00' or 'Z'"),
    "pattern_category": ("`{raw}` 不是分类：请写成 `大类` 或 `大类/小类`",
                         "`{raw}` is not a category: write `major` or `major/minor`"),
    "pattern": ("`{raw}` 格式不对", "`{raw}` does not have the expected form"),
    "minLength": ("不能为空", "must not be empty"),
    "minimum": ("应不小于 {limit}，实际是 `{raw}`", "must be at least {limit}, not `{raw}`"),
    "maximum": ("应不大于 {limit}，实际是 `{raw}`", "must be at most {limit}, not `{raw}`"),
    "exclusiveMinimum": ("应大于 {limit}，实际是 `{raw}`", "must be more than {limit}, not `{raw}`"),
    "schema_other": ("{detail}", "{detail}"),
    "hint_quote": ("；请加引号：'{raw}'", "; quote it: '{raw}'"),
    "hint_datetime": ("；请写成日期和时间，如 '2024-03-05 {raw}'", "; write a date and time, e.g. '2024-03-05 {raw}'"),
    "hint_did_you_mean": ("；是否想写 `{near}`？", "; did you mean `{near}`?"),
    # consistency
    "bad_date": ("`{raw}` 不是存在的日期或时间：{reason}", "`{raw}` is not a real date or time: {reason}"),
    "before_received": ("`{raw}` 早于受理时间 {received}：请核对时间", "`{raw}` is earlier than received {received}: check the time"),
    "resolved_without_status": ("有办结时间，但状态是 `{status}`：状态改为 resolved，或删掉 resolved 时间",
                                "has a resolved time but status is `{status}`: set status to resolved, or remove the resolved time"),
    "status_without_resolved": ("状态是 resolved，但缺少办结时间 `resolved`", "status is resolved but the `resolved` time is missing"),
    "duplicate_id": ("重复的案件编号 `{id}`（已见于 {first}）", "duplicate id `{id}` (already at {first})"),
    "unknown_unit": ("单位 `{raw}` 不在 units 列表中{hint}", "unit `{raw}` is not in the units list{hint}"),
    "unknown_category": ("分类 `{raw}` 不在 categories 列表中{hint}", "category `{raw}` is not in the categories list{hint}"),
    "period_order": ("period 的 start 晚于 end", "period start is after its end"),
    "unit_parent": ("上级单位 `{raw}` 不在 units 列表中", "parent unit `{raw}` is not in the units list"),
    # warnings
    "w_outside_period": ("受理时间 {raw} 不在统计期 {start} 至 {end} 内", "received {raw} is outside the period {start} to {end}"),
    "w_visit_unresolved": ("案件未办结（{status}）却有回访记录", "a visit on a case that is not resolved ({status})"),
    "w_after_as_of": ("`{raw}` 晚于统计截止时间 {as_of}", "`{raw}` is later than as-of {as_of}"),
    "w_header_differs": ("`{key}` 与第一个文件不同；以第一个文件为准", "`{key}` differs from the first file's; the first file's applies"),
    # totals line
    "more_problems": ("……另有 {more} 个问题未列出，共 {total} 个问题", "... {more} more problems not shown, {total} in all"),
    "n_problems": ("共 {total} 个问题", "{total} problems in all"),
    "n_warnings": ("共 {total} 个警告", "{total} warnings in all"),
    "n_problems_1": ("共 1 个问题", "1 problem in all"),
    "n_warnings_1": ("共 1 个警告", "1 warning in all"),
    "ok": ("{files}：{cases} 个案件，检查通过", "{files}: {cases} cases, no problems"),
}


def msg(message_id: str, lang: str, **fields: Any) -> str:
    """A message template in `lang`, filled in."""
    template = MESSAGES[message_id][0 if lang == "zh" else 1]
    return template.format(**fields)


# =============================================================================
# Errors
# =============================================================================
class ToolError(click.ClickException):
    """An error the user can fix; carries its exit code and prints itself plainly."""

    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), err=True)


class UsageIOError(ToolError):
    """A usage or I/O problem: no such file, unreadable, an output onto an input."""

    exit_code = EXIT_USAGE


class InvalidDataError(ToolError):
    """The data has problems (or warnings, with --strict); the text lists them."""

    exit_code = EXIT_INVALID


class TargetMissedError(ToolError):
    """A policy target was missed and --fail-on-target was given."""

    exit_code = EXIT_TARGET_MISSED


# =============================================================================
# Data model
# =============================================================================
@dataclasses.dataclass(frozen=True)
class Problem:
    """One located finding: FILE:LINE:COLUMN: PATH: message (1-based)."""

    file: str
    line: int
    column: int
    path: str
    message: str
    file_index: int = 0

    def sort_key(self) -> tuple[int, int, int, str]:
        return (self.file_index, self.line, self.column, self.path)

    def render(self) -> str:
        # a problem of the whole file (syntax, encoding) has no path: shown as "-"
        return f"{self.file}:{self.line}:{self.column}: {self.path or '-'}: {self.message}"


@dataclasses.dataclass(frozen=True)
class Source:
    """One input: a path, or `-` for standard input."""

    name: str
    index: int
    path: Path | None  # None for standard input
    data: bytes | None = None  # standard input is read whole, once


@dataclasses.dataclass(frozen=True)
class Policy:
    """The rules in force: time limits, calendar, targets, weights."""

    timezone: str = "+08:00"
    tz_seconds: int = 8 * 3600
    calendar: str = "natural"
    holidays: frozenset[int] = frozenset()  # day numbers since 1970-01-01
    makeup_workdays: frozenset[int] = frozenset()
    dispatch_hours: Fraction = Fraction(3)
    resolve_days: tuple[tuple[str, int], ...] = tuple(DEFAULT_RESOLVE_DAYS.items())
    category_resolve_days: tuple[tuple[str, int], ...] = ()
    targets: tuple[tuple[str, Fraction], ...] = ()
    weights: tuple[tuple[str, Fraction], ...] = tuple(DEFAULT_WEIGHTS.items())
    basically_satisfied_weight: Fraction = Fraction(1)
    rank_min_cases: int = 10
    penalty_per_overdue: Fraction = Fraction(1)
    repeat_days: int = 30
    bulk_closure_cases: int = 20
    bulk_closure_minutes: Fraction = Fraction(10)
    min_visit_minutes: Fraction = Fraction(10)


@dataclasses.dataclass
class Header:
    """The top of one case file: everything but the cases."""

    source: Source
    data: dict[str, Any]
    events: list[Any]  # the header's YAML events, kept to locate problems


@dataclasses.dataclass(slots=True)
class CaseItem:
    """One case as read: its position in the list, its data and its events."""

    source: Source
    index: int
    data: Any
    events: list[Any]


@dataclasses.dataclass
class Ledger:
    """What the header of the ledger fixes for every case: policy, period, as-of."""

    jurisdiction: str
    title: str | None
    period: tuple[str, str] | None  # as written
    period_seconds: tuple[int, int] | None  # start 00:00 to end 23:59:59, epoch
    as_of: int | None  # epoch seconds; None until the latest timestamp is known
    policy: Policy
    categories: list[dict[str, Any]]
    units: list[dict[str, Any]]


@dataclasses.dataclass
class Summary:
    """Everything every output renders: computed once."""

    ledger: Ledger
    lang: str
    as_of_text: str
    totals: dict[str, Any]
    groups: dict[str, list[dict[str, Any]]]
    overdue: Sequence[dict[str, Any]]  # a ListedCases: entries are made as they are read
    dissatisfied: Sequence[dict[str, Any]]
    warnings: list[Problem]
    warning_count: int
    missed_targets: list[str]  # rate keys whose target the totals miss
    sources: list[tuple[str, str]]  # (name, sha256)
    extras: dict[str, Any]  # what only the report shows: mediation, backlog ...
    # the callers with the most repeats, masked: {"caller", "cases", "repeats", "units", "categories"}
    repeat_callers: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # data to look at: {"kind", "unit", ...} (see Tally.signals)
    signals: list[dict[str, Any]] = dataclasses.field(default_factory=list)


# =============================================================================
# Loading YAML
# =============================================================================
# INFO: PyYAML resolves plain scalars by YAML 1.1 (9:30 -> 570, NO -> False,
# 010000 -> 4096, 2023-02-14 -> a date).  We never let it: we read the event
# stream and resolve plain scalars by the YAML 1.2 core schema ourselves,
# keeping only null, booleans, decimal integers and finite floats as typed.
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True,
          "false": False, "False": False, "FALSE": False}
_INT_RE = re.compile(r"[-+]?[0-9]+\Z")
_FLOAT_RE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_NUMBER_START = frozenset("0123456789+-.")
_MAX_NUMBER_DIGITS = 30  # longer numbers stay text: no ledger needs them
_TYPED_WORDS = _NULLS | frozenset(_BOOLS)  # the plain words that are not text


def resolve_plain(text: str) -> Any:
    """The YAML 1.2 core-schema value of a plain scalar (text when in doubt)."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if text[0] in _NUMBER_START and len(text) <= _MAX_NUMBER_DIGITS:
        if _INT_RE.match(text):
            return int(text)
        if _FLOAT_RE.match(text):
            value = float(text)
            if math.isfinite(value):
                return value
    return text


class _Stop(Exception):
    """Reading this file cannot go on; the problem is already recorded."""


_NO_KEY = object()


def _yaml():
    import yaml  # noqa: PLC0415 - imported late on purpose, see Imports

    return yaml


class FileReader:
    """Reads one case file as a stream of items: a Header, then CaseItems.

    Problems found while reading (syntax, duplicate keys, tags, anchors) are
    appended to `problems`.  Reading stops at the first syntax error.
    `header_hint`, when given, is the header read on an earlier pass (for a
    file whose header keys come after `cases`).
    """

    def __init__(self, source: Source, lang: str, encoding: str | None,
                 header_hint: dict[str, Any] | None = None) -> None:
        self.source = source
        self.lang = lang
        self.encoding = encoding
        self.header_hint = header_hint
        self.problems: list[Problem] = []
        self.sha256 = hashlib.sha256()
        self.header_after_cases = False
        self.late_header: dict[str, Any] | None = None
        self.header_events: list[Any] = []
        # where a tag or alias was refused: other problems there would only repeat it
        self.refused_at: set[tuple[int, int]] = set()
        self._raw: bytes | None = None

    # -- problems -------------------------------------------------------------
    def _problem(self, mark: Any, path: str, message_id: str, **fields: Any) -> None:
        line = mark.line + 1 if mark is not None else 1
        column = mark.column + 1 if mark is not None else 1
        self.problems.append(Problem(self.source.name, line, column, path,
                                     msg(message_id, self.lang, **fields), self.source.index))

    # -- the byte stream --------------------------------------------------------
    def _open(self) -> tuple[Any, "_HashingReader"]:
        if self.source.data is not None:
            stream: Any = io.BytesIO(self.source.data)
        else:
            assert self.source.path is not None
            stream = open(self.source.path, "rb")  # noqa: SIM115 - closed by items()
        hashing = _HashingReader(stream, self.sha256)
        if self.encoding:
            text = io.TextIOWrapper(io.BufferedReader(hashing), encoding=self.encoding, errors="strict", newline="")
            return text, hashing
        return hashing, hashing

    def _all_bytes(self) -> bytes:
        if self.source.data is not None:
            return self.source.data
        assert self.source.path is not None
        return self.source.path.read_bytes()

    # -- events ------------------------------------------------------------------
    def items(self) -> Iterator[Header | CaseItem]:
        """Yield the header, then each case; never raises for bad input."""
        yaml = _yaml()
        _bind_event_classes()
        loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        stream, hashing = self._open()
        loader = None
        try:
            # INFO: the loader's own get_event, not yaml.parse(): the generator
            # around it costs a third of the parse.  Only events are used; the
            # loader never constructs a Python object from the document.
            loader = loader_class(stream)
            try:
                yield from self._document(loader.get_event)
            except _Stop:
                pass
            except yaml.reader.ReaderError as error:
                self._reader_problem(error)
            except yaml.MarkedYAMLError as error:
                self._syntax_problem(error)
            except UnicodeDecodeError as error:
                self._problem(None, "", "encoding_other", encoding=self.encoding, reason=str(error))
            while hashing.read(1 << 20):  # the rest of the file, for the provenance hash
                pass
        finally:
            if loader is not None:
                loader.dispose()
            stream.close()

    def _syntax_problem(self, error: Any) -> None:
        problem = error.problem or "?"
        hint = ""
        mark = error.problem_mark
        if "end of stream" in problem and error.context_mark is not None:
            mark = error.context_mark  # where the unclosed quote or bracket opened
        if "\t" in problem or "tab" in problem.lower() or self._tab_at(mark):
            hint = msg("hint_tab", self.lang)
        elif "mapping values are not allowed" in problem:
            hint = msg("hint_colon", self.lang)
        text = problem if not error.context else f"{problem} ({error.context})"
        self._problem(mark, "", "syntax", problem=text, hint=hint)

    def _tab_at(self, mark: Any) -> bool:
        """True when the line of `mark` has a tab before the mark (the error path only)."""
        if mark is None or self.encoding:
            return False
        lines = self._all_bytes().split(b"\n", mark.line + 1)
        return mark.line < len(lines) and b"\t" in lines[mark.line][: mark.column + 1]

    def _reader_problem(self, error: Any) -> None:
        """Bad bytes: name the line, and say so when the file is GBK."""
        raw = self._all_bytes()
        try:
            raw.decode("utf-8")
            bad_at = None
        except UnicodeDecodeError as decode_error:
            bad_at = decode_error.start
        if bad_at is None:  # valid UTF-8, so a control character libyaml refuses
            # INFO: libyaml gives a byte offset; the Python reader a character index
            position = getattr(error, "position", 0) or 0
            text = raw[:position].decode("utf-8", errors="replace") if _yaml().__with_libyaml__ \
                else raw.decode("utf-8")[:position]
            position = len(text)
            line = text.count("\n") + 1
            column = position - (text.rfind("\n") + 1) + 1
            char = getattr(error, "character", 0)
            char_text = f"U+{char:04X}" if isinstance(char, int) else repr(char)
            self.problems.append(Problem(self.source.name, line, column, "",
                                         msg("control_char", self.lang, char=char_text),
                                         self.source.index))
            return
        line = raw.count(b"\n", 0, bad_at) + 1
        column = bad_at - (raw.rfind(b"\n", 0, bad_at) + 1) + 1
        if _looks_like_gbk(raw):
            text = msg("encoding_gbk", self.lang)
        else:
            text = msg("encoding_bad", self.lang, line=line, byte=raw[bad_at])
        self.problems.append(Problem(self.source.name, line, column, "", text, self.source.index))

    def _document(self, nxt: Callable[[], Any]) -> Iterator[Header | CaseItem]:
        yaml = _yaml()
        nxt()  # StreamStart
        first = nxt()
        if isinstance(first, yaml.StreamEndEvent):
            self._problem(None, "", "empty")
            return
        root = nxt()  # the event after DocumentStart
        if not isinstance(root, yaml.MappingStartEvent):
            if isinstance(root, yaml.ScalarEvent) and root.value == "" and root.implicit[0]:
                self._problem(None, "", "empty")
            else:
                what = {yaml.SequenceStartEvent: ("一个列表", "a list")}.get(type(root), ("一个单独的值", "a single value"))
                self._problem(root.start_mark, "", "not_mapping_top", what=what[0 if self.lang == "zh" else 1])
            return
        self._check_node(root, "")
        header: dict[str, Any] = {}
        header_events: list[Any] = [root]  # from the root, so locate() sees a mapping
        key_lines: dict[str, int] = {}
        yielded_header = False
        while True:
            ev = nxt()
            if isinstance(ev, yaml.MappingEndEvent):
                break
            if not isinstance(ev, yaml.ScalarEvent):  # a collection as a key
                self._problem(ev.start_mark, "", "key_not_text")
                self._skip(ev, nxt)
                self._skip(nxt(), nxt)
                continue
            key = ev.value
            if key in key_lines:
                self._problem(ev.start_mark, key, "duplicate_key", key=key, first=key_lines[key])
            key_lines[key] = ev.start_mark.line + 1
            value_event = nxt()
            if key == "cases" and isinstance(value_event, yaml.SequenceStartEvent) and not yielded_header:
                yielded_header = True
                header_events.append(ev)
                header_events.append(value_event)
                header_events.append(yaml.SequenceEndEvent(value_event.start_mark, value_event.end_mark))
                header["cases"] = []
                data = self.header_hint if self.header_hint is not None else header
                yield Header(self.source, data, header_events)
                yield from self._cases(nxt)
                continue
            recorded = [ev, value_event]
            value = _Builder(self, nxt, recorded).build(value_event, (key,), 1)
            header_events.extend(recorded)
            if key not in header:
                header[key] = value
            if yielded_header:
                self.header_after_cases = True
        self.header_events = header_events
        if not yielded_header:
            yield Header(self.source, header, header_events)
        elif self.header_after_cases:
            self.late_header = header
        nxt()  # DocumentEnd
        ev = nxt()
        if not isinstance(ev, yaml.StreamEndEvent):
            self._problem(ev.start_mark, "", "two_documents")

    def _cases(self, nxt: Callable[[], Any]) -> Iterator[CaseItem]:
        index = 0
        builder = _Builder(self, nxt, [])
        while True:
            ev = nxt()
            if ev.__class__ is _SequenceEndEvent:
                return
            recorded = [ev]
            builder.restart(recorded)
            data = builder.build(ev, ("cases", index), 2)
            yield CaseItem(self.source, index, data, recorded)
            index += 1

    def _skip(self, ev: Any, nxt: Callable[[], Any]) -> None:
        """Consume the rest of the node that starts with `ev`."""
        _Builder(self, nxt, [ev]).build(ev, ("?",), 1)

    def _check_node(self, ev: Any, path: str) -> None:
        if getattr(ev, "tag", None) or (getattr(ev, "anchor", None) and ev.__class__.__name__ == "AliasEvent"):
            self.refused_at.add((ev.start_mark.line + 1, ev.start_mark.column + 1))
        if getattr(ev, "anchor", None):
            self._problem(ev.start_mark, path, "anchor", name=ev.anchor)
        tag = getattr(ev, "tag", None)
        if tag and not (tag == "!" and ev.__class__.__name__ == "ScalarEvent"):
            self._problem(ev.start_mark, path, "tag", tag=_short_tag(tag))


def _short_tag(tag: str) -> str:
    if tag.startswith("tag:yaml.org,2002:"):
        return "!!" + tag[len("tag:yaml.org,2002:"):]
    return tag


class _HashingReader(io.RawIOBase):
    """A binary stream that hashes what is read through it (for provenance)."""

    def __init__(self, stream: Any, digest: Any) -> None:
        super().__init__()
        self._stream = stream
        self._digest = digest

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self._digest.update(chunk)
        return chunk

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self._stream.close()
        super().close()


def _looks_like_gbk(raw: bytes) -> bool:
    """True when the bytes are valid GB18030 with Chinese characters in them."""
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# the event classes, bound on the first read (yaml is imported late, see Imports)
_ScalarEvent: Any = None
_MappingStartEvent: Any = None
_MappingEndEvent: Any = None
_SequenceStartEvent: Any = None
_SequenceEndEvent: Any = None
_AliasEvent: Any = None


def _bind_event_classes() -> None:
    global _ScalarEvent, _MappingStartEvent, _MappingEndEvent, _SequenceStartEvent, _SequenceEndEvent, _AliasEvent
    yaml = _yaml()
    _ScalarEvent, _AliasEvent = yaml.ScalarEvent, yaml.AliasEvent
    _MappingStartEvent, _MappingEndEvent = yaml.MappingStartEvent, yaml.MappingEndEvent
    _SequenceStartEvent, _SequenceEndEvent = yaml.SequenceStartEvent, yaml.SequenceEndEvent


class _Builder:
    """Builds values from events; one builder reads a whole file.

    Every event is appended to `recorded`, so that a problem can be located
    afterwards without keeping marks for every node of every case.

    INFO: the loops below are the hottest code of the tool (every event of
    every case passes through them), so the common node, a plain or quoted
    scalar with no tag or anchor, is read in line; anything else goes through
    build().  Recursion is bounded: a collection deeper than MAX_DEPTH stops
    the read before it is entered.
    """

    __slots__ = ("reader", "nxt", "recorded", "record")

    def __init__(self, reader: FileReader, nxt: Callable[[], Any], recorded: list[Any]) -> None:
        self.reader = reader
        self.nxt = nxt
        self.recorded = recorded
        self.record = recorded.append

    def restart(self, recorded: list[Any]) -> None:
        """Record into a new list (for the next case)."""
        self.recorded = recorded
        self.record = recorded.append

    def build(self, ev: Any, path: tuple[Any, ...], depth: int) -> Any:
        """The value of the node that starts with `ev` (already recorded), at `path`.

        `depth` is the number of collections around the node.
        """
        cls = ev.__class__
        if cls is _ScalarEvent:
            if ev.anchor or (ev.tag and ev.tag != "!"):
                self.reader._check_node(ev, format_path(path))
                return None if ev.tag else (resolve_plain(ev.value) if ev.implicit[0] else ev.value)
            value = ev.value
            if ev.implicit[0] and (not value or value[0] in _NUMBER_START or value in _TYPED_WORDS):
                value = resolve_plain(value)
            return value
        if cls is _MappingStartEvent or cls is _SequenceStartEvent:
            if ev.anchor or ev.tag:
                self.reader._check_node(ev, format_path(path))
            if depth >= MAX_DEPTH:
                self.reader._problem(ev.start_mark, format_path(path), "too_deep", depth=MAX_DEPTH)
                raise _Stop
            if cls is _MappingStartEvent:
                return self._mapping(path, depth + 1)
            return self._sequence(path, depth + 1)
        if cls is _AliasEvent:
            self.reader.refused_at.add((ev.start_mark.line + 1, ev.start_mark.column + 1))
            self.reader._problem(ev.start_mark, format_path(path), "alias", name=ev.anchor)
            return None
        raise _Stop  # pragma: no cover - the parser sends nothing else inside a node

    def _mapping(self, path: tuple[Any, ...], depth: int) -> dict[str, Any]:
        nxt, record = self.nxt, self.record
        start = len(self.recorded)
        mapping: dict[str, Any] = {}
        while True:
            k = nxt()
            record(k)
            cls = k.__class__
            if cls is _ScalarEvent:
                key = k.value
                if k.anchor is not None or k.tag is not None:
                    self.reader._check_node(k, format_path(path))
            elif cls is _MappingEndEvent:
                return mapping
            else:
                # a collection or alias as a key: refused, and its value dropped
                self.build(k, path, depth)
                if cls is not _AliasEvent:
                    self.reader._problem(k.start_mark, format_path(path), "key_not_text")
                key = None
            v = nxt()
            record(v)
            if v.__class__ is _ScalarEvent and v.anchor is None and v.tag is None:
                value = v.value
                if v.implicit[0] and (not value or value[0] in _NUMBER_START or value in _TYPED_WORDS):
                    value = resolve_plain(value)
            else:
                value = self.build(v, path + (key,), depth)
            if key is None:
                continue
            if key in mapping:
                self.reader._problem(k.start_mark, format_path(path + (key,)), "duplicate_key",
                                     key=key, first=self._first_key_line(start, key))
            else:
                mapping[key] = value

    def _sequence(self, path: tuple[Any, ...], depth: int) -> list[Any]:
        nxt, record = self.nxt, self.record
        items: list[Any] = []
        while True:
            v = nxt()
            record(v)
            cls = v.__class__
            if cls is _ScalarEvent and v.anchor is None and v.tag is None:
                value = v.value
                if v.implicit[0] and (not value or value[0] in _NUMBER_START or value in _TYPED_WORDS):
                    value = resolve_plain(value)
                items.append(value)
            elif cls is _SequenceEndEvent:
                return items
            else:
                items.append(self.build(v, path + (len(items),), depth))

    def _first_key_line(self, start: int, key: str) -> int:
        """The line of the first `key` of the mapping whose events start at recorded[start]."""
        depth = 0
        expect_key = True
        for ev in self.recorded[start:]:
            cls = ev.__class__
            if cls is _MappingStartEvent or cls is _SequenceStartEvent:
                depth += 1
                continue
            if cls is _MappingEndEvent or cls is _SequenceEndEvent:
                depth -= 1
                if depth == 0:
                    expect_key = not expect_key
                continue
            if depth == 0:
                if expect_key and cls is _ScalarEvent and ev.value == key:
                    return ev.start_mark.line + 1
                expect_key = not expect_key
        return 0  # pragma: no cover - the key was met before


def format_path(parts: Iterable[Any]) -> str:
    """`cases[3].visits[0].at` from ('cases', 3, 'visits', 0, 'at')."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclasses.dataclass
class Marks:
    """Where a node stands: its value's line and column, its key's, its source text."""

    line: int
    column: int
    key_line: int = 0
    key_column: int = 0
    raw: str | None = None


def locate(events: list[Any], base: tuple[Any, ...]) -> dict[tuple[Any, ...], Marks]:
    """Map each path within the recorded events to its marks (1-based)."""
    yaml = _yaml()
    found: dict[tuple[Any, ...], Marks] = {}
    # frame: [is_map, path, pending key, key event, next index]
    stack: list[list[Any]] = []

    def place(ev: Any, raw: str | None) -> tuple[Any, ...] | None:
        if not stack:
            path = base
            key_ev = None
        else:
            frame = stack[-1]
            if frame[0]:
                if frame[2] is _NO_KEY:
                    frame[2] = ev.value if isinstance(ev, yaml.ScalarEvent) else None
                    frame[3] = ev
                    return None
                path = frame[1] + (frame[2],)
                key_ev = frame[3]
                frame[2] = _NO_KEY
            else:
                path = frame[1] + (frame[4],)
                frame[4] += 1
                key_ev = None
        if path not in found:
            marks = Marks(ev.start_mark.line + 1, ev.start_mark.column + 1, raw=raw)
            if key_ev is not None:
                marks.key_line = key_ev.start_mark.line + 1
                marks.key_column = key_ev.start_mark.column + 1
            found[path] = marks
        return path

    for ev in events:
        cls = ev.__class__
        if cls is yaml.ScalarEvent:
            place(ev, ev.value)
        elif cls is yaml.AliasEvent:
            place(ev, "*" + str(ev.anchor))
        elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
            if stack and stack[-1][0] and stack[-1][2] is _NO_KEY:
                stack[-1][2] = None  # a collection key: its value goes nowhere
                stack[-1][3] = ev
                stack.append([cls is yaml.MappingStartEvent, ("?",), _NO_KEY, None, 0])
                continue
            path = place(ev, None)
            stack.append([cls is yaml.MappingStartEvent, path if path is not None else ("?",), _NO_KEY, None, 0])
        elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
            if stack:
                stack.pop()
    return found


def open_sources(files: Iterable[str]) -> list[Source]:
    """Turn FILE arguments into sources; a missing or unreadable file is a usage error."""
    sources = []
    for index, name in enumerate(files):
        if name == "-":
            data = sys.stdin.buffer.read()
            sources.append(Source("<stdin>", index, None, data))
            continue
        path = Path(name)
        if path.is_dir():
            raise UsageIOError(f"{name}: 是目录，不是文件 / is a directory, not a file")
        try:
            with open(path, "rb"):
                pass
        except FileNotFoundError:
            raise UsageIOError(f"{name}: 文件不存在 / no such file") from None
        except PermissionError:
            raise UsageIOError(f"{name}: 无权读取 / permission denied") from None
        except OSError as error:
            raise UsageIOError(f"{name}: 无法读取 / cannot read: {error.strerror}") from None
        sources.append(Source(name, index, path))
    return sources


# =============================================================================
# Checking
# =============================================================================
SCHEMA_FILE_NAMES = ("schema.yaml", "grassroots_report_schema.yaml")


def schema_path() -> Path:
    """schema.yaml beside this module (a checkout), or its installed copy."""
    here = Path(__file__).resolve().parent
    for name in SCHEMA_FILE_NAMES:
        candidate = here / name
        if candidate.is_file():
            return candidate
    raise UsageIOError(f"schema.yaml not found beside {Path(__file__).name}: reinstall grassroots-report")


_SCHEMA_CACHE: dict[str, Any] = {}


def load_schema() -> dict[str, Any]:
    """The JSON Schema of format v1, read once from schema.yaml."""
    if "schema" not in _SCHEMA_CACHE:
        yaml = _yaml()
        with open(schema_path(), encoding="utf-8") as handle:
            _SCHEMA_CACHE["schema"] = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return _SCHEMA_CACHE["schema"]


# -- the fast path: schema.yaml compiled to plain Python checks ---------------------
# INFO: jsonschema costs ~80 µs a case, more than reading the YAML.  Valid cases
# (nearly all) are confirmed by a predicate compiled once from the same
# schema.yaml; jsonschema runs only on a case that fails it, for the located
# messages.  tests/test_fast_path.py holds the two to the same verdicts.
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$schema", "$id", "$defs", "$comment"})


def _is_integer(value: Any) -> bool:
    # as jsonschema: 1.0 is an integer, True is not
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer())


def _same(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


_KNOWN_KEYWORDS = frozenset({
    "type", "const", "enum", "pattern", "minLength", "minimum", "maximum", "exclusiveMinimum",
    "required", "properties", "additionalProperties", "propertyNames", "items", "$ref"})
_TYPE_EXPRESSIONS = {
    "string": "isinstance({v}, str)",
    "integer": "_is_integer({v})",
    "number": "(isinstance({v}, (int, float)) and not isinstance({v}, bool))",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
    "array": "isinstance({v}, list)",
    "object": "isinstance({v}, dict)",
}


class SchemaCompiler:
    """Turns schema.yaml into one Python predicate, equal to jsonschema's is_valid.

    It writes the checks out as Python source (as fastjsonschema does) and
    compiles them once.  A keyword it does not know is an error here, never
    silently ignored; a value from the schema enters the code only as a name
    bound in the namespace, or a key as its repr(), never as other text.

    INFO: checks are written in line, one statement after another: an
    object's properties are fetched with one dict.get each and checked in
    place, with no call per property, and a check the type already proves
    (isinstance after isinstance) is left out.  Only a $ref to an object or
    a list becomes a function of its own (so a recursive $ref works).
    """

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {"_is_integer": _is_integer, "_same": _same}
        self.refs: dict[str, str] = {}
        self.count = 0

    def compile(self, schema: dict[str, Any]) -> Callable[[Any], bool]:
        entry = self._function(schema)
        exec(compile("\n".join(self.lines), "<schema.yaml>", "exec"), self.namespace)  # noqa: S102
        return self.namespace[entry]

    def _name(self, prefix: str, value: Any = None) -> str:
        self.count += 1
        name = f"{prefix}{self.count}"
        if value is not None:
            self.namespace[name] = value
        return name

    def _function(self, schema: dict[str, Any]) -> str:
        """A function `name(v) -> bool` for `schema`; returns its name."""
        if set(schema) - _ANNOTATIONS == {"$ref"}:  # only a $ref: that function itself, not a wrapper
            if self._is_structured(self._target(schema["$ref"])):
                return self._ref(schema["$ref"])
        name = self._name("check_")
        body: list[str] = []
        self._emit(schema, "v", body)
        self.lines += [f"def {name}(v):"] + ["    " + line for line in body] + ["    return True", ""]
        return name

    def _emit(self, schema: dict[str, Any], v: str, body: list[str], known: str | None = None) -> None:
        """Statements that `return False` unless the value named `v` is valid.

        `known` is the JSON type `v` is already known to have, if any.
        """
        unknown = set(schema) - _ANNOTATIONS - _KNOWN_KEYWORDS
        if unknown:
            raise ValueError(f"SchemaCompiler: unsupported keywords {sorted(unknown)}")
        if "$ref" in schema:
            target = self._target(schema["$ref"])
            if self._is_structured(target):
                body.append(f"if not {self._ref(schema['$ref'])}({v}): return False")
            else:  # a plain value (a date, a time, an enum): its checks written in place
                self._emit(target, v, body, known)
                known = target.get("type", known)
        if "type" in schema:
            if schema["type"] != known:
                body.append(f"if not {_TYPE_EXPRESSIONS[schema['type']].format(v=v)}: return False")
            known = schema["type"]
        is_string = known == "string"
        if "const" in schema:
            body.append(f"if not _same({v}, {self._name('const_', [schema['const']])}[0]): return False")
        if "enum" in schema:
            if all(isinstance(c, str) for c in schema["enum"]):
                choices = self._name("enum_", frozenset(schema["enum"]))
                test = f"{v} in {choices}" if is_string else f"(isinstance({v}, str) and {v} in {choices})"
                body.append(f"if not {test}: return False")
            else:
                choices = self._name("enum_", list(schema["enum"]))
                body.append(f"if not any(_same({v}, c) for c in {choices}): return False")
        if "pattern" in schema:
            search = self._name("search_", re.compile(schema["pattern"]).search)
            guard = "" if is_string else f"isinstance({v}, str) and "
            body.append(f"if {guard}{search}({v}) is None: return False")
        if "minLength" in schema:
            guard = "" if is_string else f"isinstance({v}, str) and "
            body.append(f"if {guard}len({v}) < {int(schema['minLength'])}: return False")
        number = "" if known in ("number", "integer") else _TYPE_EXPRESSIONS["number"].format(v=v) + " and "
        for keyword, operator in (("minimum", "<"), ("maximum", ">"), ("exclusiveMinimum", "<=")):
            if keyword in schema:
                limit = self._name("limit_", [schema[keyword]])
                body.append(f"if {number}{v} {operator} {limit}[0]: return False")
        if {"required", "properties", "additionalProperties", "propertyNames"} & set(schema):
            self._emit_object(schema, v, body, known == "object")
        if "items" in schema:
            item = self._name("item_")
            inner: list[str] = []
            self._emit(schema["items"], item, inner)
            if inner:
                loop = [f"for {item} in {v}:"] + ["    " + line for line in inner]
                if known == "array":
                    body += loop
                else:
                    body.append(f"if isinstance({v}, list):")
                    body += ["    " + line for line in loop]

    def _emit_object(self, schema: dict[str, Any], v: str, body: list[str], known: bool) -> None:
        inner: list[str] = []
        required = schema.get("required", [])
        if required:
            names = self._name("required_", frozenset(required))
            inner.append(f"if not {names} <= {v}.keys(): return False")
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        if extra is False:
            names = self._name("known_", frozenset(properties))
            inner.append(f"if not {v}.keys() <= {names}: return False")
        for key, sub in properties.items():
            value = self._name("x_")
            checks: list[str] = []
            self._emit(sub, value, checks)
            if not checks:
                continue
            # key text from schema.yaml, repr-quoted; `in` then [] costs less than get() here
            if key in required:
                inner.append(f"{value} = {v}[{key!r}]")
                inner += checks
            else:
                inner.append(f"if {key!r} in {v}:")
                inner.append(f"    {value} = {v}[{key!r}]")
                inner += ["    " + line for line in checks]
        if extra is not True and extra is not False:
            names = self._name("known_", frozenset(properties))
            key, value = self._name("key_"), self._name("x_")
            checks = []
            self._emit(extra, value, checks)
            if checks:
                inner.append(f"for {key}, {value} in {v}.items():")
                inner.append(f"    if {key} not in {names}:")
                inner += ["        " + line for line in checks]
        if "propertyNames" in schema:
            key = self._name("key_")
            checks = []
            self._emit(schema["propertyNames"], key, checks, "string")  # keys are always text
            if checks:
                inner.append(f"for {key} in {v}:")
                inner += ["    " + line for line in checks]
        if not inner:
            return
        if known:
            body += inner
        else:
            body.append(f"if isinstance({v}, dict):")
            body += ["    " + line for line in inner]

    @staticmethod
    def _is_structured(target: dict[str, Any]) -> bool:
        """True for an object or list schema (or another $ref): a function of its own, not checks in place."""
        return bool({"$ref", "properties", "required", "additionalProperties", "propertyNames", "items"} & set(target))

    def _target(self, ref: str) -> dict[str, Any]:
        if not ref.startswith("#/"):
            raise ValueError(f"SchemaCompiler: only local $ref is supported, not {ref}")
        target: Any = self.root
        for part in ref[2:].split("/"):
            target = target[part]
        return target

    def _ref(self, ref: str) -> str:
        if ref not in self.refs:
            target = self._target(ref)
            self.refs[ref] = self._name("ref_")  # named before compiling: recursive refs work
            function = self._function(target)
            self.lines.append(f"{self.refs[ref]} = {function}")
        return self.refs[ref]


class Validators:
    """The schema validators, built once: the header and a single case.

    The compiled predicates decide; jsonschema is imported and built only when
    one of them fails, to word the problems (a valid ledger never pays for it).
    """

    def __init__(self) -> None:
        schema = load_schema()
        self.schema = schema
        self.case_schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/case"}
        self.header_is_valid = SchemaCompiler(schema).compile(schema)
        self.case_is_valid = SchemaCompiler(self.case_schema).compile(self.case_schema)
        defs = schema["$defs"]
        # which message a failed pattern gets, by the pattern itself
        self.pattern_messages = {
            defs["datetime"]["pattern"]: "pattern_datetime",
            defs["date"]["pattern"]: "pattern_date",
            defs["policy"]["properties"]["timezone"]["pattern"]: "pattern_timezone",
            defs["case"]["properties"]["category"]["pattern"]: "pattern_category",
        }

    @functools.cached_property
    def header(self) -> Any:
        """The jsonschema validator of a whole file (its errors are the messages)."""
        import jsonschema  # noqa: PLC0415 - slow to import, see Imports

        return jsonschema.Draft202012Validator(self.schema)

    @functools.cached_property
    def case(self) -> Any:
        """The jsonschema validator of one case."""
        import jsonschema  # noqa: PLC0415 - slow to import, see Imports

        return jsonschema.Draft202012Validator(self.case_schema)


_TYPE_NAMES = {
    "string": ("文字", "text"), "integer": ("整数", "a whole number"), "number": ("数字", "a number"),
    "boolean": ("true 或 false", "true or false"), "null": ("空值", "empty"),
    "array": ("列表", "a list"), "object": ("映射（键: 值）", "a mapping (key: value)"),
}


def _type_name(value: Any, lang: str) -> str:
    if value is None:
        name = "null"
    elif isinstance(value, bool):
        name = "boolean"
    elif isinstance(value, int):
        name = "integer"
    elif isinstance(value, float):
        name = "number"
    elif isinstance(value, str):
        name = "string"
    elif isinstance(value, list):
        name = "array"
    else:
        name = "object"
    return _TYPE_NAMES[name][0 if lang == "zh" else 1]


def _raw(marks: Marks | None, value: Any) -> str:
    """The value as the user wrote it, shortened for a message."""
    if marks is not None and marks.raw is not None:
        text = marks.raw
    elif isinstance(value, (dict, list)):
        text = "{…}" if isinstance(value, dict) else "[…]"
    else:
        text = json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", "\\n")
    return text if len(text) <= 60 else text[:57] + "…"


def _did_you_mean(word: Any, choices: Iterable[str], lang: str) -> str:
    if not isinstance(word, str):
        return ""
    near = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return msg("hint_did_you_mean", lang, near=near[0]) if near else ""


def schema_problems(errors: Iterable[Any], located: dict[tuple[Any, ...], Marks], base: tuple[Any, ...],
                    source: Source, lang: str, validators: Validators) -> list[Problem]:
    """Turn jsonschema errors into located problems in `lang`, one per finding."""
    problems: dict[tuple[Any, ...], Problem] = {}

    def add(path: tuple[Any, ...], message_id: str, at_key: bool = False, **fields: Any) -> None:
        marks = _nearest_marks(located, path)
        line, column = (marks.key_line, marks.key_column) if at_key and marks.key_line else (marks.line, marks.column)
        problem = problem_at(source, line, column, path, message_id, lang, **fields)
        problems.setdefault((path, message_id, problem.message), problem)

    errors = list(errors)
    # a value of the wrong type gets that one message, not also enum/const/pattern
    typed_wrong = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    for error in errors:
        relative = tuple(error.absolute_path)
        keyword = error.validator
        if keyword != "type" and relative in typed_wrong:
            continue
        path = base + relative
        marks = located.get(path)
        value = error.instance
        at_key = False
        if "propertyNames" in error.absolute_schema_path and isinstance(value, str):
            # jsonschema reports a bad key at its mapping: point at the key itself
            path, at_key = path + (value,), True
            marks = Marks(0, 0, raw=value)
        raw = _raw(marks, value)
        if keyword == "additionalProperties":
            allowed = error.schema.get("properties", {})
            for extra in [k for k in value if k not in allowed]:
                add(path + (extra,), "unknown_key", at_key=True, key=extra,
                    hint=_did_you_mean(extra, allowed, lang))
        elif keyword == "required":
            for field in [f for f in error.validator_value if f not in value]:
                add(path, "required", field=field)
        elif keyword == "type":
            pattern_message = validators.pattern_messages.get(error.schema.get("pattern", ""))
            if pattern_message and value is not None:
                add(path, pattern_message, raw=raw)  # a date written as a number: ask for the date
                continue
            expected = error.validator_value
            expected_name = _TYPE_NAMES.get(expected, (expected, expected))[0 if lang == "zh" else 1]
            hint = ""
            if expected == "string" and marks is not None and marks.raw:
                hint = msg("hint_datetime", lang, raw=marks.raw) if re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", marks.raw) \
                    else msg("hint_quote", lang, raw=marks.raw)
            add(path, "type", expected=expected_name, actual=_type_name(value, lang), raw=raw, hint=hint)
        elif keyword == "enum":
            choices = error.validator_value
            add(path, "enum", at_key=at_key, raw=raw,
                choices="、".join(map(str, choices)) if lang == "zh" else ", ".join(map(str, choices)),
                hint=_did_you_mean(value, [str(c) for c in choices], lang))
        elif keyword == "const":
            add(path, "const", expected=error.validator_value, raw=raw)
        elif keyword == "pattern":
            add(path, validators.pattern_messages.get(error.validator_value, "pattern"), at_key=at_key, raw=raw)
        elif keyword in ("minimum", "maximum", "exclusiveMinimum"):
            add(path, keyword, limit=error.validator_value, raw=raw)
        elif keyword == "minLength":
            add(path, "minLength", at_key=at_key)
        else:
            add(path, "schema_other", detail=error.message)
    return list(problems.values())


def problem_at(source: Source, line: int, column: int, path: tuple[Any, ...], message_id: str, lang: str,
               **fields: Any) -> Problem:
    """A problem of `source` at a place, worded in `lang`."""
    return Problem(source.name, line, column, format_path(path), msg(message_id, lang, **fields), source.index)


def _nearest_marks(located: dict[tuple[Any, ...], Marks], path: tuple[Any, ...]) -> Marks:
    """The marks of `path`, or of its nearest located ancestor."""
    while path:
        if path in located:
            return located[path]
        path = path[:-1]
    return located.get((), Marks(1, 1))


# -- times and calendars -------------------------------------------------------
_TIME_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?"
                      r"(Z|[+-][0-9]{2}:[0-9]{2})?)?\Z")


class TimeError(ValueError):
    """A time that matches the pattern but names no real instant."""


def parse_offset(text: str) -> int:
    """'+08:00' -> 28800 seconds; 'Z' -> 0."""
    if text == "Z":
        return 0
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise TimeError(text)
    seconds = hours * 3600 + minutes * 60
    return -seconds if text[0] == "-" else seconds


_DAY_NUMBERS: dict[str, int] = {}  # 'YYYY-MM-DD' -> days since 1970-01-01, for the fast path
_CLOCKS = {f"{h:02d}:{m:02d}": h * 3600 + m * 60 for h in range(24) for m in range(60)}  # 'HH:MM' -> seconds


def parse_time(text: str, tz_seconds: int, end_of_day: bool = False) -> int:
    """Epoch seconds of a DATE or DATETIME; a date alone is 00:00 (or 23:59:59)."""
    # INFO: fast path for the common 'YYYY-MM-DD HH:MM[:SS]' with no offset:
    # a ledger has few distinct days, so day numbers are cached as they are met.
    length = len(text)
    if (length == 16 or (length == 19 and text[16] == ":")) and text[10] in " T":
        day = _DAY_NUMBERS.get(text[:10])
        clock = _CLOCKS.get(text[11:16])
        if day is not None and clock is not None:
            if length == 16:
                return day * SECONDS_PER_DAY + clock - tz_seconds
            second = text[17:]
            if second.isdigit() and second < "60":
                return day * SECONDS_PER_DAY + clock + int(second) - tz_seconds
    match = _TIME_RE.match(text)
    if match is None:
        raise TimeError(text)
    year, month, day_text, hour, minute, second, offset = match.groups()
    if not MIN_YEAR <= int(year) <= MAX_YEAR:
        raise TimeError("year out of range")
    try:
        day = dt.date(int(year), int(month), int(day_text)).toordinal() - EPOCH_ORDINAL
    except ValueError as error:
        raise TimeError(str(error)) from None
    if len(_DAY_NUMBERS) < 100_000:
        _DAY_NUMBERS[text[:10]] = day
    if hour is None:
        clock = SECONDS_PER_DAY - 1 if end_of_day else 0
    else:
        h, m, s = int(hour), int(minute), int(second or 0)
        if h > 23 or m > 59 or s > 59:
            raise TimeError("hour must be in 0..23, minute and second in 0..59")
        clock = h * 3600 + m * 60 + s
    zone = tz_seconds if offset is None else parse_offset(offset)
    return day * SECONDS_PER_DAY + clock - zone


def format_time(epoch: int, tz_seconds: int) -> str:
    """ISO-8601 text of an instant, in the policy's time zone."""
    moment = dt.datetime.fromtimestamp(epoch, dt.timezone(dt.timedelta(seconds=tz_seconds)))
    return moment.isoformat()


def format_time_short(epoch: int, tz_seconds: int) -> str:
    """'2024-03-05 09:30' of an instant, for people."""
    moment = dt.datetime.fromtimestamp(epoch, dt.timezone(dt.timedelta(seconds=tz_seconds)))
    return moment.strftime("%Y-%m-%d %H:%M")


def local_day(epoch: int, tz_seconds: int) -> int:
    """The day number (days since 1970-01-01) of an instant in the time zone."""
    return (epoch + tz_seconds) // SECONDS_PER_DAY


class Calendar:
    """Deadlines: the end of the N-th (working) day after the day received."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._cache: dict[tuple[int, int], int] = {}  # (local day received, days allowed) -> deadline

    def is_workday(self, day: int) -> bool:
        if day in self.policy.makeup_workdays:
            return True
        if day in self.policy.holidays:
            return False
        return (day + 3) % 7 < 5  # 1970-01-01 was a Thursday (weekday 3)

    def deadline(self, received: int, days: int) -> int:
        """Epoch second of 23:59:59 on the deadline day."""
        tz = self.policy.tz_seconds
        start = local_day(received, tz)
        key = (start, days)
        deadline = self._cache.get(key)
        if deadline is None:
            if self.policy.calendar == "workdays":
                end_day, counted = start, 0
                while counted < days:
                    end_day += 1
                    if self.is_workday(end_day):
                        counted += 1
            else:
                end_day = start + days
            deadline = self._cache[key] = (end_day + 1) * SECONDS_PER_DAY - 1 - tz
        return deadline


def _fraction(value: Any) -> Fraction:
    """An exact fraction of a YAML number (0.9 is nine tenths, not a binary float)."""
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def build_policy(data: Any) -> Policy:
    """The Policy of a (schema-valid) policy mapping, defaults filled in."""
    if not isinstance(data, dict):
        return Policy()
    tz_text = data.get("timezone", "+08:00")
    try:
        tz_seconds = parse_offset(tz_text)
    except (TimeError, ValueError, TypeError):
        tz_text, tz_seconds = "+08:00", 8 * 3600

    def days(key: str) -> frozenset[int]:
        out = set()
        for text in data.get(key) or ():
            try:
                out.add(local_day(parse_time(text, 0), 0))
            except (TimeError, TypeError):
                pass  # reported by check_header
        return frozenset(out)

    resolve_days = dict(DEFAULT_RESOLVE_DAYS)
    resolve_days.update(data.get("resolve_days") or {})
    weights = data.get("weights")
    bulk = data.get("bulk_closure") or {}
    return Policy(
        timezone=tz_text,
        tz_seconds=tz_seconds,
        calendar=data.get("calendar", "natural"),
        holidays=days("holidays"),
        makeup_workdays=days("makeup_workdays"),
        dispatch_hours=_fraction(data.get("dispatch_hours", 3)),
        resolve_days=tuple(resolve_days.items()),
        category_resolve_days=tuple((data.get("category_resolve_days") or {}).items()),
        targets=tuple((k, _fraction(v)) for k, v in (data.get("targets") or {}).items()),
        weights=tuple((k, _fraction(v)) for k, v in weights.items()) if isinstance(weights, dict)
        else tuple(DEFAULT_WEIGHTS.items()),
        basically_satisfied_weight=_fraction(data.get("basically_satisfied_weight", 1)),
        rank_min_cases=int(data.get("rank_min_cases", 10)),
        penalty_per_overdue=_fraction(data.get("penalty_per_overdue", 1)),
        repeat_days=int(data.get("repeat_days", 30)),
        bulk_closure_cases=int(bulk.get("cases", 20)),
        bulk_closure_minutes=_fraction(bulk.get("minutes", 10)),
        min_visit_minutes=_fraction(data.get("min_visit_minutes", 10)),
    )


# -- the header ------------------------------------------------------------------
@dataclasses.dataclass
class FileRules:
    """What one file's header lists: its units and categories (None: not given)."""

    units: frozenset[str] | None
    categories: dict[str, frozenset[str] | None] | None  # major -> subcategories
    category_names: frozenset[str] = frozenset()  # every 'major' and 'major/minor' listed


def check_header(header: Header, validators: Validators, lang: str) -> list[Problem]:
    """Schema and consistency problems of one file's header."""
    data = header.data
    located = locate(header.events, ()) if header.events else {}
    located.setdefault((), Marks(1, 1))
    problems = [] if validators.header_is_valid(data) else \
        schema_problems(validators.header.iter_errors(data), located, (), header.source, lang, validators)
    if problems:
        return problems

    def at(path: tuple[Any, ...], message_id: str, **fields: Any) -> None:
        marks = _nearest_marks(located, path)
        problems.append(problem_at(header.source, marks.line, marks.column, path, message_id, lang, **fields))

    tz = build_policy(data.get("policy")).tz_seconds
    dates: list[tuple[tuple[Any, ...], str, bool]] = []
    if "as_of" in data:
        dates.append((("as_of",), data["as_of"], False))
    period = data.get("period")
    if period:
        dates += [(("period", "start"), period["start"], False), (("period", "end"), period["end"], True)]
    policy = data.get("policy") or {}
    for key in ("holidays", "makeup_workdays"):
        dates += [(("policy", key, i), text, False) for i, text in enumerate(policy.get(key) or ())]
    parsed = {}
    for path, text, end in dates:
        try:
            parsed[path] = parse_time(text, tz, end)
        except TimeError as error:
            at(path, "bad_date", raw=text, reason=_time_reason(error, lang))
    if period and ("period", "start") in parsed and ("period", "end") in parsed:
        if parsed[("period", "start")] > parsed[("period", "end")]:
            at(("period", "start"), "period_order")
    names = {u["name"] for u in data.get("units") or ()}
    for i, unit in enumerate(data.get("units") or ()):
        if "parent" in unit and unit["parent"] not in names:
            at(("units", i, "parent"), "unit_parent", raw=unit["parent"])
    return problems


def _time_reason(error: Exception, lang: str) -> str:
    text = str(error)
    if "year out of range" in text:
        return f"年份应在 {MIN_YEAR} 到 {MAX_YEAR} 之间" if lang == "zh" else f"the year must be {MIN_YEAR} to {MAX_YEAR}"
    if "day is out of range" in text:
        return "这个月没有这一天" if lang == "zh" else "the month has no such day"
    if "month must be" in text:
        return "月份应为 1 到 12" if lang == "zh" else "the month must be 1 to 12"
    if "hour" in text:
        return "小时应为 0 到 23，分、秒为 0 到 59" if lang == "zh" else "hours are 0 to 23, minutes and seconds 0 to 59"
    return "请核对" if lang == "zh" else "check it"


def file_rules(data: dict[str, Any]) -> FileRules:
    """The unit and category lists a (schema-valid) header gives."""
    units = data.get("units")
    categories = data.get("categories")
    if not isinstance(categories, list):
        return FileRules(frozenset(u["name"] for u in units) if isinstance(units, list) else None, None)
    majors = {c["name"]: (frozenset(c["subcategories"]) if "subcategories" in c else None) for c in categories}
    names = set(majors) | {f"{major}/{minor}" for major, subs in majors.items() for minor in subs or ()}
    return FileRules(frozenset(u["name"] for u in units) if isinstance(units, list) else None, majors,
                     frozenset(names))


# -- one case ----------------------------------------------------------------------
class IdSeen:
    """The ids seen so far, as 64-bit hashes in an open-addressing table.

    INFO: 8 bytes a slot, at most half full: 16-32 bytes an id, against ~90
    for a set of strings, and no small objects left behind among the freed
    events (which kept the process's memory from shrinking back).  Two ids
    with the same hash look alike here; every duplicate is confirmed by
    reading the files again (CaseChecker.duplicate_problems), so a collision
    can cost a second read but never a wrong message.
    """

    def __init__(self) -> None:
        self.table = array.array("q", bytes(8 * 1024))
        self.mask = 1023
        self.count = 0

    def _slot(self, digest: int) -> int:
        table, mask = self.table, self.mask
        i = digest & mask
        while True:
            value = table[i]
            if value == 0 or value == digest:
                return i
            i = (i + 1) & mask

    def __contains__(self, case_id: str) -> bool:
        digest = hash(case_id) | 1  # never 0, which marks an empty slot
        return self.table[self._slot(digest)] == digest

    def add(self, case_id: str) -> bool:
        """Add an id; False when it (or an id with the same hash) was already there."""
        digest = hash(case_id) | 1
        i = self._slot(digest)
        if self.table[i] == digest:
            return False
        self.table[i] = digest
        self.count += 1
        if self.count * 2 > len(self.table):
            self._grow()
        return True

    def _grow(self) -> None:
        old = self.table
        self.table = array.array("q", bytes(16 * len(old)))
        self.mask = len(self.table) - 1
        for digest in old:
            if digest:
                self.table[self._slot(digest)] = digest


def _id_position(events: list[Any]) -> tuple[int, int]:
    """1-based line and column of a case's `id` value, from its events."""
    depth = 0
    for i, ev in enumerate(events):
        name = ev.__class__.__name__
        if name in ("MappingStartEvent", "SequenceStartEvent"):
            depth += 1
        elif name in ("MappingEndEvent", "SequenceEndEvent"):
            depth -= 1
        elif depth == 1 and name == "ScalarEvent" and ev.value == "id" and i + 1 < len(events):
            mark = events[i + 1].start_mark
            return mark.line + 1, mark.column + 1
    mark = events[0].start_mark
    return mark.line + 1, mark.column + 1


_NO_PROBLEMS: tuple[()] = ()  # shared by every clean case: never appended to


@dataclasses.dataclass(slots=True)
class CaseCheck:
    """What checking one case found: problems, warnings and its parsed times."""

    problems: list[Problem] | tuple[()]  # _NO_PROBLEMS on the fast path
    warnings: list[Problem] | tuple[()]
    times: dict[str, int]  # received, dispatched, resolved, deadline, escalated
    visit_times: list[int]
    latest: int = 0  # the latest event time of the case (for the as-of fallback)


class CaseChecker:
    """Checks cases one at a time against the schema and the consistency rules."""

    def __init__(self, validators: Validators, ledger: Ledger, lang: str) -> None:
        self.validators = validators
        self.ledger = ledger
        self.lang = lang
        self.tz = ledger.policy.tz_seconds
        self.period = ledger.period_seconds
        self.as_of = ledger.as_of
        self.ids = IdSeen()
        self.duplicates: list[tuple[str, Problem]] = []  # (id, the later place)

    def check(self, item: CaseItem, rules: FileRules) -> CaseCheck:
        """Problems and warnings of one case, and its parsed times."""
        data = item.data
        if self.validators.case_is_valid(data):
            # INFO: the id goes into the table here, once; a duplicate is worded by _check_located
            if self.ids.add(data["id"]):
                clean = self._check_clean(data, rules)
                if clean is not None:
                    return clean
                return self._check_located(item, rules, id_added=True)
            return self._check_located(item, rules, id_added=False)
        return self._check_located(item, rules)

    def _check_clean(self, data: dict[str, Any], rules: FileRules) -> CaseCheck | None:
        """The fast path for a schema-valid case: its times when nothing is wrong, else None.

        INFO: nearly every case of a real ledger is clean, so this path keeps
        no locations and builds no messages; anything unusual (a problem or a
        warning) falls back to _check_located, which finds and words it.
        """
        tz = self.tz
        get = data.get
        try:
            received = latest = parse_time(data["received"], tz)
            times = {"received": received}
            for key in ("dispatched", "resolved"):
                text = get(key)
                if text is not None:
                    times[key] = moment = parse_time(text, tz)
                    if moment < received:
                        return None
                    if moment > latest:
                        latest = moment
            text = get("deadline")
            if text is not None:
                times["deadline"] = parse_time(text, tz, True)
            escalated = get("escalated")
            if escalated is not None:
                times["escalated"] = moment = parse_time(escalated["at"], tz)
                if moment < received:
                    return None
                if moment > latest:
                    latest = moment
            visits = get("visits")
            visit_times: list[int] = []
            if visits:
                for visit in visits:
                    moment = parse_time(visit["at"], tz)
                    if moment < received:
                        return None
                    if moment > latest:
                        latest = moment
                    visit_times.append(moment)
        except TimeError:
            return None
        status = data["status"]
        if (status == "resolved") != ("resolved" in times) or (visit_times and status != "resolved"):
            return None
        period = self.period
        if period is not None and not period[0] <= received <= period[1]:
            return None
        as_of = self.as_of
        if as_of is not None and latest > as_of:
            return None
        units = rules.units
        if units is not None:
            co_units = get("co_units")
            if data["unit"] not in units or (co_units and not units.issuperset(co_units)):
                return None
        categories = rules.categories
        if categories is not None:
            category = data["category"]
            if category not in rules.category_names:  # else: a major with no subcategory list, or unknown
                major, _, minor = category.partition("/")
                subs = categories.get(major, ())
                if subs == () or (minor and subs is not None and minor not in subs):
                    return None
        return CaseCheck(_NO_PROBLEMS, _NO_PROBLEMS, times, visit_times, latest)

    def _check_located(self, item: CaseItem, rules: FileRules, id_added: bool | None = None) -> CaseCheck:
        """Every problem and warning of one case, located and worded.

        `id_added` says whether check() already put the id into the table
        (True), found it there (False) or did not try (None).
        """
        data = item.data
        base = ("cases", item.index)
        result = CaseCheck([], [], {}, [])
        located: dict[tuple[Any, ...], Marks] | None = None

        def marks_of(path: tuple[Any, ...]) -> Marks:
            nonlocal located
            if located is None:
                located = locate(item.events, base)
            return _nearest_marks(located, base + path)

        def report(into: list[Problem], path: tuple[Any, ...], message_id: str, **fields: Any) -> None:
            marks = marks_of(path)
            into.append(problem_at(item.source, marks.line, marks.column, base + path, message_id, self.lang,
                                   **fields))

        if not self.validators.case_is_valid(data):
            located = locate(item.events, base)
            result.problems = schema_problems(self.validators.case.iter_errors(data), located, base,
                                              item.source, self.lang, self.validators)
        if not isinstance(data, dict):
            return result
        self._check_id(data, item, marks_of, result, id_added)
        times = result.times
        tz = self.tz
        # every time after `received`, for the order and as-of checks: (path, epoch, text)
        stamps: list[tuple[tuple[Any, ...], int, str]] = []

        def read_time(path: tuple[Any, ...], text: Any, end_of_day: bool = False) -> int | None:
            if not isinstance(text, str):
                return None
            try:
                return parse_time(text, tz, end_of_day)
            except TimeError as error:
                if _TIME_RE.match(text):  # else the schema has already said it
                    report(result.problems, path, "bad_date", raw=text, reason=_time_reason(error, self.lang))
                return None

        received = read_time(("received",), data.get("received"))
        if received is not None:
            times["received"] = received
        for key in ("dispatched", "resolved"):
            if key in data:
                moment = read_time((key,), data[key])
                if moment is not None:
                    times[key] = moment
                    stamps.append(((key,), moment, data[key]))
        if "deadline" in data:
            moment = read_time(("deadline",), data["deadline"], True)
            if moment is not None:
                times["deadline"] = moment
        escalated = data.get("escalated")
        if isinstance(escalated, dict) and "at" in escalated:
            moment = read_time(("escalated", "at"), escalated["at"])
            if moment is not None:
                times["escalated"] = moment
                stamps.append((("escalated", "at"), moment, escalated["at"]))
        visits = data.get("visits")
        if isinstance(visits, list):
            for i, visit in enumerate(visits):
                if isinstance(visit, dict) and "at" in visit:
                    moment = read_time(("visits", i, "at"), visit["at"])
                    if moment is not None:
                        result.visit_times.append(moment)
                        stamps.append((("visits", i, "at"), moment, visit["at"]))
        if received is not None and stamps and min(s[1] for s in stamps) < received:
            for path, moment, text in stamps:
                if moment < received:
                    report(result.problems, path, "before_received", raw=text, received=data["received"])
        status = data.get("status")
        if status in STATUSES:
            if status != "resolved" and "resolved" in data:
                report(result.problems, ("resolved",), "resolved_without_status", status=status)
            elif status == "resolved" and "resolved" not in data:
                report(result.problems, ("status",), "status_without_resolved")
        if rules.units is not None or rules.categories is not None:
            self._check_lists(data, rules, report, result)
        # warnings
        period = self.ledger.period_seconds
        if received is not None and period and not (period[0] <= received <= period[1]):
            report(result.warnings, ("received",), "w_outside_period", raw=data["received"],
                   start=self.ledger.period[0], end=self.ledger.period[1])
        if visits and status in ("open", "withdrawn"):
            report(result.warnings, ("visits",), "w_visit_unresolved", status=status)
        if received is not None:
            stamps.append((("received",), received, data["received"]))
            result.latest = max(s[1] for s in stamps)
        as_of = self.ledger.as_of
        if as_of is not None and received is not None:
            if max(s[1] for s in stamps) > as_of:
                for path, moment, text in sorted(stamps, key=lambda s: s[0] != ("received",)):
                    if moment > as_of:
                        report(result.warnings, path, "w_after_as_of", raw=text,
                               as_of=format_time_short(as_of, tz))
        return result

    def _check_id(self, data: dict[str, Any], item: CaseItem, marks_of: Callable[..., Marks],
                  result: CaseCheck, id_added: bool | None) -> None:
        case_id = data.get("id")
        if not isinstance(case_id, str):
            return
        if id_added is None:
            id_added = self.ids.add(case_id)
        if id_added:
            return
        marks = marks_of(("id",))
        self.duplicates.append((case_id, Problem(item.source.name, marks.line, marks.column,
                                                 format_path(("cases", item.index, "id")), "", item.source.index)))

    def duplicate_problems(self, sources: list[Source], encoding: str | None) -> list[Problem]:
        """The duplicate-id problems, each naming where the id was first seen.

        INFO: only the ids are kept while streaming (IdSeen, 16-32 bytes a case);
        where a duplicated id first stood is found by reading the files again,
        which happens only when there are duplicates.
        """
        wanted = {case_id for case_id, _ in self.duplicates}
        first: dict[str, str] = {}
        seen: Counter[str] = Counter()
        for source in sources:
            for item in FileReader(source, self.lang, encoding).items():
                if isinstance(item, CaseItem) and isinstance(item.data, dict):
                    case_id = item.data.get("id")
                    if case_id in wanted:
                        seen[case_id] += 1
                        if case_id not in first:
                            line, column = _id_position(item.events)
                            first[case_id] = f"{source.name}:{line}:{column}"
        return [dataclasses.replace(problem, message=msg("duplicate_id", self.lang, id=case_id, first=first[case_id]))
                for case_id, problem in self.duplicates if seen[case_id] > 1]  # > 1: not a hash collision

    def _check_lists(self, data: dict[str, Any], rules: FileRules, report: Callable[..., None],
                     result: CaseCheck) -> None:
        if rules.units is not None:
            for path, name in [(("unit",), data.get("unit"))] + [
                    (("co_units", i), n) for i, n in enumerate(data.get("co_units") or ())]:
                if isinstance(name, str) and name not in rules.units:
                    report(result.problems, path, "unknown_unit", raw=name,
                           hint=_did_you_mean(name, rules.units, self.lang))
        category = data.get("category")
        if rules.categories is not None and isinstance(category, str):
            major, _, minor = category.partition("/")
            known = major in rules.categories and (
                not minor or rules.categories[major] is None or minor in rules.categories[major])
            if not known:
                choices = list(rules.categories) + [f"{m}/{s}" for m, subs in rules.categories.items() for s in subs or ()]
                report(result.problems, ("category",), "unknown_category", raw=category,
                       hint=_did_you_mean(category, choices, self.lang))


# =============================================================================
# Computing
# =============================================================================
# The base counters every metric is derived from.
BASE_KEYS = (
    "received", "withdrawn", "resolved", "open", "overdue", "late", "on_time",
    "response_in_time", "response_due", "visited", "satisfied", "basically_satisfied",
    "satisfaction_base", "solved_yes", "solved_base", "dissatisfied", "reworked",
    "mediations", "mediation_agreements", "mediation_no_agreement", "mediation_referred",
    "backlog", "backlog_resolved", "escalated", "returned", "repeats",
)


# One bit per base counter a single case can add to (all but `overdue`, which
# depends on as-of and is counted at the end from the kept open cases, and
# `repeats`, which depends on the caller's other cases and is counted at the end).
BIT = {key: 1 << i for i, key in enumerate(k for k in BASE_KEYS if k not in ("overdue", "repeats"))}
_RECEIVED, _WITHDRAWN, _RESOLVED, _OPEN = BIT["received"], BIT["withdrawn"], BIT["resolved"], BIT["open"]
_ON_TIME, _LATE, _RESPONSE_DUE, _RESPONSE_IN_TIME = BIT["on_time"], BIT["late"], BIT["response_due"], \
    BIT["response_in_time"]
_VISITED, _SATISFACTION_BASE, _SOLVED_BASE, _SOLVED_YES = BIT["visited"], BIT["satisfaction_base"], \
    BIT["solved_base"], BIT["solved_yes"]
_DISSATISFIED, _REWORKED, _MEDIATIONS = BIT["dissatisfied"], BIT["reworked"], BIT["mediations"]
_OUTCOME_BITS = {"agreement": BIT["mediation_agreements"], "no_agreement": BIT["mediation_no_agreement"],
                 "referred": BIT["mediation_referred"], "pending": 0}
_SATISFACTION_BITS = {"satisfied": BIT["satisfied"], "basically_satisfied": BIT["basically_satisfied"]}
_BACKLOG, _BACKLOG_RESOLVED, _ESCALATED, _RETURNED = BIT["backlog"], BIT["backlog_resolved"], \
    BIT["escalated"], BIT["returned"]


# What a caller case keeps of its bits for the repeats' 满意率: the 3 that matter, as 1, 2, 4 in one byte.
_ANSWER_BITS = _SATISFACTION_BASE | BIT["satisfied"] | BIT["basically_satisfied"]
_ANSWERS = {_SATISFACTION_BASE: 1, _SATISFACTION_BASE | BIT["satisfied"]: 3,
            _SATISFACTION_BASE | BIT["basically_satisfied"]: 5}


def decode_bits(bits: int) -> list[str]:
    """The base counters a case with these bits adds 1 to."""
    return [key for key, bit in BIT.items() if bits & bit]


def _latest_visit(visits: list[dict[str, Any]], times: list[int]) -> int | None:
    """Index of the effective visit: the latest that is not `unreachable`."""
    best = None
    best_time = 0
    for index, (visit, moment) in enumerate(zip(visits, times)):
        if visit["satisfaction"] != "unreachable" and (best is None or moment >= best_time):
            best, best_time = index, moment
    return best


def case_bits(data: dict[str, Any], check: CaseCheck, deadline: int, dispatch_seconds: int) -> int:
    """The base counters one case adds 1 to, as BIT flags (all but `overdue`).

    INFO: an int, not a dict: cases are counted by (group, bits), so equal
    cases cost one dictionary increment and no allocation.
    """
    status = data["status"]
    if status == "withdrawn":
        return _RECEIVED | _WITHDRAWN
    times = check.times
    received = times["received"]
    if status == "resolved":
        resolved = times["resolved"]
        bits = _RECEIVED | _RESOLVED | (_ON_TIME if resolved <= deadline else _LATE)
    else:
        resolved = None
        bits = _RECEIVED | _OPEN
    response = times.get("dispatched", resolved)
    if response is not None:
        bits |= _RESPONSE_DUE | (_RESPONSE_IN_TIME if response - received <= dispatch_seconds else 0)
    visits = data.get("visits")
    if visits:
        if status == "resolved":
            bits |= _VISITED
        visit_times = check.visit_times
        index = _latest_visit(visits, visit_times)
        if index is not None:
            visit = visits[index]
            satisfaction = visit["satisfaction"]
            if status == "resolved" and data.get("reasonable", True):
                bits |= _SATISFACTION_BASE | _SATISFACTION_BITS.get(satisfaction, 0)
                if "solved" in visit:
                    bits |= _SOLVED_BASE | (_SOLVED_YES if visit["solved"] else 0)
            if satisfaction == "dissatisfied":
                bits |= _DISSATISFIED
            elif any(v["satisfaction"] == "dissatisfied" and t <= visit_times[index]
                     for i, (v, t) in enumerate(zip(visits, visit_times)) if i != index):
                bits |= _REWORKED
    mediation = data.get("mediation")
    if mediation:
        bits |= _MEDIATIONS | _OUTCOME_BITS[mediation["outcome"]]
    if "backlog" in data:
        bits |= _BACKLOG | (_BACKLOG_RESOLVED if status == "resolved" else 0)
    if "escalated" in data:
        bits |= _ESCALATED
    if data.get("returns", 0) >= 1:
        bits |= _RETURNED
    return bits


def ratio(numerator: Fraction | int, denominator: Fraction | int) -> Fraction | None:
    """numerator / denominator, or None when the denominator is 0."""
    return None if not denominator else Fraction(numerator) / denominator


def round_half_up(value: Fraction, places: int) -> Decimal:
    """Exact decimal rounding, halves away from zero (never binary-float drift)."""
    scaled = value * 10 ** places
    whole = int(abs(scaled) + Fraction(1, 2))
    return (Decimal(whole if scaled >= 0 else -whole) / (Decimal(10) ** places)).quantize(Decimal(1).scaleb(-places))


MEDIAN_CHUNK = 1 << 16  # durations sorted at a time: the only list of them ever made


def sort_in_chunks(values: array.array) -> None:
    """Sort each run of MEDIAN_CHUNK values of the array in place."""
    for start in range(0, len(values), MEDIAN_CHUNK):
        values[start:start + MEDIAN_CHUNK] = array.array(values.typecode, sorted(values[start:start + MEDIAN_CHUNK]))


def median_hours(runs: Iterable[array.array]) -> Decimal | None:
    """Median of durations in seconds, in hours to one decimal.

    `runs` are arrays already passed through sort_in_chunks.  INFO: sorting
    all durations at once would make a list of Python ints, ~36 bytes a case;
    instead the k-th smallest is found by bisecting on the value, counting
    in every sorted chunk with bisect (C, no copies).
    """
    chunks = [(values, start, min(start + MEDIAN_CHUNK, len(values)))
              for values in runs for start in range(0, len(values), MEDIAN_CHUNK)]
    count = sum(end - start for _values, start, end in chunks)
    if not count:
        return None

    def smallest(k: int) -> int:
        """The k-th smallest duration, from 0."""
        low = min(values[start] for values, start, _end in chunks)
        high = max(values[end - 1] for values, _start, end in chunks)
        while low < high:
            middle = (low + high) // 2
            if sum(bisect.bisect_right(values, middle, start, end) - start for values, start, end in chunks) > k:
                high = middle
            else:
                low = middle + 1
        return low

    middle = count // 2
    seconds = Fraction(smallest(middle)) if count % 2 else Fraction(smallest(middle - 1) + smallest(middle), 2)
    return round_half_up(seconds / 3600, 1)


def compute_metrics(base: dict[str, int], durations: Iterable[array.array], policy: Policy) -> dict[str, Any]:
    """Every metric of the contract from the base counters of one group.

    `durations`: the group's seconds to resolve, as arrays sorted in chunks.
    """
    active = base["received"] - base["withdrawn"]
    weight = policy.basically_satisfied_weight
    rates = {
        "completion_rate": ratio(base["resolved"], active),
        "on_time_rate": ratio(base["on_time"], base["resolved"] + base["overdue"]),
        "response_rate": ratio(base["response_in_time"], base["response_due"]),
        "visit_rate": ratio(base["visited"], base["resolved"]),
        "satisfaction_rate": ratio(base["satisfied"] + weight * base["basically_satisfied"],
                                   base["satisfaction_base"]),
        "solved_rate": ratio(base["solved_yes"], base["solved_base"]),
        "mediation_success_rate": ratio(
            base["mediation_agreements"],
            base["mediation_agreements"] + base["mediation_no_agreement"] + base["mediation_referred"]),
        "backlog_cleared_rate": ratio(base["backlog_resolved"], base["backlog"]),
        "return_rate": ratio(base["returned"], active),
        "repeat_rate": ratio(base["repeats"], active),
    }
    metrics: dict[str, Any] = {}
    for key in METRIC_KEYS:
        if key in rates:
            metrics[key] = rates[key]
        elif key in base:
            metrics[key] = base[key]
    metrics["median_hours_to_resolve"] = median_hours(durations)
    metrics["score"] = composite_score(rates, dict(policy.weights))
    metrics["penalty_points"] = policy.penalty_per_overdue * (base["overdue"] + base["late"])
    return metrics


def composite_score(rates: dict[str, Fraction | None], weights: dict[str, Fraction]) -> Decimal | None:
    """100 x sum(w x rate) / sum(w) over the weighted rates that are not null."""
    total = Fraction(0)
    weight_sum = Fraction(0)
    for key, weight in weights.items():
        rate = rates.get(key)
        if rate is None:
            continue
        total += weight * ((1 - rate) if key in LOWER_IS_BETTER else rate)
        weight_sum += weight
    if not weight_sum:
        return None
    return round_half_up(100 * total / weight_sum, 1)


def target_missed(key: str, value: Any, targets: dict[str, Fraction]) -> bool:
    """True when a rate misses its target (null rates miss nothing)."""
    target = targets.get(key)
    if target is None or value is None:
        return False
    return value > target if key in LOWER_IS_BETTER else value < target


def rank_units(entries: list[dict[str, Any]], rank_min_cases: int) -> list[dict[str, Any]]:
    """Units with enough cases first, by score (null last, ties by name), then the rest by name."""
    def active(entry: dict[str, Any]) -> int:
        return entry["received"] - entry["withdrawn"]

    ranked = [e for e in entries if active(e) >= rank_min_cases]
    ranked.sort(key=lambda e: (e["score"] is None, -(e["score"] or 0), e["name"]))
    rest = sorted((e for e in entries if active(e) < rank_min_cases), key=lambda e: e["name"])
    out = []
    for position, entry in enumerate(ranked, start=1):
        out.append({"name": entry["name"], "rank": position, **{k: entry[k] for k in METRIC_KEYS}})
    for entry in rest:
        out.append({"name": entry["name"], "rank": None, **{k: entry[k] for k in METRIC_KEYS}})
    return out


class TextList:
    """Short texts (the ids of listed cases) packed in one buffer.

    INFO: about len + 8 bytes a text and no Python object per text, where a
    list of str costs ~70 bytes an id and leaves small objects scattered
    among the freed events.
    """

    __slots__ = ("_data", "_ends")

    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = array.array("q")

    def append(self, text: str) -> None:
        self._data += text.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._data))

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index: int) -> str:
        start = self._ends[index - 1] if index else 0
        return self._data[start:self._ends[index]].decode("utf-8", "surrogatepass")


NEVER = 2 ** 63 - 1  # a response deadline that never passes (the case was dispatched)
REPEAT_BUCKET = 4096  # caller cases sorted at a time, on average, when repeats are found
CLOSURE_BASE = 946_684_800  # 2000-01-01 UTC: resolution times are kept as 4-byte seconds from it


class ListedCases:
    """A list of cases (overdue, dissatisfied) whose entries are made when read.

    INFO: a dict an entry would cost ~400 bytes a listed case; the entries
    are built one at a time from the Tally's packed arrays as the output is
    written.
    """

    def __init__(self, indexes: Iterable[int], entry: Callable[[int], dict[str, Any]]) -> None:
        self._indexes = array.array("q", indexes)
        self._entry = entry

    def __len__(self) -> int:
        return len(self._indexes)

    def __getitem__(self, position: int) -> dict[str, Any]:
        return self._entry(self._indexes[position])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        entry = self._entry
        for index in self._indexes:
            yield entry(index)


# -- callers (重复诉求) ------------------------------------------------------------
# INFO: full-width digits and plus signs (Chinese input methods, Excel exports)
# are read as their ASCII forms, so １３８… is the same caller as 138….
_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋ｘＸ", "0123456789+xX")
_NOT_DIGIT = re.compile(r"[^0-9]")
_NOT_ID_CHAR = re.compile(r"[^0-9X]")
# A caller key is an int: a tag digit, then the caller's digits (the tag keeps
# leading zeros and tells phones from ID numbers): 1 a phone, 2 an ID number
# of digits only, 3 an 18-character ID number ending in X (the X left out).
# Keys longer than that go through a table and are negative.
_PHONE_TAG, _ID_TAG, _ID_X_TAG = "1", "2", "3"
_MAX_KEY_DIGITS = 18  # "1" or "2" + 17 or 18 digits stays below 2**63


def phone_caller(text: str) -> str:
    """The digits a phone number is compared by ('' when it has none).

    Spaces, dashes, brackets and other separators are dropped, full-width
    digits read as digits, and a Chinese country code dropped: `+86`, a
    leading `0086`, or a leading `86` before an 11-digit mobile number.  A
    landline written with the country code gets its trunk `0` back, so
    `+86 632 7712345` is `06327712345`.  Another country code stays, with
    its `+`.
    """
    if text.isascii() and text.isdigit():  # the common case: digits only
        digits = text
        plus = False
    else:
        plus = text.lstrip()[:1] in ("+", "＋")
        digits = text.replace(" ", "").replace("-", "").lstrip("+")  # the next most common: 138 1234 5678
        if not (digits.isascii() and digits.isdigit()):
            digits = _NOT_DIGIT.sub("", text.translate(_FULL_WIDTH))
    if plus:
        if not digits.startswith("86"):
            return "+" + digits if digits else ""
        digits = digits[2:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("861"):
        digits = digits[2:]
    else:
        return digits
    return digits if not digits or digits[0] == "1" or digits[0] == "0" else "0" + digits


def id_caller(text: str) -> str:
    """An ID number as it is compared: digits and a capital X, nothing else."""
    return _NOT_ID_CHAR.sub("", text.translate(_FULL_WIDTH).upper())


def mask_caller(caller: str) -> str:
    """A phone as 138****1234, an ID number as 370404********1234; never the whole number.

    INFO: the same rule as the masking of free text (first 3 and last 4
    digits of a phone, first 6 and last 4 of an ID), done here because the
    Summary holds only masked callers.
    """
    is_id = caller.startswith("ID")
    digits = caller[2:] if is_id else caller.lstrip("+")
    head, tail = (6, 4) if is_id else (3, 4)
    if len(digits) <= head + tail:
        return "*" * len(digits)
    return ("+" if caller.startswith("+") else "") + digits[:head] + "*" * (len(digits) - head - tail) + digits[-tail:]


def bursts(times: list[int], least: int, window: int) -> Iterator[tuple[int, int, int]]:
    """The bulk closures in sorted resolution times, as (first, last, cases).

    A dense window is a run of at least `least` times whose last is at most
    `window` seconds after its first.  A burst is a maximal chain of dense
    windows that share a case: from the first time of the first window to
    the last time of the last, with every case in between.
    """
    start = end = -1  # the burst being built, as indexes into times
    last = 0
    count = len(times)
    # INFO: the first cases of dense windows are found in C (map, compress): a
    # unit without a burst costs no Python step a case.
    spans = map(operator.sub, times[least - 1:], times)
    for first in itertools.compress(itertools.count(), map(operator.le, spans, itertools.repeat(window))):
        # the furthest case within the window of this one
        last = max(last, first + least - 1)
        while last + 1 < count and times[last + 1] - times[first] <= window:
            last += 1
        if start >= 0 and first <= end:
            end = last
        else:
            if start >= 0:
                yield times[start], times[end], end - start + 1
            start, end = first, last
    if start >= 0:
        yield times[start], times[end], end - start + 1


@dataclasses.dataclass
class Repeats:
    """The repeat requests found at the end of the stream."""

    by_group: list[Counter[str]]  # per grouping (GROUPINGS order): group name -> repeat cases
    total: int
    satisfaction_rate: Fraction | None  # 满意率 over the repeat cases (same rule as satisfaction_rate)
    callers: list[dict[str, Any]]  # the top callers, masked: {"caller", "cases", "repeats", "units", "categories"}


class Tally:
    """Counts cases as they stream past, in memory that does not grow with them.

    INFO: each case adds 1 to its group's count of its bits (case_bits), in
    each of the four groupings: memory is bounded by groups x distinct bits.
    Totals are the sum over the units.  What grows with cases: the seconds to
    resolve of each resolved case in each grouping (4 x 4 bytes, for the
    medians), and the open and dissatisfied cases that may be listed (about
    40 bytes + the id's length each); each resolved case's resolution time
    (4 bytes, for bulk closures); and each case with a caller that is not
    withdrawn (21 bytes: caller, received, profile, answer), since a repeat
    is known only once the caller's other cases are.  What only the report
    lists is kept only for the report.
    """

    def __init__(self, ledger: Ledger, report_lists: bool = True) -> None:
        self.ledger = ledger
        self.policy = ledger.policy
        self.calendar = Calendar(ledger.policy)
        self.resolve_days = dict(ledger.policy.resolve_days)
        self.category_days = dict(ledger.policy.category_resolve_days)
        self.days: dict[tuple[str, str], int] = {}  # (category, kind) -> days allowed
        self.majors: dict[str, str] = {}  # category -> its major category
        # whole seconds: times are whole seconds, so flooring the window changes
        # no comparison, and keeps Fractions out of the per-case path
        self.dispatch_seconds = math.floor(ledger.policy.dispatch_hours * 3600)
        self.report_lists = report_lists
        # per grouping (GROUPINGS order): group name -> {bits: cases}, and -> seconds to resolve
        self.counts: list[dict[str, dict[int, int]]] = [{} for _ in GROUPINGS]
        self.durations: list[dict[str, array.array]] = [{} for _ in GROUPINGS]
        # every unit, category, channel and kind met, numbered, for the kept cases below
        self.numbers: dict[str, int] = {}
        self.names: list[str] = []
        # open cases (for the overdue count and list, once as-of is known): unit,
        # category, channel and kind numbers, deadlines and ids
        self.open_names = array.array("i")
        self.open_deadlines = array.array("q")
        self.open_response_deadlines = array.array("q")  # NEVER once dispatched
        self.open_ids = TextList()
        self.dissatisfied_names = array.array("i")  # unit and category numbers
        self.dissatisfied_ids = TextList()
        # what only the report lists
        self.category_cases: Counter[str] = Counter()  # cases by full category, withdrawn left out
        self.featured: list[dict[str, Any]] = []
        self.backlog: list[dict[str, Any]] = []
        self.escalations: list[dict[str, Any]] = []
        self.mediation_by: Counter[tuple[str, str, str]] = Counter()  # (by, name, outcome)
        self.agreement_amount: Decimal | None = None  # the sum, None when no agreement names one
        self.latest: int | None = None
        # cases with a caller, not withdrawn (for repeats, found at the end
        # since cases come in any order): caller key, received, the number
        # of its (unit, major category, channel, kind), and its answer for
        # the repeats' 满意率 (_SATISFACTION_BASE etc. as 1, 2 and 4)
        self.caller_keys = array.array("q")
        self.caller_received = array.array("q")
        self.caller_profiles = array.array("i")
        self.caller_answers = array.array("B")
        self.long_callers: dict[str, int] = {}  # callers too long for an int key -> -(number + 1)
        # the (unit, major, channel, kind) of caller cases, numbered: bounded by groups
        self.profile_numbers: dict[tuple[str, str, str, str], int] = {}
        self.profiles: list[tuple[str, str, str, str]] = []
        # signals: per unit, resolution times (seconds from CLOSURE_BASE) and counts of cases
        self.closures: dict[str, array.array] = {}
        self.instant_visits: Counter[str] = Counter()
        self.visits_before_resolved: Counter[str] = Counter()
        self.min_visit_seconds = math.ceil(ledger.policy.min_visit_minutes * 60)
        self._repeats: Repeats | None = None  # found once, at the end

    def days_allowed(self, category: str, kind: str) -> int:
        for key in (category, category.partition("/")[0]):
            if key in self.category_days:
                return self.category_days[key]
        return self.resolve_days.get(kind, self.resolve_days["default"])

    def _number(self, name: str) -> int:
        number = self.numbers.get(name)
        if number is None:
            number = self.numbers[name] = len(self.names)
            self.names.append(name)
        return number

    def add(self, data: dict[str, Any], check: CaseCheck) -> None:
        """Count one valid case."""
        latest = check.latest
        if self.latest is None or latest > self.latest:
            self.latest = latest
        category = data["category"]
        kind = data["kind"]
        major = self.majors.get(category)
        if major is None:
            major = self.majors[category] = category.partition("/")[0]
        names = (data["unit"], major, data.get("channel", "hotline"), kind)
        times = check.times
        received = times["received"]
        status = data["status"]
        deadline = 0
        if status != "withdrawn":
            deadline = times.get("deadline")
            if deadline is None:
                days = self.days.get((category, kind))
                if days is None:
                    days = self.days[category, kind] = self.days_allowed(category, kind)
                deadline = self.calendar.deadline(received, days)
        bits = case_bits(data, check, deadline, self.dispatch_seconds)
        for counts, name in zip(self.counts, names):
            by_bits = counts.get(name)
            if by_bits is None:
                by_bits = counts[name] = {}
            by_bits[bits] = by_bits.get(bits, 0) + 1
        if status == "resolved":
            resolved = times["resolved"]
            closures = self.closures.get(names[0])
            if closures is None:
                closures = self.closures[names[0]] = array.array("i")
            try:
                closures.append(resolved - CLOSURE_BASE)
            except OverflowError:  # beyond 1932-2068: 8 bytes from now on
                closures = self.closures[names[0]] = array.array("q", closures)
                closures.append(resolved - CLOSURE_BASE)
            visit_times = check.visit_times
            # the common case, every visit at least min_visit_minutes after resolution, costs one min()
            if visit_times and min(visit_times) < resolved + self.min_visit_seconds:
                self._check_visits(data["visits"], visit_times, names[0], resolved)
            duration = resolved - received
            for durations, name in zip(self.durations, names):
                kept = durations.get(name)
                if kept is None:
                    kept = durations[name] = array.array("i")
                try:
                    kept.append(duration)
                except OverflowError:  # more than 68 years: 8 bytes from now on
                    kept = durations[name] = array.array("q", kept)
                    kept.append(duration)
        elif status == "open":
            self.open_names.extend((self._number(names[0]), self._number(category),
                                    self._number(names[2]), self._number(kind)))
            self.open_deadlines.append(deadline)
            self.open_response_deadlines.append(NEVER if "dispatched" in times else received + self.dispatch_seconds)
            self.open_ids.append(data["id"])
        if bits & _DISSATISFIED:
            self.dissatisfied_names.extend((self._number(names[0]), self._number(category)))
            self.dissatisfied_ids.append(data["id"])
        requester = data.get("requester")
        if requester and status != "withdrawn":
            self._add_caller(requester, received, names, bits)
        if self.report_lists:
            self._add_listed(data, times, status)

    def _add_caller(self, requester: dict[str, Any], received: int, names: tuple[str, str, str, str],
                    bits: int) -> None:
        """Keep a case with a caller (phone, else ID number) for the repeat count."""
        phone = requester.get("phone")
        caller = phone_caller(phone) if phone else ""
        if caller:
            tag = _PHONE_TAG
        else:
            id_number = requester.get("id_number")
            caller = id_caller(id_number) if id_number else ""
            if not caller:
                return
            tag = _ID_TAG
            if caller[-1] == "X" and len(caller) == 18 and caller[:17].isdigit():
                caller, tag = caller[:17], _ID_X_TAG
        if caller.isdigit() and len(caller) < _MAX_KEY_DIGITS:
            key = int(tag + caller)
        else:
            text = ("ID" if tag != _PHONE_TAG else "") + caller + ("X" if tag == _ID_X_TAG else "")
            key = self.long_callers.setdefault(text, -len(self.long_callers) - 1)
        self.caller_keys.append(key)
        self.caller_received.append(received)
        profile = self.profile_numbers.get(names)
        if profile is None:
            profile = self.profile_numbers[names] = len(self.profiles)
            self.profiles.append(names)
        self.caller_profiles.append(profile)
        self.caller_answers.append(_ANSWERS.get(bits & _ANSWER_BITS, 0))

    def _check_visits(self, visits: list[dict[str, Any]], visit_times: list[int], unit: str, resolved: int) -> None:
        """Note a resolved case's visits dated before its resolution, or satisfied too soon after it."""
        if min(visit_times) < resolved:
            self.visits_before_resolved[unit] += 1
        soon = resolved + self.min_visit_seconds
        for moment, visit in zip(visit_times, visits):
            if resolved <= moment < soon and visit["satisfaction"] in _SATISFACTION_BITS:
                self.instant_visits[unit] += 1
                break

    def _add_listed(self, data: dict[str, Any], times: dict[str, int], status: str) -> None:
        """What only the report lists: featured, backlog, escalations, mediation detail."""
        if status != "withdrawn":
            self.category_cases[data["category"]] += 1
        if data.get("featured"):
            self.featured.append({**data, "_hours": None if status != "resolved"
                                  else Fraction(times["resolved"] - times["received"], 3600)})
        if "backlog" in data:
            self.backlog.append({"id": data["id"], "unit": data["unit"], "since": data["backlog"]["since"],
                                 "leader": data["backlog"].get("leader"), "status": status,
                                 "risk": data.get("risk"), "resolved": data.get("resolved")})
        if "escalated" in data:
            esc = data["escalated"]
            self.escalations.append({"id": data["id"], "unit": data["unit"], "category": data["category"],
                                     "at": esc["at"], "to": esc["to"], "reason": esc.get("reason"),
                                     "status": status})
        mediation = data.get("mediation")
        if mediation:
            outcome = mediation["outcome"]
            for by in ("mediator", "room", "method"):
                if mediation.get(by):
                    self.mediation_by[by, mediation[by], outcome] += 1
            if outcome == "agreement" and "amount" in mediation:
                self.agreement_amount = (self.agreement_amount or Decimal(0)) + Decimal(str(mediation["amount"]))

    # -- the end of the stream -------------------------------------------------
    def finish(self, as_of: int) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]], ListedCases]:
        """Totals, groups and the overdue list, as of `as_of`."""
        tz = self.policy.tz_seconds
        names = self.names
        # per grouping: group name -> overdue cases, and -> open cases whose response window has passed
        overdue: list[Counter[str]] = [Counter() for _ in GROUPINGS]
        response_late: list[Counter[str]] = [Counter() for _ in GROUPINGS]
        overdue_indexes = []
        for index, (deadline, response_deadline) in enumerate(zip(self.open_deadlines,
                                                                  self.open_response_deadlines)):
            if deadline >= as_of and response_deadline >= as_of:
                continue
            unit, category, channel, kind = (names[n] for n in self.open_names[4 * index: 4 * index + 4])
            groups_of_case = (unit, self.majors[category], channel, kind)
            if deadline < as_of:
                for counter, name in zip(overdue, groups_of_case):
                    counter[name] += 1
                overdue_indexes.append(index)
            # INFO: a case not yet dispatched counts in the response rate only
            # once its response window has passed, and then as not in time.
            if response_deadline < as_of:
                for counter, name in zip(response_late, groups_of_case):
                    counter[name] += 1
        overdue_list = ListedCases(self._most_overdue_first(overdue_indexes),
                                   functools.partial(self._overdue_entry, as_of))
        repeats = self.find_repeats()

        decoded: dict[int, list[str]] = {}
        groups: dict[str, list[dict[str, Any]]] = {}
        for g, grouping in enumerate(GROUPINGS):
            entries = []
            for name, by_bits in self.counts[g].items():
                base = self._base(by_bits, decoded)
                base["overdue"] += overdue[g][name]
                base["response_due"] += response_late[g][name]
                base["repeats"] = repeats.by_group[g][name]
                durations = self.durations[g].get(name)
                if durations is not None:
                    sort_in_chunks(durations)
                entries.append({"name": name, **compute_metrics(base, [durations] if durations else [],
                                                                self.policy)})
            groups[grouping] = self._order(grouping, entries)
        # the totals: every case is in exactly one unit
        all_bits: dict[int, int] = {}
        for by_bits in self.counts[0].values():
            for bits, n in by_bits.items():
                all_bits[bits] = all_bits.get(bits, 0) + n
        totals = self._base(all_bits, decoded)
        totals["overdue"] += len(overdue_indexes)
        totals["response_due"] += sum(response_late[0].values())
        totals["repeats"] = repeats.total
        # the units' durations, sorted in chunks above
        return compute_metrics(totals, list(self.durations[0].values()), self.policy), groups, overdue_list

    def find_repeats(self) -> Repeats:
        """The repeat cases among the kept cases with a caller, whatever their order in the input.

        A case is a repeat when the caller's previous case in the same major
        category (by received time; equal times in input order) was received
        at most repeat_days before it.  INFO: the kept cases are split by
        caller into buckets of about REPEAT_BUCKET cases (4 bytes a case);
        each bucket is sorted by (caller, major category, received, position),
        packed into one int a case, and scanned once.  So the only lists made
        hold one bucket, not every caller case.
        """
        if self._repeats is not None:
            return self._repeats
        found = Repeats(by_group=[Counter() for _ in GROUPINGS], total=0, satisfaction_rate=None, callers=[])
        keys, received, profile_of = self.caller_keys, self.caller_received, self.caller_profiles
        profiles = self.profiles
        count = len(keys)
        if count:
            major_numbers: dict[str, int] = {}
            major_of = [major_numbers.setdefault(profile[1], len(major_numbers)) for profile in profiles]
            major_bits = max(len(major_numbers), 1).bit_length()
            low = min(received)
            span_bits = max(max(received) - low, 1).bit_length()
            index_bits = count.bit_length()
            # the key may be negative (a long caller): offset it so the packing stays in order
            key_low = min(keys)
            bucket_count = max(1, count // REPEAT_BUCKET)
            buckets = [array.array("i") for _ in range(bucket_count)]
            for i, key in enumerate(keys):
                buckets[key % bucket_count].append(i)
            window = self.policy.repeat_days * SECONDS_PER_DAY
            index_mask = (1 << index_bits) - 1
            span_mask = (1 << span_bits) - 1
            group_shift = span_bits + index_bits
            by_group = found.by_group
            satisfaction: Counter[str] = Counter()
            callers: dict[int, list[Any]] = {}  # caller key -> [repeats, cases, units, majors]
            for bucket in buckets:
                packed = sorted(((((keys[i] - key_low) << major_bits | major_of[profile_of[i]]) << span_bits
                                  | (received[i] - low)) << index_bits) | i for i in bucket)
                # INFO: most callers call once; so the places whose (caller, major)
                # equals the one before are found in C (map, compress), and only
                # those are looked at here.
                groups = list(map(operator.rshift, packed, itertools.repeat(group_shift, len(packed))))
                last_repeat = -2
                for k in itertools.compress(range(1, len(packed)), map(operator.eq, groups[1:], groups)):
                    value, before = packed[k], packed[k - 1]
                    if ((value >> index_bits) & span_mask) - ((before >> index_bits) & span_mask) > window:
                        continue
                    index, previous_index = value & index_mask, before & index_mask
                    found.total += 1
                    profile = profiles[profile_of[index]]
                    for counter, name in zip(by_group, profile):
                        counter[name] += 1
                    answer = self.caller_answers[index]
                    for bit, key in ((1, "satisfaction_base"), (2, "satisfied"), (4, "basically_satisfied")):
                        if answer & bit:
                            satisfaction[key] += 1
                    caller = callers.setdefault(keys[index], [0, 0, set(), set()])
                    caller[0] += 1
                    # the case repeated is counted once, however many repeat it
                    for chained in ((index,) if last_repeat == k - 1 else (previous_index, index)):
                        unit, major = profiles[profile_of[chained]][:2]
                        caller[1] += 1
                        caller[2].add(unit)
                        caller[3].add(major)
                    last_repeat = k
            weight = self.policy.basically_satisfied_weight
            found.satisfaction_rate = ratio(satisfaction["satisfied"] + weight * satisfaction["basically_satisfied"],
                                            satisfaction["satisfaction_base"])
            found.callers = self._top_callers(callers)
        self._repeats = found
        return found

    def _top_callers(self, callers: dict[int, list[Any]]) -> list[dict[str, Any]]:
        """The callers with the most repeats (ties by masked caller), masked, at most MAX_REPEAT_CALLERS."""
        long_texts = {number: text for text, number in self.long_callers.items()}
        entries = []
        for key, (repeats, cases, units, majors) in callers.items():
            if key < 0:
                text = long_texts[key]
            else:
                digits = str(key)
                tag, text = digits[0], digits[1:]
                text = text if tag == _PHONE_TAG else "ID" + text + ("X" if tag == _ID_X_TAG else "")
            # the unmasked text breaks ties between equal masks, so the order is stable; it is not kept
            entries.append((-repeats, mask_caller(text), text, cases, units, majors))
        entries.sort(key=lambda e: e[:3])
        return [{"caller": masked, "cases": cases, "repeats": -minus_repeats, "units": sorted(units),
                 "categories": sorted(majors)}
                for minus_repeats, masked, _text, cases, units, majors in entries[:MAX_REPEAT_CALLERS]]

    def signals(self) -> list[dict[str, Any]]:
        """The signals of data to look at: bulk closures, then instant visits, then visits before resolution."""
        tz = self.policy.tz_seconds
        window = math.floor(self.policy.bulk_closure_minutes * 60)
        least = self.policy.bulk_closure_cases
        found: list[dict[str, Any]] = []
        for unit in sorted(self.closures):
            kept = self.closures[unit]
            if len(kept) < least:
                continue
            for start, end, cases in bursts(sorted(kept), least, window):
                found.append({"kind": "bulk_closure", "unit": unit, "start": format_time(start + CLOSURE_BASE, tz),
                              "end": format_time(end + CLOSURE_BASE, tz), "cases": cases})
        for kind, counts in (("instant_visit", self.instant_visits),
                             ("visit_before_resolved", self.visits_before_resolved)):
            for unit, cases in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
                found.append({"kind": kind, "unit": unit, "cases": cases})
        return found

    def _most_overdue_first(self, indexes: list[int]) -> list[int]:
        """Open cases by days overdue (most first), then deadline, then id.

        The earlier the deadline, the more days overdue: so by deadline, and
        by id among equal deadlines (decoding only the ids that tie).
        """
        deadlines = self.open_deadlines
        indexes.sort(key=deadlines.__getitem__)
        ordered: list[int] = []
        for _deadline, tied in itertools.groupby(indexes, key=deadlines.__getitem__):
            tied_indexes = list(tied)
            if len(tied_indexes) > 1:
                tied_indexes.sort(key=self.open_ids.__getitem__)
            ordered += tied_indexes
        return ordered

    def _overdue_entry(self, as_of: int, index: int) -> dict[str, Any]:
        deadline = self.open_deadlines[index]
        return {"id": self.open_ids[index], "unit": self.names[self.open_names[4 * index]],
                "category": self.names[self.open_names[4 * index + 1]],
                "deadline": format_time(deadline, self.policy.tz_seconds),
                "days_overdue": -((deadline - as_of) // SECONDS_PER_DAY)}

    @staticmethod
    def _base(by_bits: dict[int, int], decoded: dict[int, list[str]]) -> dict[str, int]:
        """The base counters of cases counted by bits."""
        base = dict.fromkeys(BASE_KEYS, 0)
        for bits, n in by_bits.items():
            keys = decoded.get(bits)
            if keys is None:
                keys = decoded[bits] = decode_bits(bits)
            for key in keys:
                base[key] += n
        return base

    def dissatisfied_list(self) -> ListedCases:
        """The cases whose effective visit is dissatisfied, in file order."""
        return ListedCases(range(len(self.dissatisfied_ids)), self._dissatisfied_entry)

    def _dissatisfied_entry(self, index: int) -> dict[str, Any]:
        return {"id": self.dissatisfied_ids[index], "unit": self.names[self.dissatisfied_names[2 * index]],
                "category": self.names[self.dissatisfied_names[2 * index + 1]]}

    def subcategories(self) -> Counter[tuple[str, str]]:
        """Cases by (major, minor) category, withdrawn cases left out (kept for the report only)."""
        found: Counter[tuple[str, str]] = Counter()
        for category, n in self.category_cases.items():
            major, _, minor = category.partition("/")
            found[major, minor] += n
        return found

    def _order(self, grouping: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if grouping == "unit":
            return rank_units(entries, self.policy.rank_min_cases)
        if grouping == "category":
            return sorted(entries, key=lambda e: (-e["received"], e["name"]))
        order = KINDS if grouping == "kind" else CHANNELS
        return sorted(entries, key=lambda e: order.index(e["name"]))


@dataclasses.dataclass
class Options:
    """What the command line chose."""

    lang: str = "zh"
    encoding: str | None = None
    as_of: str | None = None
    strict: bool = False
    # what the command shows: "check" counts nothing, "summary" the figures,
    # "report" also keeps what only the report lists
    needs: str = "report"


@dataclasses.dataclass
class Analysis:
    """The outcome of reading, checking and counting the input."""

    problems: list[Problem]
    problem_count: int
    warnings: list[Problem]
    warning_count: int
    summary: Summary | None
    cases: int


def build_ledger(header: dict[str, Any], policy: Policy, as_of_option: str | None) -> Ledger:
    """The ledger-wide rules from the first file's header (schema-valid)."""
    tz = policy.tz_seconds
    period = header.get("period")
    period_text = None
    period_seconds = None
    if isinstance(period, dict):
        try:
            period_seconds = (parse_time(period["start"], tz), parse_time(period["end"], tz, True))
            period_text = (period["start"], period["end"])
        except (TimeError, KeyError, TypeError):
            period_seconds = None
    as_of = None  # None: the latest event time, known once every case is read
    if as_of_option is not None:
        as_of = parse_time(as_of_option, tz)
    elif isinstance(header.get("as_of"), str):
        try:
            as_of = parse_time(header["as_of"], tz)
        except TimeError:
            pass
    elif period_seconds is not None:
        as_of = period_seconds[1]
    return Ledger(
        jurisdiction=str(header.get("jurisdiction", "")),
        title=header.get("title") if isinstance(header.get("title"), str) else None,
        period=period_text,
        period_seconds=period_seconds,
        as_of=as_of,
        policy=policy,
        categories=[c for c in header.get("categories") or () if isinstance(c, dict)],
        units=[u for u in header.get("units") or () if isinstance(u, dict)],
    )


class _Collector:
    """Problems and warnings, kept in a bounded list and counted in full."""

    def __init__(self, limit: int) -> None:
        self.items: list[Problem] = []
        self.count = 0
        self.limit = limit

    def extend(self, found: list[Problem]) -> None:
        self.count += len(found)
        room = self.limit - len(self.items)
        if room > 0:
            self.items.extend(found[:room])

    def sorted(self) -> list[Problem]:
        return sorted(self.items, key=Problem.sort_key)


def analyse(sources: list[Source], options: Options) -> Analysis:
    """Read, check and count every source: the whole pipeline, one pass per file."""
    validators = Validators()
    hints: dict[int, tuple[dict[str, Any], list[Any]]] = {}
    for _attempt in range(2):
        analysis, late = _analyse_pass(sources, options, validators, hints)
        if not late:
            return analysis
        # INFO: some header keys came after `cases`; read again knowing them
        # (a second pass only for files laid out that way).
        hints = late
    return analysis


def _analyse_pass(sources: list[Source], options: Options, validators: Validators,
                  hints: dict[int, tuple[dict[str, Any], list[Any]]]
                  ) -> tuple[Analysis, dict[int, tuple[dict[str, Any], list[Any]]]]:
    lang = options.lang
    problems = _Collector(MAX_KEPT_PROBLEMS)
    warnings = _Collector(MAX_KEPT_WARNINGS)
    ledger: Ledger | None = None
    checker: CaseChecker | None = None
    tally: Tally | None = None
    first_header: dict[str, Any] | None = None
    late: dict[int, tuple[dict[str, Any], list[Any]]] = {}
    digests: list[tuple[str, str]] = []
    cases = 0
    counting = options.needs != "check"
    for source in sources:
        hint = hints.get(source.index)
        reader = FileReader(source, lang, options.encoding, hint[0] if hint else None)
        rules = FileRules(None, None)
        for item in reader.items():
            if isinstance(item, Header):
                if hint:
                    item.events = hint[1]
                header_problems = check_header(item, validators, lang)
                problems.extend(header_problems)
                data = item.data if not header_problems else {}
                if ledger is None:
                    first_header = item.data
                    policy = build_policy(data.get("policy")) if data else Policy()
                    ledger = build_ledger(data, policy, options.as_of)
                    checker = CaseChecker(validators, ledger, lang)
                    tally = Tally(ledger, report_lists=options.needs == "report")
                elif data and first_header is not None:
                    warnings.extend(_header_differences(item, first_header, lang))
                if data:
                    rules = file_rules(data)
                continue
            assert checker is not None and tally is not None
            result = checker.check(item, rules)
            if reader.refused_at:
                result.problems = [p for p in result.problems if (p.line, p.column) not in reader.refused_at]
            if result.problems:
                problems.extend(result.problems)
            if result.warnings:
                warnings.extend(result.warnings)
            cases += 1
            if not problems.count and counting:
                tally.add(item.data, result)
        problems.extend(reader.problems)
        digests.append((source.name, reader.sha256.hexdigest()))
        if reader.late_header is not None and not hint:
            late[source.index] = (reader.late_header, reader.header_events)
    if late and not hints:
        return Analysis([], 0, [], 0, None, 0), late
    if checker is not None and checker.duplicates:
        problems.extend(checker.duplicate_problems(sources, options.encoding))
    summary = None
    if not problems.count and ledger is not None and tally is not None and counting:
        summary = summarise(ledger, tally, options, warnings, digests)
    return Analysis(problems.sorted(), problems.count, warnings.sorted(), warnings.count, summary,
                    cases), {}


def _header_differences(header: Header, first: dict[str, Any], lang: str) -> list[Problem]:
    """Warnings for header keys of a later file that differ from the first file's."""
    found = []
    located = locate(header.events, ()) if header.events else {}
    for key in ("title", "period", "as_of", "policy"):
        if key in header.data and header.data.get(key) != first.get(key):
            marks = _nearest_marks(located, (key,))
            found.append(Problem(header.source.name, marks.line, marks.column, key,
                                 msg("w_header_differs", lang, key=key), header.source.index))
    return found


def summarise(ledger: Ledger, tally: Tally, options: Options, warnings: _Collector,
              digests: list[tuple[str, str]]) -> Summary:
    """The Summary every output renders."""
    as_of = ledger.as_of if ledger.as_of is not None else (tally.latest or 0)
    totals, groups, overdue = tally.finish(as_of)
    targets = dict(ledger.policy.targets)
    missed = [key for key in RATE_KEYS if target_missed(key, totals[key], targets)]
    extras = {
        "featured": tally.featured,
        "backlog": tally.backlog,
        "escalations": tally.escalations,
        "mediation_by": tally.mediation_by,
        "agreement_amount": tally.agreement_amount,
        "subcategories": tally.subcategories(),
        "repeat_satisfaction_rate": tally.find_repeats().satisfaction_rate,
    }
    return Summary(ledger, options.lang, format_time(as_of, ledger.policy.tz_seconds), totals, groups,
                   overdue, tally.dissatisfied_list(), warnings.sorted(), warnings.count, missed, digests, extras,
                   repeat_callers=tally.find_repeats().callers, signals=tally.signals())


# =============================================================================
# Rendering
# =============================================================================
# -- values ------------------------------------------------------------------
def json_value(key: str, value: Any) -> Any:
    """A metric as JSON: rates as fractions to 4 places, hours and score to 1."""
    if value is None:
        return None
    if key in RATE_KEYS:
        return float(round_half_up(value, 4))
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(round_half_up(value, 2))
    return value


def percent(value: Fraction | None) -> str:
    """'93.33%' (two decimals), or '—' for a null rate."""
    return "—" if value is None else f"{round_half_up(value * 100, 2)}%"


def display_value(key: str, value: Any) -> str:
    """A metric as people read it: percentages, one-decimal hours, '—' for null."""
    if key in RATE_KEYS:
        return percent(value)
    if value is None:
        return "—"
    if isinstance(value, Fraction):
        return str(int(value)) if value.denominator == 1 else str(round_half_up(value, 2))
    return str(value)


def group_display_name(grouping: str, name: str, lang: str) -> str:
    """Channel and kind names are labelled; units and categories are as written."""
    return label(name, lang) if grouping in ("channel", "kind") else name


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def terminal_safe(text: str) -> str:
    """User text for a terminal: control characters (escape sequences) shown as '?'."""
    return _CONTROL_RE.sub("?", text)


def display_width(text: str) -> int:
    """Columns a terminal gives `text`: CJK wide characters take two."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return width


def pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


TABLE_KEYS = ("received", "resolved", "overdue", "completion_rate", "on_time_rate", "response_rate",
              "satisfaction_rate", "solved_rate", "score", "penalty_points")


def summary_rows(summary: Summary, grouping: str) -> tuple[list[str], list[list[str]], list[str]]:
    """Header, rows (groups then the totals row) and legend lines of the summary table."""
    lang = summary.lang
    targets = dict(summary.ledger.policy.targets)
    ranked = grouping == "unit"
    header = [label(grouping, lang)] + ([label("rank", lang)] if ranked else []) + [label(k, lang) for k in TABLE_KEYS]

    def cells(entry: dict[str, Any]) -> list[str]:
        out = []
        for key in TABLE_KEYS:
            text = display_value(key, entry[key])
            if key in targets:  # a mark column, so the digits stay aligned
                text += "!" if target_missed(key, entry[key], targets) else " "
            out.append(text)
        return out

    rows = []
    for entry in summary.groups[grouping]:
        rank = [] if not ranked else ["—" if entry["rank"] is None else str(entry["rank"])]
        rows.append([group_display_name(grouping, entry["name"], lang)] + rank + cells(entry))
    rows.append([label("total", lang)] + ([""] if ranked else []) + cells(summary.totals))
    legend = []
    if targets:
        parts = [f"{label(k, lang)} {'≤' if k in LOWER_IS_BETTER else '≥'} {percent(v)}"
                 for k, v in targets.items()]
        legend.append(("目标：" if lang == "zh" else "Targets: ") + ("，" if lang == "zh" else ", ").join(parts)
                      + ("；! 表示未达目标" if lang == "zh" else "; ! marks a missed target"))
    if ranked:
        legend.append(f"案件少于 {summary.ledger.policy.rank_min_cases} 件的单位不参与排名（—）" if lang == "zh" else
                      f"units with fewer than {summary.ledger.policy.rank_min_cases} cases are not ranked (—)")
    return header, rows, legend


def render_table(summary: Summary, grouping: str) -> str:
    """The summary as an aligned terminal table (CJK-aware widths)."""
    header, rows, legend = summary_rows(summary, grouping)
    header = [terminal_safe(h) for h in header]
    rows = [[terminal_safe(c) for c in row] for row in rows]
    widths = [max(display_width(r[i]) for r in [header] + rows) for i in range(len(header))]
    numeric_from = 1

    def line(row: list[str]) -> str:
        return "  ".join(pad(c, widths[i], i >= numeric_from) for i, c in enumerate(row)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [line(header), rule] + [line(r) for r in rows[:-1]] + [rule, line(rows[-1])]
    return "\n".join(out + legend) + "\n"


def render_markdown_table(summary: Summary, grouping: str) -> str:
    """The summary table as GitHub-flavoured Markdown."""
    header, rows, legend = summary_rows(summary, grouping)
    out = [md_row(header), "|" + "|".join([" --- "] + [" ---: "] * (len(header) - 1)) + "|"]
    out += [md_row(r) for r in rows[:-1]]
    out.append(md_row([f"**{md_escape(rows[-1][0])}**"] + rows[-1][1:], escaped_first=True))
    if legend:
        out.append("")
        out += [md_escape(text) for text in legend]
    return "\n".join(out) + "\n"


def _delimited(summary: Summary, grouping: str, delimiter: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["by", "name", "rank"] + list(METRIC_KEYS))

    def values(entry: dict[str, Any]) -> list[Any]:
        return ["" if (v := json_value(k, entry[k])) is None else v for k in METRIC_KEYS]

    for entry in summary.groups[grouping]:
        rank = entry.get("rank")
        writer.writerow([grouping, _cell_text(entry["name"], delimiter), "" if rank is None else rank] + values(entry))
    writer.writerow(["total", _cell_text(summary.ledger.jurisdiction, delimiter), ""] + values(summary.totals))
    return buffer.getvalue()


def _cell_text(text: str, delimiter: str) -> str:
    # INFO: TSV has no quoting convention readers agree on; tabs and newlines
    # in names become spaces there.  CSV quotes them properly.
    return re.sub(r"[\t\r\n]", " ", text) if delimiter == "\t" else text


def render_csv(summary: Summary, grouping: str) -> str:
    """One header row, one row per group and a `total` row; rates as fractions."""
    return _delimited(summary, grouping, ",")


def render_tsv(summary: Summary, grouping: str) -> str:
    """As CSV, tab-separated."""
    return _delimited(summary, grouping, "\t")


def summary_json(summary: Summary) -> dict[str, Any]:
    """The JSON summary of the contract (SPEC.md), key for key."""
    ledger = summary.ledger

    def metrics(entry: dict[str, Any]) -> dict[str, Any]:
        return {k: json_value(k, entry[k]) for k in METRIC_KEYS}

    groups = {}
    for grouping in GROUPINGS:
        entries = []
        for entry in summary.groups[grouping]:
            item = {"name": entry["name"]}
            if grouping == "unit":
                item["rank"] = entry["rank"]
            item.update(metrics(entry))
            entries.append(item)
        groups[grouping] = entries
    return {
        "version": FORMAT_VERSION,
        "jurisdiction": ledger.jurisdiction,
        "title": report_title(summary),
        "period": None if ledger.period is None else {"start": ledger.period[0], "end": ledger.period[1]},
        "as_of": summary.as_of_text,
        "totals": metrics(summary.totals),
        "groups": groups,
        "overdue": summary.overdue,
        "dissatisfied": summary.dissatisfied,
        "repeat_callers": summary.repeat_callers,
        "signals": summary.signals,
        "warnings": [{"file": w.file, "line": w.line, "column": w.column, "path": w.path, "message": w.message}
                     for w in summary.warnings],
    }


def render_json_chunks(summary: Summary) -> Iterator[str]:
    """The JSON summary as pieces of text, the listed cases one at a time.

    INFO: the same bytes as json.dumps(summary_json(...), indent=2), without
    ever holding the whole text or every listed case: a year's overdue list
    can run to tens of thousands of entries.
    """
    document = summary_json(summary)
    last = len(document) - 1
    yield "{\n"
    for position, (key, value) in enumerate(document.items()):
        end = ",\n" if position < last else "\n"
        name = json.dumps(key, ensure_ascii=False)
        if isinstance(value, ListedCases) and len(value):
            yield f"  {name}: [\n"
            count = len(value)
            for number, entry in enumerate(value, start=1):
                # one flat entry, as json.dumps(indent=2) lays it out at this depth
                fields = ",\n".join(f"      {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}"
                                    for k, v in entry.items())
                yield f"    {{\n{fields}\n    }}{',' if number < count else ''}\n"
            yield "  ]" + end
        else:
            value = list(value) if isinstance(value, ListedCases) else value
            yield f"  {name}: " + json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n  ") + end
    yield "}\n"


def render_json(summary: Summary, grouping: str) -> str:
    """The JSON summary (all groupings; --by does not change it)."""
    return "".join(render_json_chunks(summary))


SUMMARY_RENDERERS: dict[str, Callable[[Summary, str], str]] = {
    "table": render_table,
    "csv": render_csv,
    "tsv": render_tsv,
    "json": render_json,
    "markdown": render_markdown_table,
}


def report_title(summary: Summary) -> str:
    """The title from the file, or one derived from jurisdiction and period."""
    ledger = summary.ledger
    if ledger.title:
        return ledger.title
    if summary.lang == "zh":
        period = f"{ledger.period[0]} 至 {ledger.period[1]} " if ledger.period else ""
        return f"{ledger.jurisdiction} {period}基层治理工作情况通报"
    period = f" {ledger.period[0]} to {ledger.period[1]}" if ledger.period else ""
    return f"{ledger.jurisdiction}: grassroots governance briefing{period}"


# -- Markdown safety -----------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&])")


def md_escape(text: str) -> str:
    """User text made inert in Markdown: no markup, no HTML, no table breaks."""
    text = re.sub(r"[\r\n\u2028\u2029]+", " ", str(text))
    text = _CONTROL_RE.sub(" ", text)
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_row(cells: list[str], escaped_first: bool = False) -> str:
    """A Markdown table row; every cell escaped (the first may be pre-escaped)."""
    out = []
    for i, cell in enumerate(cells):
        out.append(cell if (escaped_first and i == 0) else md_escape(cell))
    return "| " + " | ".join(out) + " |"


# -- personal data ----------------------------------------------------------------
COMPOUND_SURNAMES = frozenset("""
欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 轩辕 端木 西门 南宫
独孤 澹台 公冶 申屠 太史 闻人 赫连 万俟 钟离 呼延 单于 百里 东郭 南门 羊舌 微生 梁丘 左丘
东门 第五 拓跋 鲜于 闾丘 司空 亓官 司寇 仉督 子车 颛孙 壤驷 公良 漆雕 乐正 宰父 谷梁 段干
""".split())
_ID_RE = re.compile(r"(?<![0-9A-Za-z])([0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")
# INFO: a +86 / 86 country prefix stays visible; the number after it is masked.
_PHONE_RE = re.compile(r"(?:(?<![0-9])|(?<=86))(1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4}|0[0-9]{2,3}-?[0-9]{7,8})(?![0-9])")


def mask_name(name: str) -> str:
    """张伟 -> 张某某, 欧阳娜娜 -> 欧阳某某; a name in Latin letters keeps its first letter."""
    name = name.strip()
    if not name:
        return name
    if re.match(r"[A-Za-z]", name):
        return name[0] + "***"
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]
    return surname + "某某"


def mask_digits(text: str, keep_head: int, keep_tail: int) -> str:
    """Keep the first and last digits, star the rest (separators dropped)."""
    digits = re.sub(r"[^0-9Xx]", "", text)
    if len(digits) <= keep_head + keep_tail:
        return "*" * len(digits)
    return digits[:keep_head] + "*" * (len(digits) - keep_head - keep_tail) + digits[-keep_tail:]


def mask_text(text: str, names: Iterable[str] = ()) -> str:
    """Free text with ID numbers, phone numbers and the given names masked."""
    text = _ID_RE.sub(lambda m: mask_digits(m.group(1), 6, 4), text)
    text = _PHONE_RE.sub(lambda m: mask_digits(m.group(1), 3, 4), text)
    for name in names:
        if name and len(name.strip()) >= 2:
            text = text.replace(name.strip(), mask_name(name))
    return text


# -- the report ----------------------------------------------------------------------
BAR_WIDTH = 20
CHINESE_NUMERALS = ("零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")


def bar(value: int, largest: int) -> str:
    """A bar of block characters, BAR_WIDTH at the largest value."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = round(Fraction(value * BAR_WIDTH * 8, largest))
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


class _Doc:
    """Collects Markdown lines; every piece of user text goes through md_escape."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.lines: list[str] = []
        self.sections = 0

    def t(self, key: str, **fields: Any) -> str:
        text = label(key, self.lang)
        return text.format(**fields) if fields else text

    def section(self, text: str) -> None:
        """A numbered section heading: 一、二、… in Chinese, 1. 2. … in English."""
        self.sections += 1
        number = (CHINESE_NUMERALS[self.sections] + "、") if self.lang == "zh" else f"{self.sections}. "
        if self.lines and self.lines[-1] != "":
            self.lines.append("")
        self.lines += ["## " + number + text, ""]

    def para(self, text: str) -> None:
        self.lines += [text, ""]

    def table(self, header: list[str], rows: list[list[str]], numeric_from: int = 1) -> None:
        """A table whose cells are already escaped."""
        self.lines.append("| " + " | ".join(header) + " |")
        self.lines.append("|" + "|".join(" --- " if i < numeric_from else " ---: " for i in range(len(header))) + "|")
        for row in rows:
            self.lines.append("| " + " | ".join(row) + " |")
        self.lines.append("")

    def text(self) -> str:
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"


def render_report(summary: Summary) -> str:
    """The Markdown briefing (通报): deterministic, redacted, safe to paste."""
    doc = _Doc(summary.lang)
    _report_head(doc, summary)
    _report_overview(doc, summary)
    _report_ranking(doc, summary)
    _report_breakdowns(doc, summary)
    _report_lists(doc, summary)
    _report_repeats(doc, summary)
    _report_mediation(doc, summary)
    _report_backlog(doc, summary)
    _report_escalated(doc, summary)
    _report_featured(doc, summary)
    _report_warnings(doc, summary)
    return doc.text()


def _policy_text(policy: Policy, lang: str) -> str:
    zh = lang == "zh"
    days = dict(policy.resolve_days)
    unit = label(policy.calendar, lang)

    def limit(n: int) -> str:  # '3 工作日', '1 working day', '3 working days'
        return f"{n} {unit[:-1] if not zh and n == 1 else unit}"

    limits = ("、" if zh else ", ").join(
        f"{label(kind, lang) if kind != 'default' else ('其他' if zh else 'others')} {limit(n)}"
        for kind, n in days.items())
    parts = [("交办时限 " if zh else "dispatch within ") + f"{policy.dispatch_hours} " + ("小时" if zh else "hours"),
             ("办结时限：" if zh else "resolve within: ") + limits]
    if policy.category_resolve_days:
        parts.append(("分类时限：" if zh else "by category: ") + ("、" if zh else ", ").join(
            f"{md_escape(k)} {limit(n)}" for k, n in policy.category_resolve_days))
    if policy.calendar == "workdays":
        parts.append((f"节假日 {len(policy.holidays)} 天、调休上班 {len(policy.makeup_workdays)} 天" if zh else
                      f"{len(policy.holidays)} holidays, {len(policy.makeup_workdays)} make-up working days"))
    weights = ("、" if zh else ", ").join(f"{label(k, lang)} {Decimal(v.numerator) / Decimal(v.denominator):g}"
                                         for k, v in policy.weights)
    parts.append(("综合得分权重：" if zh else "score weights: ") + weights)
    if policy.basically_satisfied_weight != 1:
        w = policy.basically_satisfied_weight
        parts.append(("“基本满意”按 " if zh else "'basically satisfied' counts ") + f"{Decimal(w.numerator) / Decimal(w.denominator):g}")
    parts.append((f"每件超期扣 {display_value('penalty_points', policy.penalty_per_overdue)} 分" if zh else
                  f"{display_value('penalty_points', policy.penalty_per_overdue)} point(s) per overdue or late case"))
    return ("；" if zh else "; ").join(parts)


def _report_head(doc: _Doc, summary: Summary) -> None:
    ledger = summary.ledger
    zh = summary.lang == "zh"
    doc.lines += ["# " + md_escape(report_title(summary)), ""]
    items = [(doc.t("r_jurisdiction"), md_escape(ledger.jurisdiction))]
    if ledger.period:
        items.append((doc.t("r_period"), f"{ledger.period[0]} {'至' if zh else 'to'} {ledger.period[1]}"))
    items.append((doc.t("r_as_of"), format_time_short(parse_iso(summary.as_of_text), ledger.policy.tz_seconds)
                  + f" ({ledger.policy.timezone})"))
    items.append((doc.t("r_policy"), _policy_text(ledger.policy, summary.lang)))
    sources = ("；" if zh else "; ").join(f"{md_escape(name)} (SHA-256 `{digest}`)" for name, digest in summary.sources)
    items.append((doc.t("r_source"), f"{sources}; grassroots-report {__version__}"))
    for name, value in items:
        doc.lines.append(f"- **{name}**：{value}" if zh else f"- **{name}**: {value}")
    doc.lines.append("")


def parse_iso(text: str) -> int:
    """Epoch seconds of the ISO text this module writes."""
    return int(dt.datetime.fromisoformat(text).timestamp())


KPI_KEYS = ("completion_rate", "on_time_rate", "response_rate", "visit_rate", "satisfaction_rate",
            "solved_rate", "mediation_success_rate", "backlog_cleared_rate", "return_rate")


def _report_overview(doc: _Doc, summary: Summary) -> None:
    totals = summary.totals
    zh = summary.lang == "zh"
    doc.section(doc.t("r_overview"))
    if zh:
        text = (f"本期共受理 {totals['received']} 件（撤回 {totals['withdrawn']} 件），办结 {totals['resolved']} 件，"
                f"办结率 {percent(totals['completion_rate'])}，按期办结率 {percent(totals['on_time_rate'])}，"
                f"满意率 {percent(totals['satisfaction_rate'])}，解决率 {percent(totals['solved_rate'])}；"
                f"超期未办结 {totals['overdue']} 件，超期办结 {totals['late']} 件。")
    else:
        text = (f"{totals['received']} cases were received ({totals['withdrawn']} withdrawn) and "
                f"{totals['resolved']} resolved: completion {percent(totals['completion_rate'])}, on time "
                f"{percent(totals['on_time_rate'])}, satisfaction {percent(totals['satisfaction_rate'])}, solved "
                f"{percent(totals['solved_rate'])}; {totals['overdue']} open past their deadline and "
                f"{totals['late']} resolved late.")
    if summary.missed_targets:
        names = ("、" if zh else ", ").join(label(k, summary.lang) for k in summary.missed_targets)
        text += f"**未达目标：{names}。**" if zh else f" **Targets missed: {names}.**"
    doc.para(text)
    targets = dict(summary.ledger.policy.targets)
    rows = []
    for key in KPI_KEYS:
        target = targets.get(key)
        target_text = "—" if target is None else ("≤ " if key in LOWER_IS_BETTER else "≥ ") + percent(target)
        if target is None or totals[key] is None:
            met = "—"
        else:
            met = doc.t("r_no") if target_missed(key, totals[key], targets) else doc.t("r_yes")
        rows.append([doc.t(key), percent(totals[key]), target_text, met])
    for key in ("median_hours_to_resolve", "score", "penalty_points"):
        rows.append([doc.t(key), display_value(key, totals[key]), "—", "—"])
    doc.table([doc.t("r_metric"), doc.t("r_value"), doc.t("r_target"), doc.t("r_met")], rows)


def _report_ranking(doc: _Doc, summary: Summary) -> None:
    doc.section(doc.t("r_ranking"))
    units = summary.groups["unit"]
    keys = ("received", "resolved", "completion_rate", "on_time_rate", "satisfaction_rate", "score", "penalty_points")

    def row(entry: dict[str, Any], with_rank: bool) -> list[str]:
        warning = ("🔴 " + (f"超期 {entry['overdue']} 件" if doc.lang == "zh" else f"{entry['overdue']} overdue")) \
            if entry["overdue"] else ""
        cells = [md_escape(entry["name"])] + [display_value(k, entry[k]) for k in keys] + [warning]
        return ([str(entry["rank"])] if with_rank else []) + cells

    header = [doc.t("unit")] + [doc.t(k) for k in keys] + [doc.t("r_warning")]
    ranked = [e for e in units if e["rank"] is not None]
    rest = [e for e in units if e["rank"] is None]
    if ranked:
        doc.table([doc.t("rank")] + header, [row(e, True) for e in ranked], numeric_from=2)
    if rest:
        doc.para("**" + doc.t("r_unranked", n=summary.ledger.policy.rank_min_cases) + "**")
        doc.table(header, [row(e, False) for e in rest])
    if not units:
        doc.para(doc.t("r_none"))


def _report_breakdowns(doc: _Doc, summary: Summary) -> None:
    leads = {c["name"]: c.get("lead") for c in summary.ledger.categories}
    for grouping, section in (("category", "r_categories"), ("channel", "r_channels")):
        doc.section(doc.t(section))
        entries = summary.groups[grouping]
        if not entries:
            doc.para(doc.t("r_none"))
            continue
        total = summary.totals["received"]
        largest = max(e["received"] for e in entries)
        header = [doc.t(grouping)] + ([doc.t("r_lead")] if grouping == "category" and any(leads.values()) else []) + \
            [doc.t("received"), doc.t("r_share"), doc.t("completion_rate"), doc.t("satisfaction_rate"), doc.t("r_bar")]
        rows = []
        for entry in entries:
            name = md_escape(group_display_name(grouping, entry["name"], doc.lang))
            lead = [md_escape(leads.get(entry["name"]) or "—")] if len(header) == 7 else []
            rows.append([name] + lead + [str(entry["received"]), percent(ratio(entry["received"], total)),
                                         percent(entry["completion_rate"]), percent(entry["satisfaction_rate"]),
                                         bar(entry["received"], largest)])
        doc.table(header, rows, numeric_from=len(header) - 5)
        if grouping == "category":
            hot = sorted(((n, major, minor) for (major, minor), n in summary.extras["subcategories"].items() if minor),
                         key=lambda x: (-x[0], x[1], x[2]))[:10]
            if hot:
                doc.para("**" + doc.t("r_hot") + "**")
                doc.table([doc.t("category"), doc.t("r_subcategory"), doc.t("received")],
                          [[md_escape(major), md_escape(minor), str(n)] for n, major, minor in hot], numeric_from=2)


def _report_lists(doc: _Doc, summary: Summary) -> None:
    tz = summary.ledger.policy.tz_seconds
    doc.section(doc.t("r_overdue"))
    if summary.overdue:
        doc.table([doc.t("r_id"), doc.t("unit"), doc.t("category"), doc.t("r_deadline"), doc.t("r_days_overdue")],
                  [["🔴 " + md_escape(e["id"]), md_escape(e["unit"]), md_escape(e["category"]),
                    format_time_short(parse_iso(e["deadline"]), tz), str(e["days_overdue"])]
                   for e in summary.overdue], numeric_from=4)
    else:
        doc.para(doc.t("r_none"))
    doc.section(doc.t("r_dissatisfied"))
    if summary.dissatisfied:
        doc.table([doc.t("r_id"), doc.t("unit"), doc.t("category")],
                  [[md_escape(e["id"]), md_escape(e["unit"]), md_escape(e["category"])] for e in summary.dissatisfied],
                  numeric_from=3)
    else:
        doc.para(doc.t("r_none"))


def _report_mediation(doc: _Doc, summary: Summary) -> None:
    totals = summary.totals
    if not totals["mediations"]:
        return
    zh = doc.lang == "zh"
    doc.section(doc.t("r_mediation"))
    by = summary.extras["mediation_by"]
    outcomes = Counter()
    for (kind, _name, outcome), n in by.items():
        if kind == "mediator":
            outcomes[outcome] += n
    amount_total = summary.extras["agreement_amount"]
    if zh:
        text = (f"本期调解 {totals['mediations']} 件，达成协议 {totals['mediation_agreements']} 件，"
                f"调解成功率 {percent(totals['mediation_success_rate'])}（不含调解中的案件）")
        text += f"；协议金额合计 {amount_total:,} 元。" if amount_total is not None else "。"
    else:
        text = (f"{totals['mediations']} mediations, {totals['mediation_agreements']} agreements: success rate "
                f"{percent(totals['mediation_success_rate'])} (pending cases left out)")
        text += f"; agreed amounts total {amount_total:,} yuan." if amount_total is not None else "."
    doc.para(text)
    for kind, key in (("mediator", "r_mediator"), ("room", "r_room"), ("method", "r_method")):
        names = sorted({name for (k, name, _o) in by if k == kind})
        if not names:
            continue
        rows = []
        for name in names:
            counts = [by[kind, name, outcome] for outcome in OUTCOMES]
            decided = counts[1] + counts[2] + counts[3]
            rows.append([md_escape(name)] + [str(c) for c in counts] + [percent(ratio(counts[1], decided))])
        doc.table([doc.t(key)] + [doc.t(o) for o in OUTCOMES] + [doc.t("mediation_success_rate")], rows)


def _report_backlog(doc: _Doc, summary: Summary) -> None:
    backlog = summary.extras["backlog"]
    if not backlog:
        return
    totals = summary.totals
    zh = doc.lang == "zh"
    doc.section(doc.t("r_backlog"))
    remaining = totals["backlog"] - totals["backlog_resolved"]
    doc.para(f"信访积案 {totals['backlog']} 件，已化解 {totals['backlog_resolved']} 件，剩余 {remaining} 件，"
             f"积案化解率 {percent(totals['backlog_cleared_rate'])}。" if zh else
             f"{totals['backlog']} backlog cases, {totals['backlog_resolved']} cleared, {remaining} remaining: "
             f"cleared rate {percent(totals['backlog_cleared_rate'])}.")
    ordered = sorted(backlog, key=lambda b: (b["status"] == "resolved", b["since"], b["id"]))
    doc.table([doc.t("r_id"), doc.t("unit"), doc.t("r_since"), doc.t("r_leader"), doc.t("r_risk"), doc.t("r_status")],
              [[md_escape(b["id"]), md_escape(b["unit"]), b["since"], md_escape(b["leader"] or "—"),
                doc.t(b["risk"]) if b["risk"] else "—", doc.t("status_" + b["status"])] for b in ordered],
              numeric_from=6)


def _report_escalated(doc: _Doc, summary: Summary) -> None:
    escalations = summary.extras["escalations"]
    if not escalations:
        return
    doc.section(doc.t("r_escalated"))
    doc.table([doc.t("r_id"), doc.t("unit"), doc.t("r_at"), doc.t("r_to"), doc.t("r_reason"), doc.t("r_status")],
              [[md_escape(e["id"]), md_escape(e["unit"]), md_escape(e["at"]), md_escape(e["to"]),
                md_escape(mask_text(e["reason"] or "—")), doc.t("status_" + e["status"])] for e in escalations],
              numeric_from=6)


def _report_featured(doc: _Doc, summary: Summary) -> None:
    featured = summary.extras["featured"]
    if not featured:
        return
    zh = doc.lang == "zh"
    doc.section(doc.t("r_featured"))
    for number, case in enumerate(featured, start=1):
        requester = case.get("requester") or {}
        names = [requester.get("name") or ""]
        doc.lines += [f"**{number}. {md_escape(case['id'])}**（{md_escape(case['category'])}，{md_escape(case['unit'])}）"
                      if zh else f"**{number}. {md_escape(case['id'])}** ({md_escape(case['category'])}, "
                      f"{md_escape(case['unit'])})", ""]
        sep = "：" if zh else ": "
        if case.get("summary"):
            who = f"{mask_name(names[0])}，" if zh and names[0] else ""
            doc.lines.append(f"- {doc.t('r_request')}{sep}{md_escape(who + mask_text(case['summary'], names))}")
        if case.get("location"):
            doc.lines.append(f"- {doc.t('r_location')}{sep}{md_escape(mask_text(case['location'], names))}")
        hours = case["_hours"]
        if hours is not None:
            handled = (f"{case['received']} 受理，{case['resolved']} 办结，用时 {round_half_up(hours, 1)} 小时"
                       if zh else f"received {case['received']}, resolved {case['resolved']}, "
                       f"{round_half_up(hours, 1)} hours")
        else:
            handled = f"{case['received']} 受理，{doc.t('status_' + case['status'])}" if zh else \
                f"received {case['received']}, {doc.t('status_' + case['status'])}"
        mediation = case.get("mediation")
        if mediation:
            handled += ("；" if zh else "; ") + doc.t(mediation["outcome"])
        doc.lines.append(f"- {doc.t('r_handling')}{sep}{md_escape(handled)}")
        visits = [v for v in case.get("visits") or () if v["satisfaction"] != "unreachable"]
        if visits:
            last = visits[-1]
            note = ("（" + mask_text(last["note"], names) + "）" if zh else " (" + mask_text(last["note"], names) + ")") \
                if last.get("note") else ""
            doc.lines.append(f"- {doc.t('r_visit')}{sep}{md_escape(doc.t(last['satisfaction']) + note)}")
        doc.lines.append("")


def _report_repeats(doc: _Doc, summary: Summary) -> None:
    """重复诉求: how many, by unit and category, their satisfaction, the top callers (masked)."""
    totals = summary.totals
    if not totals["repeats"]:
        return
    doc.section(doc.t("r_repeats"))
    doc.para(doc.t("r_repeats_text", repeats=totals["repeats"], days=summary.ledger.policy.repeat_days,
                   rate=percent(totals["repeat_rate"]),
                   satisfaction=percent(summary.extras["repeat_satisfaction_rate"])))
    for grouping in ("unit", "category"):
        entries = sorted((e for e in summary.groups[grouping] if e["repeats"]), key=lambda e: (-e["repeats"], e["name"]))
        doc.table([doc.t(grouping), doc.t("repeats"), doc.t("repeat_rate")],
                  [[md_escape(e["name"]), str(e["repeats"]), percent(e["repeat_rate"])] for e in entries])
    if summary.repeat_callers:
        sep = "、" if doc.lang == "zh" else ", "
        doc.para("**" + doc.t("r_repeat_callers") + "**")
        doc.table([doc.t("r_caller"), doc.t("r_units"), doc.t("r_categories_of"), doc.t("repeats"),
                   doc.t("r_caller_cases")],
                  [[md_escape(c["caller"]), md_escape(sep.join(c["units"])), md_escape(sep.join(c["categories"])),
                    str(c["repeats"]), str(c["cases"])] for c in summary.repeat_callers], numeric_from=3)


def signal_text(signal: dict[str, Any], policy: Policy, lang: str) -> str:
    """One signal as a sentence naming the unit and saying what to check (not escaped)."""
    kind = signal["kind"]
    if kind == "bulk_closure":
        tz = policy.tz_seconds
        start = format_time_short(parse_iso(signal["start"]), tz)
        end = format_time_short(parse_iso(signal["end"]), tz)
        if end[:10] == start[:10]:
            end = end[11:]  # the same day: 2024-03-05 10:02–10:09
        return label("s_bulk_closure", lang).format(unit=signal["unit"], start=start, end=end, cases=signal["cases"],
                                                    minutes=display_value("", policy.bulk_closure_minutes),
                                                    threshold=policy.bulk_closure_cases)
    return label("s_" + kind, lang).format(unit=signal["unit"], cases=signal["cases"],
                                           minutes=display_value("", policy.min_visit_minutes))


def _report_warnings(doc: _Doc, summary: Summary) -> None:
    if not summary.warning_count and not summary.signals:
        return
    doc.section(doc.t("r_warnings"))
    if summary.signals:
        doc.para(doc.t("r_signals"))
        for signal in summary.signals:
            doc.lines.append("- " + md_escape(signal_text(signal, summary.ledger.policy, doc.lang)))
        doc.lines.append("")
    if summary.warning_count:
        doc.para(msg("n_warnings", doc.lang, total=summary.warning_count))
        for warning in summary.warnings[:20]:
            doc.lines.append("- " + md_escape(mask_text(warning.render())))
        doc.lines.append("")


# =============================================================================
# Command line
# =============================================================================
def render_problems(analysis: Analysis, lang: str, strict: bool) -> tuple[str, str]:
    """(problems text, warnings text) for stderr, each bounded with a total line."""
    def listing(items: list[Problem], count: int, total_key: str) -> str:
        if not count:
            return ""
        # values quoted in messages may be phone or ID numbers: masked here too
        lines = [terminal_safe(mask_text(p.render())) for p in items[:MAX_PRINTED_PROBLEMS]]
        if count > len(lines):
            lines.append(msg("more_problems", lang, more=count - len(lines), total=count))
        else:
            lines.append(msg(total_key + ("_1" if count == 1 else ""), lang, total=count))
        return "\n".join(lines)

    prefix = "warning: " if lang == "en" else "警告："
    warnings = [dataclasses.replace(w, message=prefix + w.message) for w in analysis.warnings]
    return (listing(analysis.problems, analysis.problem_count, "n_problems"),
            listing(warnings, analysis.warning_count, "n_warnings"))


def run_checks(files: tuple[str, ...], options: Options) -> Analysis:
    """Read and check; problems (and warnings under --strict) end the command with exit 1."""
    sources = open_sources(files)
    analysis = analyse(sources, options)
    problems, warnings = render_problems(analysis, options.lang, options.strict)
    if warnings:
        click.echo(warnings, err=True)
    if problems:
        raise InvalidDataError(problems)
    if options.strict and analysis.warning_count:
        raise InvalidDataError("存在警告，且使用了 --strict" if options.lang == "zh"
                               else "there are warnings and --strict was given")
    return analysis


def _has_fileno(stream: Any) -> bool:
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True


def write_output(path: str, text: str, inputs: tuple[str, ...]) -> None:
    """Write `text` to `path` whole or not at all (temporary file, then rename)."""
    target = Path(path)
    if target.exists():
        target_stat = target.stat()
        for name in inputs:
            # standard input may be redirected from the very file named by -o
            stat = os.fstat(sys.stdin.fileno()) if name == "-" and _has_fileno(sys.stdin) else \
                (Path(name).stat() if name != "-" and Path(name).exists() else None)
            if stat is not None and (stat.st_dev, stat.st_ino) == (target_stat.st_dev, target_stat.st_ino):
                raise UsageIOError(f"{path}: 这是输入文件，不能覆盖 / is an input file; choose another output path")
    data = text.encode("utf-8")
    if target.exists() and not target.is_file():
        # a device or pipe (/dev/stdout, /dev/full): written in place, never renamed over
        try:
            with open(target, "wb") as handle:
                handle.write(data)
        except OSError as error:
            raise UsageIOError(f"{path}: 无法写入 / cannot write: {error.strerror}") from None
        return
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UsageIOError(f"{path}: 目录不存在 / no such directory: {directory}")
    temp_name = None
    try:
        with tempfile.NamedTemporaryFile("wb", dir=directory, prefix=f".{target.name}.", suffix=".tmp",
                                         delete=False) as handle:
            temp_name = handle.name
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
        temp_name = None
    except OSError as error:
        raise UsageIOError(f"{path}: 无法写入 / cannot write: {error.strerror}") from None
    finally:
        if temp_name is not None and os.path.exists(temp_name):
            os.unlink(temp_name)


def _options(lang: str, encoding: str | None, as_of: str | None, strict: bool, needs: str) -> Options:
    if as_of is not None and not _TIME_RE.match(as_of):
        raise click.BadParameter(msg("pattern_datetime", lang, raw=as_of), param_hint="--as-of")
    if as_of is not None:
        try:
            parse_time(as_of, 0)
        except TimeError as error:
            raise click.BadParameter(msg("bad_date", lang, raw=as_of, reason=_time_reason(error, lang)),
                                     param_hint="--as-of") from None
    if encoding is not None:
        try:
            "".encode(encoding)
        except LookupError:
            raise click.BadParameter(f"unknown encoding {encoding!r}", param_hint="--encoding") from None
    return Options(lang=lang, encoding=encoding, as_of=as_of, strict=strict, needs=needs)


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--as-of, --lang, --strict and --encoding, shared by the data commands."""
    command = click.option("--encoding", metavar="NAME", default=None,
                           help="Read the files in this encoding (e.g. gbk) instead of UTF-8.")(command)
    command = click.option("--strict", is_flag=True, help="Warnings fail the run (exit 1).")(command)
    command = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                           help="Language of messages, tables and the report.")(command)
    command = click.option("--as-of", "as_of", metavar="DATETIME", default=None,
                           help="Count overdue cases as of this time, e.g. '2024-04-01 09:00'.")(command)
    return click.argument("files", nargs=-1, required=True, metavar="FILE...")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="grassroots-report")
def cli() -> None:
    """Check a case ledger (台账) and turn it into a briefing (通报).

    \b
    Main job, on an example ledger:
        grassroots-report run examples/hotline-2024-03.yaml -o report.md

    Exit codes: 0 done; 1 the data is invalid (or has warnings, with
    --strict); 2 usage or I/O error; 3 a policy target was missed (with
    --fail-on-target); 130 interrupted.
    """


@cli.command()
@common_options
def check(files: tuple[str, ...], as_of: str | None, lang: str, strict: bool, encoding: str | None) -> None:
    """Check case files; problems go to stderr as FILE:LINE:COL: PATH: message.

    \b
    Example:
        grassroots-report check ledger.yaml
        grassroots-report check jan.yaml feb.yaml   # ids must be unique across both
    """
    options = _options(lang, encoding, as_of, strict, "check")
    analysis = run_checks(files, options)
    names = "、".join(files) if lang == "zh" else ", ".join(files)
    click.echo(msg("ok", lang, files=names, cases=analysis.cases), err=True)


def _fail_on_target(summary: Summary, fail: bool) -> None:
    if fail and summary.missed_targets:
        names = ", ".join(label(k, summary.lang) for k in summary.missed_targets)
        raise TargetMissedError(("未达目标：" if summary.lang == "zh" else "targets missed: ") + names)


@cli.command()
@common_options
@click.option("--by", "grouping", type=click.Choice(GROUPINGS), default="unit", show_default=True,
              help="Group the rows by unit, major category, channel or kind.")
@click.option("--format", "fmt", type=click.Choice(list(SUMMARY_RENDERERS)), default="table", show_default=True,
              help="table for a terminal; csv/tsv/json for scripts; markdown for documents.")
@click.option("--fail-on-target", is_flag=True, help="Exit 3 when a policy target is missed.")
def summary(files: tuple[str, ...], as_of: str | None, lang: str, strict: bool, encoding: str | None,
            grouping: str, fmt: str, fail_on_target: bool) -> None:
    """Print the summary table of the figures on stdout.

    \b
    Examples:
        grassroots-report summary ledger.yaml
        grassroots-report summary ledger.yaml --by category
        grassroots-report summary ledger.yaml --format json > summary.json
    """
    options = _options(lang, encoding, as_of, strict, "summary")
    analysis = run_checks(files, options)
    assert analysis.summary is not None
    if fmt == "json":  # written as it is made: the listed cases can be many
        for chunk in render_json_chunks(analysis.summary):
            click.echo(chunk, nl=False)
    else:
        click.echo(SUMMARY_RENDERERS[fmt](analysis.summary, grouping), nl=False)
    _fail_on_target(analysis.summary, fail_on_target)


@cli.command()
@common_options
@click.option("-o", "--output", metavar="OUT.md", default=None, help="Write the report here instead of stdout.")
@click.option("--fail-on-target", is_flag=True, help="Exit 3 when a policy target is missed.")
def report(files: tuple[str, ...], as_of: str | None, lang: str, strict: bool, encoding: str | None,
           output: str | None, fail_on_target: bool) -> None:
    """Write the Markdown briefing (通报) to stdout or to -o OUT.md.

    \b
    Example:
        grassroots-report report ledger.yaml -o report.md
        pandoc report.md -o report.docx
    """
    options = _options(lang, encoding, as_of, strict, "report")
    analysis = run_checks(files, options)
    assert analysis.summary is not None
    text = render_report(analysis.summary)
    if output:
        write_output(output, text, files)
    else:
        click.echo(text, nl=False)
    _fail_on_target(analysis.summary, fail_on_target)


@cli.command()
@common_options
@click.option("-o", "--output", metavar="OUT.md", default=None, help="Write the report here instead of stdout.")
@click.option("--fail-on-target", is_flag=True, help="Exit 3 when a policy target is missed.")
def run(files: tuple[str, ...], as_of: str | None, lang: str, strict: bool, encoding: str | None,
        output: str | None, fail_on_target: bool) -> None:
    """The main job: check, print the summary table, then the report.

    The report goes into -o OUT.md when given, else on stdout after the table.

    \b
    Example:
        grassroots-report run examples/hotline-2024-03.yaml -o report.md
    """
    options = _options(lang, encoding, as_of, strict, "report")
    analysis = run_checks(files, options)
    assert analysis.summary is not None
    text = render_report(analysis.summary)
    if output:
        write_output(output, text, files)
    click.echo(render_table(analysis.summary, "unit"), nl=False)
    if not output:
        click.echo()
        click.echo(text, nl=False)
    else:
        click.echo(("报告已写入 " if lang == "zh" else "report written to ") + output, err=True)
    _fail_on_target(analysis.summary, fail_on_target)


@cli.command()
def schema() -> None:
    """Print schema.yaml, the JSON Schema of the case file format."""
    click.echo(schema_path().read_text(encoding="utf-8"), nl=False)


@cli.command()
def example() -> None:
    """Print a complete, valid example case file to start from.

    \b
    Example:
        grassroots-report example > ledger.yaml
        grassroots-report check ledger.yaml
    """
    click.echo(EXAMPLE_LEDGER, nl=False)


def main(argv: list[str] | None = None) -> int:
    """The console script: runs the command and turns every outcome into an exit code."""
    try:
        try:
            cli.main(args=argv, prog_name="grassroots-report", standalone_mode=False)
            code = EXIT_OK
        except click.exceptions.Exit as done:
            code = done.exit_code
        except click.ClickException as error:
            error.show()
            code = error.exit_code
        except (click.exceptions.Abort, KeyboardInterrupt):
            click.echo("", err=True)
            code = EXIT_INTERRUPTED
        except SystemExit as stop:
            # INFO: click turns a closed stdout (EPIPE) into sys.exit(1) after
            # wrapping sys.stdout; a reader that went away is no error here.
            if not isinstance(sys.stdout, click.utils.PacifyFlushWrapper):
                raise
            raise BrokenPipeError from stop
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader went away (| head): end quietly, without a second error at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_OK
    return code


EXAMPLE_LEDGER = """\
# grassroots-report case file, format version 1 (see `grassroots-report schema`)
version: 1
jurisdiction: 东阿县
title: 东阿县 2024 年 3 月 12345 热线办理情况通报
period: {start: '2024-03-01', end: '2024-03-31'}
as_of: '2024-04-01 09:00'
policy:
  timezone: '+08:00'
  calendar: workdays
  holidays: ['2024-04-04', '2024-04-05']
  makeup_workdays: ['2024-04-07']
  dispatch_hours: 3
  resolve_days: {default: 3, consultation: 1, dispute: 15, petition: 60}
  category_resolve_days: {城乡建设/物业管理: 5}
  targets: {completion_rate: 0.95, satisfaction_rate: 0.9}
  weights: {response_rate: 0.1, solved_rate: 0.5, satisfaction_rate: 0.4}
  basically_satisfied_weight: 1.0
  rank_min_cases: 2
  penalty_per_overdue: 1
categories:
  - name: 城乡建设
    lead: 县住建局
    subcategories: [物业管理, 供水供暖]
  - name: 劳动保障
    lead: 县人社局
    subcategories: [欠薪]
  - name: 矛盾纠纷
    lead: 县司法局
    subcategories: [邻里纠纷]
units:
  - {name: 铜城街道, type: street}
  - {name: 县住建局, type: department}
  - {name: 县人社局, type: department}
cases:
  - id: 'DA-2024-03-0001'
    received: '2024-03-04 09:12'
    kind: complaint
    channel: hotline
    category: 城乡建设/物业管理
    unit: 铜城街道
    co_units: [县住建局]
    summary: 小区电梯停运三天，物业不予答复
    location: 铜城街道阿胶街 8 号
    requester: {name: 张伟, phone: '13912345678'}
    dispatched: '2024-03-04 09:40'
    status: resolved
    resolved: '2024-03-06 16:00'
    returns: 0
    visits:
      - {at: '2024-03-07 10:00', satisfaction: satisfied, solved: true}
    featured: true
    tags: [电梯]
    extra: {工单编号: 'DA2403-0001'}
  - id: 'DA-2024-03-0002'
    received: '2024-03-05 14:30'
    kind: help
    category: 劳动保障/欠薪
    unit: 县人社局
    summary: 农民工讨要 2023 年工资 4.2 万元
    requester: {name: 欧阳娜, phone: '15866667777', id_number: '372524198703151234'}
    dispatched: '2024-03-05 15:10'
    status: resolved
    resolved: '2024-03-12 11:00'
    escalated: {at: '2024-03-08 09:00', to: 县政府分管领导, reason: 涉及人数多}
    visits:
      - {at: '2024-03-12 15:00', satisfaction: dissatisfied, solved: false}
      - {at: '2024-03-14 10:00', satisfaction: satisfied, solved: true, note: 已全额发放}
    risk: medium
  - id: 'DA-2024-03-0003'
    received: '2024-03-28 10:00'
    kind: dispute
    channel: walk_in
    category: 矛盾纠纷/邻里纠纷
    unit: 铜城街道
    summary: 相邻宅基地滴水檐纠纷
    status: resolved
    resolved: '2024-03-29 17:00'
    mediation: {outcome: agreement, mediator: 李建国, room: 第一调解室, method: 面对面调解, amount: 2000}
  - id: 'DA-2024-03-0004'
    received: '2024-03-25 08:30'
    kind: complaint
    category: 城乡建设/供水供暖
    unit: 县住建局
    summary: 老旧小区连续停水
    dispatched: '2024-03-25 13:00'
    status: open
    returns: 1
  - id: 'DA-2024-03-0005'
    received: '2024-03-20 09:00'
    kind: consultation
    channel: online
    category: 劳动保障
    unit: 县人社局
    summary: 咨询灵活就业人员社保缴费
    status: withdrawn
  - id: 'DA-2024-03-0006'
    received: '2024-03-11 16:20'
    kind: petition
    channel: letter
    category: 城乡建设
    unit: 县住建局
    summary: 反映棚户区改造安置房迟迟未交付
    dispatched: '2024-03-11 17:00'
    status: resolved
    resolved: '2024-03-29 10:00'
    reasonable: false
    backlog: {since: '2021-06-01', leader: 县委常委、常务副县长}
    visits:
      - {at: '2024-03-30 09:00', satisfaction: unreachable}
"""


if __name__ == "__main__":
    sys.exit(main())
