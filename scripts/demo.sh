#!/usr/bin/env bash
# The main job end to end on a throwaway locker with the bundled demo case (../shared/corpus/demo).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
DEMO="$SHARED/corpus/demo"
[ -d "$DEMO" ] || { echo "demo: no demo case at $DEMO (shared/ must sit beside this repo)" >&2; exit 2; }
LOCKER="$PWD/.venv/bin/locker"
OUT="$PWD/demo-out"
rm -rf "$OUT"; mkdir -p "$OUT"; chmod 700 "$OUT"
export LOCKER_HOME="$OUT/locker"
export LOCKER_PASSPHRASE="demo passphrase 示例"
unset LOCKER_NEW_PASSPHRASE
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "locker init  (a new encrypted locker in $LOCKER_HOME)"
"$LOCKER" init > "$OUT/recovery-key.txt"
echo "recovery key written to $OUT/recovery-key.txt (a real user writes it on paper)"

step "locker party add 好借花 --number ...  (the lender's numbers, from case.json)"
"$LOCKER" party add 好借花 --number 17155550001 --number 17155550002 --number 10691110001 --number 075512345678 \
  --signature 【好借花】

step "locker add  (every file of the demo case)"
"$LOCKER" add "$DEMO"/*.xml "$DEMO"/*.m4a "$DEMO"/*.mp3 "$DEMO"/*.jpg

step "locker ls"
"$LOCKER" ls

step "locker events --per-day  (contacts per day)"
"$LOCKER" events --per-day

step "locker findings  (the ten categories, each pointing at its events and items)"
"$LOCKER" findings

step "locker triage  (a genuine court message, then a fake 'mediation' one)"
"$LOCKER" triage --from 12368 "【深圳市南山区人民法院】王五：您与好借花网络小额贷款有限公司借款合同纠纷一案已进入诉前调解，请登录人民法院调解平台查看，如有疑问请拨打本院公开电话核实。"
echo
"$LOCKER" triage --from 17155550009 "【法院调解中心】王五你好，你的欠款已进入诉前调解程序，请2小时内添加调解员微信tj2026并缴纳保证金3000元，否则立即冻结名下银行卡并列入失信名单。"

step "locker verify"
"$LOCKER" verify

step "locker report --to 12321  and  locker export"
# Personal details through stdin, not the command line (where `ps` and shell history keep them).
printf 'name: 王五\nid_number: 440305199202021234\nphone: 13600000000\naddress: 深圳市南山区科技园一路1号\n' \
  | "$LOCKER" profile set --from-file -
"$LOCKER" report --to 12321 --party 好借花 -o "$OUT/12321.pdf"
"$LOCKER" export --party 好借花 --report "$OUT/12321.pdf" -o "$OUT/bundle.zip"
echo
echo "complaint for 12321: $OUT/12321.pdf"
echo "lawyer's bundle:     $OUT/bundle.zip  (unzip it and run: sha256sum -c manifest-sha256.txt)"
echo
echo "demo locker: $LOCKER_HOME (throwaway; \`rm -rf $OUT\` removes it)"
