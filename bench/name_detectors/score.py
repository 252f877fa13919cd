"""Score detector outputs in /tmp/nerv/out/*.json against the tune labels."""
import json, sys, glob, os
from collections import Counter, defaultdict

data = json.load(open("/tmp/nerv/tune.json"))
# 百家姓 (written out independently of the project's rules) + a few frequent modern surnames
SINGLE = set("赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎"
             "鲁韦昌马苗凤花方俞任袁柳酆鲍史唐费廉岑薛雷贺倪汤滕殷罗毕郝邬安常乐于时傅皮卞齐康伍余元卜顾孟平黄"
             "和穆萧尹姚邵湛汪祁毛禹狄米贝明臧计伏成戴谈宋茅庞熊纪舒屈项祝董梁杜阮蓝闵席季麻强贾路娄危江童颜郭"
             "梅盛林刁钟徐邱骆高夏蔡田樊胡凌霍虞万支柯昝管卢莫经房裘缪干解应宗丁宣贲邓郁单杭洪包诸左石崔吉钮龚"
             "程嵇邢滑裴陆荣翁荀羊於惠甄曲家封芮羿储靳汲邴糜松井段富巫乌焦巴弓牧隗山谷车侯宓蓬全郗班仰秋仲伊宫"
             "宁仇栾暴甘钭厉戎祖武符刘景詹束龙叶幸司韶郜黎蓟薄印宿白怀蒲邰从鄂索咸籍赖卓蔺屠蒙池乔阴鬱胥能苍双"
             "闻莘党翟谭贡劳逄姬申扶堵冉宰郦雍卻璩桑桂濮牛寿通边扈燕冀郏浦尚农温别庄晏柴瞿阎充慕连茹习宦艾鱼容"
             "向古易慎戈廖庾终暨居衡步都耿满弘匡国文寇广禄阙东欧殳沃利蔚越夔隆师巩厍聂晁勾敖融冷訾辛阚那简饶空"
             "曾毋沙乜养鞠须丰巢关蒯相查后荆红游竺权逯盖益桓公晋楚闫法汝鄢涂钦岳帅缑亢况郈有琴商牟佘佴伯赏墨哈"
             "谯笪年爱阳佟言福" "付肖覃冼郄眭庹揭邸亓仉")
COMPOUND = ("万俟 司马 上官 欧阳 夏侯 诸葛 闻人 东方 赫连 皇甫 尉迟 公羊 澹台 公冶 宗政 濮阳 淳于 单于 太叔 申屠 公孙 "
            "仲孙 轩辕 令狐 钟离 宇文 长孙 慕容 鲜于 闾丘 司徒 司空 亓官 司寇 子车 颛孙 端木 巫马 公西 漆雕 乐正 壤驷 "
            "公良 拓跋 夹谷 宰父 谷梁 段干 百里 东郭 南门 呼延 归海 羊舌 微生 梁丘 左丘 东门 西门 南宫 第五").split()


def surname_start(s):
    return s[:1] in SINGLE or any(s.startswith(c) for c in COMPOUND)


def occurrences(text, needle):
    out, i = [], text.find(needle)
    while i >= 0:
        out.append((i, i + len(needle)))
        i = text.find(needle, i + 1)
    return out


def score(spans_per, filt=None):
    st = Counter()
    tag_tot, tag_hit = Counter(), Counter()
    fp_examples, miss_examples, over_examples = [], [], []
    for e, spans in zip(data, spans_per):
        text = e["text"]
        spans = [tuple(s) for s in spans]
        if filt:
            spans = [s for s in spans if filt(text[s[0]:s[1]])]
        names = [o for sp in e["spans"] if sp["kind"] == "name" for o in occurrences(text, sp["text"])]
        st["spans"] += len(spans)
        for s in spans:
            hit = [o for o in names if s[0] < o[1] and o[0] < s[1]]
            if not hit:
                st["fp"] += 1
                fp_examples.append(text[s[0]:s[1]])
            else:
                st["tp_overlap"] += 1
                if any(s == o for o in hit):
                    st["exact"] += 1
                elif any(s[0] <= o[0] and s[1] >= o[1] for o in hit):
                    st["overlong"] += 1
                    over_examples.append(text[s[0]:s[1]])
        for o in names:
            st["names"] += 1
            for t in e.get("tags", []):
                tag_tot[t] += 1
            if any(s[0] <= o[0] and s[1] >= o[1] for s in spans):
                st["found"] += 1
                for t in e.get("tags", []):
                    tag_hit[t] += 1
            else:
                if any(s[0] < o[1] and o[0] < s[1] for s in spans):
                    st["partial"] += 1
                miss_examples.append(text[o[0]:o[1]])
        if not e["spans"]:
            st["clean"] += 1
            if spans:
                st["clean_changed"] += 1
    r = dict(st)
    r["recall"] = st["found"] / st["names"]
    r["precision"] = st["tp_overlap"] / st["spans"] if st["spans"] else 0
    r["exact_precision"] = st["exact"] / st["spans"] if st["spans"] else 0
    r["tag_recall"] = {t: f"{tag_hit[t]}/{tag_tot[t]}" for t in sorted(tag_tot)}
    r["fp_top"] = Counter(fp_examples).most_common(25)
    r["miss_sample"] = miss_examples[:40]
    r["over_sample"] = Counter(over_examples).most_common(20)
    return r


if __name__ == "__main__":
    res = {}
    for f in sorted(glob.glob("/tmp/nerv/out/*.json")):
        d = json.load(open(f))
        res[d["cand"]] = {"t300": d["t300"], "plain": score(d["spans"]), "surname": score(d["spans"], surname_start)}
    json.dump(res, open("/tmp/nerv/scores.json", "w"), ensure_ascii=False, indent=1)
    print(f"{'cand':12} {'rec':>6} {'prec':>6} {'exactP':>6} {'spans':>5} {'fp':>4} {'over':>4} {'cleanchg':>8} | surname-filter: {'rec':>6} {'prec':>6} {'fp':>4} {'cleanchg':>8}")
    for c, r in res.items():
        p, s = r["plain"], r["surname"]
        print(f"{c:12} {p['recall']:6.3f} {p['precision']:6.3f} {p['exact_precision']:6.3f} {p['spans']:5} {p.get('fp',0):4} {p.get('overlong',0):4} {p.get('clean_changed',0):4}/{p['clean']:<3} | {'':15}{s['recall']:6.3f} {s['precision']:6.3f} {s.get('fp',0):4} {s.get('clean_changed',0):4}/{s['clean']}")
