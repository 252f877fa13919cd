"""Masking: every rule of what is personal, one stage that all user text passes through.

The labelled snippet sets and their floors, the rules one at a time with exact
outputs, the README's masked example; then hostile input: a ledger full of
personal data, of which nothing may reach any output.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import grassroots_report as gr

from conftest import run_cli


# == The labelled snippet sets and their floors (issue 12) =========================================
SNIPPETS = Path(__file__).parent / "data" / "pii_snippets.yaml"
# written after the rules were fixed, and measured once before any change (README)
HELD_OUT = Path(__file__).parent / "data" / "pii_heldout.yaml"
KINDS = ("name", "phone", "id", "email", "card", "plate", "address")
# the floors of issue 12: recall per kind, and negatives given back unchanged
FLOORS = {"name": 0.97, "phone": 1.0, "id": 1.0, "email": 1.0, "card": 1.0, "plate": 0.90, "address": 0.90}
NEGATIVES_FLOOR = 0.95
NAME_PRECISION_FLOOR = 0.95


def load_snippets(path: Path = SNIPPETS) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["snippets"]


def measure(snippets: list[dict]) -> dict:
    """Recall per kind, name precision and the share of negatives unchanged, with the misses."""
    found, total, misses = Counter(), Counter(), []
    true_names = false_names = 0
    negatives = unchanged = 0
    for snippet in snippets:
        text = snippet["text"]
        masked = gr.mask_text(text)
        spans = [(kind, span) for kind in KINDS for span in snippet.get(kind, ())]
        if not spans:
            negatives += 1
            unchanged += masked == text
            if masked != text:
                misses.append(("negative", text, masked))
        for kind, span in spans:
            total[kind] += 1
            if span in masked:
                misses.append((kind, span, masked))
            else:
                found[kind] += 1
        names = snippet.get("name", ())
        for span in gr.find_pii(text):
            if span.kind == "name":
                hit = any(a <= span.start < a + len(n) or span.start <= a < span.end
                          for n in names for a in _positions(text, n))
                true_names += hit
                false_names += not hit
                if not hit:
                    misses.append(("false name", text[span.start:span.end], text))
    return {"recall": {k: found[k] / total[k] for k in KINDS}, "spans": dict(total),
            "name_precision": true_names / (true_names + false_names),
            "negatives": negatives, "negatives_unchanged": unchanged / negatives, "misses": misses}


def _positions(text: str, part: str) -> list[int]:
    out, at = [], text.find(part)
    while at >= 0:
        out.append(at)
        at = text.find(part, at + 1)
    return out


def test_the_labelled_set_is_as_large_as_the_issue_asks():
    snippets = load_snippets()
    assert len(snippets) >= 200
    assert sum(1 for s in snippets if not any(k in s for k in KINDS)) >= 60
    for snippet in snippets:  # every span is quoted exactly as the text has it
        for kind in KINDS:
            for span in snippet.get(kind, ()):
                assert isinstance(span, str) and span in snippet["text"], (kind, span)


@pytest.fixture(scope="module", params=[SNIPPETS, HELD_OUT], ids=["labelled", "held_out"])
def figures(request) -> dict:
    return measure(load_snippets(request.param))


@pytest.mark.parametrize("kind", KINDS)
def test_recall_per_kind_meets_its_floor(figures, kind):
    missed = [m for m in figures["misses"] if m[0] == kind]
    assert figures["recall"][kind] >= FLOORS[kind], missed


def test_name_precision(figures):
    wrong = [m for m in figures["misses"] if m[0] == "false name"]
    assert figures["name_precision"] >= NAME_PRECISION_FLOOR, wrong


def test_hard_negatives_come_out_unchanged(figures):
    changed = [m for m in figures["misses"] if m[0] == "negative"]
    assert figures["negatives_unchanged"] >= NEGATIVES_FLOOR, changed


if __name__ == "__main__":  # the figures for the README: python tests/test_masking.py [FILE]
    import sys
    result = measure(load_snippets(Path(sys.argv[1]) if len(sys.argv) > 1 else SNIPPETS))
    for kind in KINDS:
        print(f"{kind:8} recall {result['recall'][kind]:.2%} of {result['spans'][kind]}")
    print(f"snippets {sum(result['spans'].values())} spans")
    print(f"name precision {result['name_precision']:.2%}")
    print(f"negatives unchanged {result['negatives_unchanged']:.2%} of {result['negatives']}")
    for miss in result["misses"]:
        print(*miss, sep=" | ")


# == Rules, one at a time ==========================================================================
@pytest.mark.parametrize("text,masked", [
    # names: by a surname and a cue on either side, in the seeds' style
    ("来电人王建国反映，邻居张秀英家装修噪音大", "来电人王某某反映，邻居张某某家装修噪音大"),
    ("欧阳明辉称其家门口被占", "欧阳某某称其家门口被占"),
    ("市民李娜来电", "市民李某来电"),
    ("司马玉兰表示满意", "司马某某表示满意"),
    ("回访刘桂芳，表示满意", "回访刘某某，表示满意"),
    ("申请人武国庆与被申请人戴秀梅达成协议", "申请人武某某与被申请人戴某某达成协议"),
    ("当事人王建国、李秀英到场", "当事人王某某、李某某到场"),
    ("梅志远、童小军双方自愿达成协议", "梅某某、童某某双方自愿达成协议"),
    ("王建国先生表示", "王某某先生表示"),
    ("王春来来电反映", "王某某来电反映"),
    ("郭丽丽于3月8日来访", "郭某某于3月8日来访"),
    ("其父亲陈长贵住院", "其父亲陈某某住院"),
    ("来电人王建国称，王建国的妻子也在场", "来电人王某某称，王某某的妻子也在场"),
    # surname + honorific or title is anonymous already; masked names stay as they are
    ("王先生反映", "王先生反映"), ("张阿姨称", "张阿姨称"), ("据王书记介绍", "据王书记介绍"),
    ("当事人王某某与张某发生纠纷", "当事人王某某与张某发生纠纷"),
    ("调解员王建军组织双方协商", "调解员王某某组织双方协商"),
    ("申请人向王某借款", "申请人向王某借款"),
    # phones: mobiles in any writing, landlines with an area code, bare numbers only after a cue
    ("电话13812345678", "电话138****5678"),
    ("１３８１２３４５６７８", "138****5678"),
    ("+86 138-1234-5678", "+86 138****5678"),
    ("(0534) 2612345", "(0534) ****345"),
    ("0534-2612345", "0534-****345"),
    ("座机2612345", "座机****345"),
    ("拨打12345反映", "拨打12345反映"),
    # ID numbers: 18 or 15 digits, separators allowed, with a region and a birth date that exist
    ("372524 19870315 105X", "372524********105X"),
    ("372524-19900101-5672", "372524********5672"),
    ("旧证372524870315123", "旧证372524*****5123"),
    ("工单号202403150001234", "工单号202403150001234"),
    ("代码123714000045678912", "代码123714000045678912"),
    # bank cards pass Luhn; e-mail keeps its first letter and domain
    ("卡号6222 0252 6018 1590 832", "卡号6222***********0832"),
    ("卡号6222 0252 6018 1590 833", "卡号6222 0252 6018 1590 833"),
    ("邮箱wangjg@163.com", "邮箱w***@163.com"),
    # plates keep the province, the city letter and the last character
    ("车牌鲁N12345", "车牌鲁N·****5"),
    ("鲁NF36688新能源车", "鲁N·*****8新能源车"),
    # addresses keep the street number, never the unit or the room
    ("新河路12号3单元501室", "新河路12号***"),
    ("幸福小区5号楼2单元301室", "幸福小区***"),
    ("王庄村128号", "王庄村***"),
    # hard negatives
    ("新华街道王庄村村民反映", "新华街道王庄村村民反映"),
    ("张家口市、李家庄、德州市人社局", "张家口市、李家庄、德州市人社局"),
    ("做法不高明，讲王道，创文明，求公正，防万一，图方便，卖石油", "做法不高明，讲王道，创文明，求公正，防万一，图方便，卖石油"),
    ("DE-2024-000123，46万元，2024-03-15 09:30", "DE-2024-000123，46万元，2024-03-15 09:30"),
    ("两小时内来电47次", "两小时内来电47次"),
    ("女方来访称丈夫酗酒，男方表示同意", "女方来访称丈夫酗酒，男方表示同意"),
    ("全村320户村民", "全村320户村民"),
])
def test_mask_text_exact(text, masked):
    assert gr.mask_text(text) == masked


@pytest.mark.parametrize("name,masked", [
    ("张伟", "张某"), ("冯小刚", "冯某某"), ("欧阳娜娜", "欧阳某某"), ("欧阳", "欧某"),
    ("司马相如", "司马某某"), ("诸葛亮", "诸葛某"), ("王", "王某某"), ("John Smith", "J***"),
])
def test_mask_name(name, masked):
    assert gr.mask_name(name) == masked


@pytest.mark.parametrize("text,masked", [
    ("13912345678", "139****5678"),
    ("电话13912345678。", "电话139****5678。"),
    ("号码 139-1234-5678 打不通", "号码 139****5678 打不通"),
    ("+86 13912345678", "+86 139****5678"),
    ("身份证372524198703151234", "身份证372524********1234"),
    ("身份证37252419870315123X号", "身份证372524********123X号"),
    ("旧证 372524870315123", "旧证 372524*****5123"),
    ("座机0635-3281234", "座机0635-****234"), ("8613912345678", "86139****5678"),
    ("工单 DA-2024-03-0001 金额 46 万元", "工单 DA-2024-03-0001 金额 46 万元"),
])
def test_mask_text(text, masked):
    assert gr.mask_text(text) == masked


def test_mask_text_masks_the_requesters_own_name():
    assert gr.mask_text("张伟来电反映", ["张伟"]) == "张某来电反映"


def test_names_the_ledger_gives_are_masked_wherever_they_appear():
    assert gr.mask_text("据悉建国和王建国都不在家", ["王建国"]) == "据悉建国和王某某都不在家"
    assert gr.ledger_names({"requester": {"name": "王建国"}, "extra": {"联系人": "李娜", "紧急联系人姓名": "赵四",
                                                                  "备注": "张三"}}) == ["王建国", "李娜", "赵四"]


def test_identifiers_get_the_number_rules_only():
    assert gr.mask_identifier("王庄村") == "王庄村"
    assert gr.mask_identifier("DE-2024-000123") == "DE-2024-000123"
    assert gr.mask_identifier("王建国 13812345678") == "王建国 138****5678"


# characters the rules react to, so that random text hits them often
PIECES = st.text(alphabet="王李张欧阳司马某先生称反映来电人村民、与和的于0123456789０１２-() +X@.ab鲁N号单元室楼栋村区",
                 max_size=40)


@given(PIECES)
@settings(max_examples=300, deadline=None)
def test_masking_any_text_never_fails_and_masking_twice_changes_nothing(text):
    masked = gr.mask_text(text, ["王建国"])
    assert gr.mask_text(masked) == masked
    assert gr.mask_identifier(gr.mask_identifier(text)) == gr.mask_identifier(text)


def test_spans_say_what_they_found():
    spans = gr.find_pii("来电人王建国，电话13812345678")
    assert [(s.kind, s.start, s.end, s.replacement) for s in spans] == [
        ("name", 3, 6, "王某某"), ("phone", 9, 20, "138****5678")]


# == The README's masked example ===================================================================
def test_the_readme_example_is_what_report_prints(tmp_path):
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.split("### A masked featured case", 1)[1]
    case = example.split("```yaml\n", 1)[1].split("```", 1)[0]
    shown = example.split("```markdown\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "case.yaml"
    path.write_text("version: 1\njurisdiction: 东阿县\ncases:\n" + case, encoding="utf-8")
    result = run_cli("report", str(path))
    assert result.exit_code == 0, result.stderr
    assert shown in result.stdout
    for secret in ("王建国", "张秀英", "欧阳明辉", "5341", "19870315", "3单元501室", "鲁N3K825", "2612345"):
        assert secret not in result.stdout


# == Hostile input: nothing personal reaches any output ============================================
SECRETS = ("王建国", "张秀英", "欧阳明辉", "李娜", "13812345678", "138 5341 2290", "2612345",
           "372524198703159246", "372524 19870315 105X", "6222 0252 6018 1590 832", "wjg@example.com",
           "鲁N3K825", "3单元501室", "赵海峰")

HOSTILE_LEDGER = {
    "version": 1, "jurisdiction": "测试县",
    "period": {"start": "2024-03-01", "end": "2024-03-31"},
    "cases": [
        {"id": "H-1", "received": "2024-03-04 09:00", "kind": "complaint", "category": "城乡建设/物业管理",
         "unit": "新华街道",
         "summary": "来电人王建国反映，邻居张秀英家装修噪音大，手机13812345678，另一号码138 5341 2290，"
                    "身份证372524198703159246，银行卡6222 0252 6018 1590 832，邮箱wjg@example.com",
         "location": "新华街道新河路12号3单元501室，座机(0534) 2612345，车辆鲁N3K825",
         "requester": {"name": "欧阳明辉", "phone": "13812345678", "id_number": "372524 19870315 105X"},
         "dispatched": "2024-03-04 09:30", "status": "resolved", "resolved": "2024-03-05 10:00",
         "featured": True,
         "escalated": {"at": "2024-03-04 10:00", "to": "县住建局", "reason": "来电人李娜多次来电，电话13812345678"},
         "visits": [{"at": "2024-03-06 10:00", "satisfaction": "satisfied", "solved": True,
                     "note": "回访欧阳明辉，其表示满意；邻居张秀英称已停工"}],
         "mediation": {"outcome": "agreement", "mediator": "调解员王建军", "amount": 2000},
         "backlog": {"since": "2023-01-01", "leader": "副县长李明华"},
         "extra": {"联系人": "赵海峰", "备注": "赵海峰的身份证 372524 19870315 105X"}},
    ],
}


def _write(tmp_path, data) -> str:
    path = tmp_path / "hostile.yaml"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("args", [("report",), ("report", "--lang", "en"), ("run",),
                                  ("summary", "--format", "json"), ("summary", "--format", "csv"), ("summary", "--format", "tsv"),
                                  ("summary", "--format", "table"), ("summary", "--format", "markdown")])
def test_no_personal_string_reaches_any_output(tmp_path, args):
    result = run_cli(*args, _write(tmp_path, HOSTILE_LEDGER))
    assert result.exit_code == 0, result.stderr
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr, secret
    if args[0] in ("report", "run") and "en" not in args:
        assert "- 诉求：欧阳某某，来电人王某某反映，邻居张某某家装修噪音大，手机138\\*\\*\\*\\*5678" in result.stdout
        assert "新华街道新河路12号\\*\\*\\*，座机(0534) \\*\\*\\*\\*345，车辆鲁N·\\*\\*\\*\\*5" in result.stdout
        # officials in their role fields are public: as free text 调解员王建军 would be masked
        assert "| 调解员王建军 |" in result.stdout
        assert "| 副县长李明华 |" in result.stdout


def test_a_problem_quoting_a_phone_is_masked_on_stderr(tmp_path):
    bad = json.loads(json.dumps(HOSTILE_LEDGER))
    bad["cases"][0]["kind"] = "王建国 13812345678"
    result = run_cli("check", _write(tmp_path, bad))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "138****5678" in result.stderr
    assert "13812345678" not in result.stderr
