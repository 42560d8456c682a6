# Integration: every endpoint and every transaction type through the real quotad, signed with
# openssl from bash; refusals with their codes and an unchanged tree; reads per role.
source "$(dirname "$0")/daemon_lib.sh" "$1" "$2"

for k in logk op auth44 auth11 rep101 rep102 exch aud stranger; do genkey $k; done
seedfile logk "$T/log.key"
start_quotad "$T/data" || { echo "quotad did not start"; cat "$T/quotad.log"; exit 1; }

http GET /healthz
check "healthz answers before the genesis" [ "$CODE" = 200 ]
http GET /v1/log
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'j["public_key"]')" = "$(base64 -w0 < "$T/logk.pub")" ]; }; verdict "before the genesis /v1/log gives the configured log key"
http GET /v1/checkpoint
check "before the genesis there is no checkpoint: 404" [ "$CODE" = 404 ]
check "empty log has tree size 0" [ "$(tree_size)" = 0 ]

# --- genesis and setup (each transaction type through the API) ---------------------------------
GEN_ID=$(newid)
GENESIS='{"type":"genesis","id":"'$GEN_ID'","origin":"'$ORIGIN'","log_public_key":"'$(pubhex logk)'","national_account":1,"operator_threshold":1,"operator_keys":["'$(pubhex op)'"]}'
expect_tx "genesis signed by the log key is accepted" 200 ok "$GENESIS" logk
expect_tx "genesis resubmitted is 'exists'" 200 exists "$GENESIS" logk
check "exists reports the original index 0" [ "$(jget "$T/last.body" 'j["results"][0]["index"]')" = 0 ]

acct() { # acct ID KIND PROVINCE SECTOR USCC NAME
  echo '{"type":"account_open","id":"'$(newid)'","account":'$1',"kind":"'$2'","province":'$3',"sector":"'$4'","threshold":1,"uscc":"'$5'","name":"'$6'","note":""}'
}
expect_tx "account_open provincial 44" 200 ok "$(acct 4400 provincial 44 none '' 'Guangdong')" op
expect_tx "account_open provincial 11" 200 ok "$(acct 1100 provincial 11 none '' 'Beijing')" op
expect_tx "account_open enterprise 101" 200 ok "$(acct 101 enterprise 44 steel 91350100M000100Y43 'Steel Co')" op
expect_tx "account_open enterprise 102" 200 ok "$(acct 102 enterprise 44 cement 91110000802100433B 'Cement Co')" op
expect_tx "account_open participant 900" 200 ok "$(acct 900 participant 0 none '' 'Trader')" op

keyreg() { # keyreg NAME ROLE SCOPE
  echo '{"type":"key_register","id":"'$(newid)'","public_key":"'$(pubhex $1)'","role":"'$2'","scope":'$3',"name":"'$1'"}'
}
# Several envelopes in one request: a JSON array, one result each.
ARR="[$(envelope "$(keyreg auth44 authority 44)" op),$(envelope "$(keyreg auth11 authority 11)" op),$(envelope "$(keyreg rep101 representative 101)" op),$(envelope "$(keyreg rep102 representative 102)" op),$(envelope "$(keyreg exch exchange 0)" op),$(envelope "$(keyreg aud auditor 0)" op)]"
http POST /v1/tx -H 'Content-Type: application/json' --data-binary "$ARR"
check "key_register x6 as one JSON array: HTTP 200" [ "$CODE" = 200 ]
check "key_register x6: every result ok" [ "$(jget "$T/last.body" '[r["result"] for r in j["results"]]')" = '["ok", "ok", "ok", "ok", "ok", "ok"]' ]

expect_tx "instrument_create CEA-2025" 200 ok '{"type":"instrument_create","id":"'$(newid)'","code":"CEA-2025","kind":"cea","vintage":2025,"cap":10000000,"first_year":2025,"last_year":2030}' op
expect_tx "instrument_create CEA-2024" 200 ok '{"type":"instrument_create","id":"'$(newid)'","code":"CEA-2024","kind":"cea","vintage":2024,"cap":10000000,"first_year":2019,"last_year":2024}' op
expect_tx "compliance_year 2025" 200 ok '{"type":"compliance_year","id":"'$(newid)'","year":2025,"deadline_ms":4102444800000}' op
expect_tx "issue CEA-2025" 200 ok '{"type":"issue","id":"'$(newid)'","instrument":"CEA-2025","amount":1000000}' op
expect_tx "issue CEA-2024" 200 ok '{"type":"issue","id":"'$(newid)'","instrument":"CEA-2024","amount":100000}' op
alloc() { # alloc FROM TO INSTRUMENT AMOUNT YEAR KIND
  echo '{"type":"allocate","id":"'$(newid)'","from":'$1',"to":'$2',"instrument":"'$3'","amount":'$4',"year":'$5',"kind":"'$6'"}'
}
expect_tx "allocate national -> provincial (operator)" 200 ok "$(alloc 1 4400 CEA-2025 500000 2025 final)" op
expect_tx "allocate national -> provincial CEA-2024" 200 ok "$(alloc 1 4400 CEA-2024 50000 2024 final)" op
expect_tx "allocate provincial -> 101 (authority)" 200 ok "$(alloc 4400 101 CEA-2025 100000 2025 pre)" auth44
expect_tx "allocate provincial -> 102 (authority)" 200 ok "$(alloc 4400 102 CEA-2025 50000 2025 pre)" auth44
expect_tx "allocate CEA-2024 -> 101" 200 ok "$(alloc 4400 101 CEA-2024 20000 2024 final)" auth44

TRANSFER_ID=$(newid)
TRANSFER='{"type":"transfer","id":"'$TRANSFER_ID'","from":101,"to":102,"instrument":"CEA-2025","amount":1000}'
expect_tx "transfer by the representative" 200 ok "$TRANSFER" rep101
TRANSFER_INDEX=$(jget "$T/last.body" 'j["results"][0]["index"]')
expect_tx "transfer resubmitted: exists" 200 exists "$TRANSFER" rep101
expect_tx "position_move to trading" 200 ok '{"type":"position_move","id":"'$(newid)'","account":101,"instrument":"CEA-2025","amount":5000,"to_position":"trading"}' rep101
expect_tx "position_move 102 to trading" 200 ok '{"type":"position_move","id":"'$(newid)'","account":102,"instrument":"CEA-2025","amount":100,"to_position":"trading"}' rep102
expect_tx "settle by the exchange" 200 ok '{"type":"settle","id":"'$(newid)'","ref":"day-1","legs":[{"from":101,"to":102,"instrument":"CEA-2025","amount":2000}]}' exch
expect_tx "freeze by the operator" 200 ok '{"type":"freeze","id":"'$(newid)'","account":101,"instrument":"CEA-2025","amount":1000,"legal_ref":"court order 1"}' op
expect_tx "unfreeze by the operator" 200 ok '{"type":"unfreeze","id":"'$(newid)'","account":101,"instrument":"CEA-2025","amount":500,"legal_ref":"court order 1 lifted in part"}' op
# Freeze orders (version 2): an order over 101's trading position binds the units it holds
# there; the settlement leg that would sell them is named, and the order is listed and lifted.
ORDER_ID=$(newid)
expect_tx "freeze order over trading" 200 ok '{"type":"freeze","version":2,"id":"'$ORDER_ID'","account":101,"instrument":"CEA-2025","amount":3000,"positions":"trading","expiry_ms":0,"legal_ref":"court order 2"}' op
expect_tx "settle whose leg 1 sells frozen units: frozen" 422 frozen '{"type":"settle","id":"'$(newid)'","ref":"day-2","legs":[{"from":102,"to":101,"instrument":"CEA-2025","amount":1},{"from":101,"to":102,"instrument":"CEA-2025","amount":2}]}' exch
[ "$(jget "$T/last.body" 'j["results"][0].get("leg")')" = 1 ]; verdict "the refusal names leg 1"
read_as rep101 GET /v1/accounts/101/freeze-orders
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" '[(o["id"], o["positions"], o["quantity"], o["in_force"]) for o in j["freeze_orders"]]')" = '[["'$ORDER_ID'", "trading", 3000, true]]' ]; }; verdict "the account's freeze orders"
read_as rep102 GET /v1/accounts/101/freeze-orders
[ "$CODE" = 404 ]; verdict "another account's freeze orders: 404"
read_as rep101 GET /v1/accounts/101/balances
[ "$(jget "$T/last.body" '[(b["frozen"], b["frozen_by_orders"], b["trading_available"], b["available"] == b["registry"] - 500) for b in j["balances"] if b["instrument"] == "CEA-2025"]')" = '[[500, 3000, 0, true]]' ]; verdict "balances count the units the order binds"
expect_tx "unfreeze naming another order: unknown_order" 422 unknown_order '{"type":"unfreeze","version":2,"id":"'$(newid)'","account":101,"order":"'$(newid)'","amount":1,"legal_ref":"x"}' op
expect_tx "unfreeze lifts the order" 200 ok '{"type":"unfreeze","version":2,"id":"'$(newid)'","account":101,"order":"'$ORDER_ID'","amount":3000,"legal_ref":"court order 2 lifted"}' op
expect_tx "verified_emissions by the authority" 200 ok '{"type":"verified_emissions","id":"'$(newid)'","account":101,"year":2025,"emissions":90000,"ref":"verification 2025"}' auth44
expect_tx "surrender by the representative" 200 ok '{"type":"surrender","id":"'$(newid)'","account":101,"from":101,"year":2025,"instrument":"CEA-2025","amount":10000}' rep101
expect_tx "cancel by the representative" 200 ok '{"type":"cancel","id":"'$(newid)'","account":101,"instrument":"CEA-2025","amount":100,"reason":"voluntary"}' rep101
expect_tx "clawback by the authority" 200 ok '{"type":"clawback","id":"'$(newid)'","from":101,"to":4400,"instrument":"CEA-2025","amount":1000,"reason":"over-allocation"}' auth44
expect_tx "deduct by the operator" 200 ok '{"type":"deduct","id":"'$(newid)'","account":102,"amount":10,"year":2025,"reason":"overdue 2024"}' op
submit "$(alloc 4400 102 CEA-2025 100 2025 supplement)" auth44
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'j["results"][0].get("withheld")')" = 10 ]; }; verdict "allocate after a deduction reports withheld 10"
expect_tx "carry_over by the operator" 200 ok '{"type":"carry_over","id":"'$(newid)'","account":101,"from_instrument":"CEA-2024","to_instrument":"CEA-2025","amount":100,"cap":10000,"net_sales":0,"window_start_ms":1704067200000,"window_end_ms":1767225600000}' op
expect_tx "account_update by the operator" 200 ok '{"type":"account_update","id":"'$(newid)'","account":102,"kind":"enterprise","province":44,"sector":"cement","threshold":1,"uscc":"91110000802100433B","name":"Cement Co (renamed)","note":"rename"}' op
expect_tx "account_close of an empty account" 200 ok '{"type":"account_close","id":"'$(newid)'","account":900,"reason":"left the market"}' op

# --- refusals: specific code, tree unchanged --------------------------------------------------
expect_tx "insufficient balance: 422" 422 insufficient_balance '{"type":"transfer","id":"'$(newid)'","from":101,"to":102,"instrument":"CEA-2025","amount":900000000}' rep101
check "insufficient balance reports what is available" "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; sys.exit(0 if isinstance(r.get("available"), int) else 1)' "$T/last.body"
expect_tx "a representative may not issue: wrong_role 403" 403 wrong_role '{"type":"issue","id":"'$(newid)'","instrument":"CEA-2025","amount":1}' rep101
expect_tx "a representative acting on another account: wrong_role" 403 wrong_role '{"type":"transfer","id":"'$(newid)'","from":102,"to":101,"instrument":"CEA-2025","amount":1}' rep101
expect_tx "an unregistered key: unknown_key 401" 401 unknown_key '{"type":"transfer","id":"'$(newid)'","from":101,"to":102,"instrument":"CEA-2025","amount":1}' stranger
expect_tx "altered replay (same id, another body): id_conflict 409" 409 id_conflict '{"type":"transfer","id":"'$TRANSFER_ID'","from":101,"to":102,"instrument":"CEA-2025","amount":999}' rep101

# A signature by another key under rep101's name.
BEFORE=$(tree_size)
curl -s -X POST --data-binary '{"type":"transfer","id":"'$(newid)'","from":101,"to":102,"instrument":"CEA-2025","amount":1}' "$BASE/v1/tx/encode" > "$T/enc.json"
jget "$T/enc.json" 'j["signing_message"]' | base64 -d > "$T/msg.bin"
BODY=$(jget "$T/enc.json" 'j["body"]')
http POST /v1/tx --data-binary '{"body":"'$BODY'","signatures":[{"key":"'$(keyhash rep101)'","sig":"'$(sign_file stranger "$T/msg.bin")'"}]}'
{ [ "$CODE" = 401 ] && [ "$(errcode)" = bad_signature ] && [ "$(tree_size)" = "$BEFORE" ]; }; verdict "a forged signature: bad_signature 401"

# The same body signed for another registry's origin.
"$PY" - "$T/msg.bin" "$T/other.bin" <<'PY'
import sys
m = open(sys.argv[1], 'rb').read()
head, origin, body = m.split(b"\n", 2)
open(sys.argv[2], 'wb').write(head + b"\nother.registry.example\n" + body)
PY
http POST /v1/tx --data-binary '{"body":"'$BODY'","signatures":[{"key":"'$(keyhash rep101)'","sig":"'$(sign_file rep101 "$T/other.bin")'"}]}'
{ [ "$CODE" = 401 ] && [ "$(errcode)" = bad_signature ] && [ "$(tree_size)" = "$BEFORE" ]; }; verdict "a replay into another registry (other origin): bad_signature 401"

http POST /v1/tx --data-binary '{"body":"'$BODY'","signatures":[]}'
{ [ "$CODE" = 400 ] && [ "$(errcode)" = no_signatures ]; }; verdict "no signatures: 400 no_signatures"
http POST /v1/tx --data-binary '{"body":"@@@not base64","signatures":[]}'
{ [ "$CODE" = 400 ] && [ "$(errcode)" = bad_base64 ]; }; verdict "invalid base64: 400 bad_base64"
http POST /v1/tx --data-binary '{"body": '
{ [ "$CODE" = 400 ] && [ "$(errcode)" = bad_json ]; }; verdict "invalid JSON: 400 bad_json"
http POST /v1/tx/encode --data-binary '{"type":"transfer","id":"'$(newid)'","from":101,"to":102,"instrument":"CEA-2025"}'
{ [ "$CODE" = 400 ] && [ "$(errcode)" = json_missing_field ]; }; verdict "encode with a missing field: 400 json_missing_field"
http POST /v1/tx/encode --data-binary '{"type":"teleport","id":"'$(newid)'"}'
check "encode of an unknown type: 400" [ "$CODE" = 400 ]
check "the refusals left the tree as it was" [ "$(tree_size)" = "$BEFORE" ]

# Binary frames: u16 big-endian length + canonical envelope, built from the encode answer.
FRAME_TX='{"type":"transfer","id":"'$(newid)'","from":101,"to":102,"instrument":"CEA-2025","amount":3}'
curl -s -X POST --data-binary "$FRAME_TX" "$BASE/v1/tx/encode" > "$T/enc.json"
jget "$T/enc.json" 'j["signing_message"]' | base64 -d > "$T/msg.bin"
jget "$T/enc.json" 'j["body"]' | base64 -d > "$T/body.bin"
sign_file rep101 "$T/msg.bin" | base64 -d > "$T/sig.bin"
base64 -d <<< "$(keyhash rep101)" > "$T/keyhash.bin"
"$PY" - "$T" <<'PY'
import sys, struct
t = sys.argv[1]
body = open(t + "/body.bin", "rb").read()
env = bytes([1, 1]) + struct.pack(">H", len(body)) + body + open(t + "/keyhash.bin", "rb").read() + open(t + "/sig.bin", "rb").read()
open(t + "/frames.bin", "wb").write(struct.pack(">H", len(env)) + env + struct.pack(">H", len(env)) + env)
PY
http POST /v1/tx -H 'Content-Type: application/octet-stream' --data-binary @"$T/frames.bin"
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" '[r["result"] for r in j["results"]]')" = '["ok", "exists"]' ]; }; verdict "binary frames: two results, ok then exists"
head -c 5 "$T/frames.bin" > "$T/short.bin"
http POST /v1/tx -H 'Content-Type: application/octet-stream' --data-binary @"$T/short.bin"
{ [ "$CODE" = 400 ] && [ "$(errcode)" = truncated ]; }; verdict "a truncated frame: 400 truncated"

# Nine envelopes: verified on the thread pool (8 or more), one forged among them.
ARR=""
for i in 1 2 3 4 5 6 7 8; do
  ARR="$ARR$(envelope '{"type":"transfer","id":"'$(newid)'","from":101,"to":102,"instrument":"CEA-2025","amount":'$i'}' rep101),"
done
curl -s -X POST --data-binary '{"type":"transfer","id":"'$(newid)'","from":101,"to":102,"instrument":"CEA-2025","amount":9}' "$BASE/v1/tx/encode" > "$T/enc.json"
jget "$T/enc.json" 'j["signing_message"]' | base64 -d > "$T/msg.bin"
ARR="[$ARR{\"body\":\"$(jget "$T/enc.json" 'j["body"]')\",\"signatures\":[{\"key\":\"$(keyhash rep101)\",\"sig\":\"$(sign_file stranger "$T/msg.bin")\"}]}]"
BEFORE=$(tree_size)
http POST /v1/tx --data-binary "$ARR"
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" '[r["result"] if r["result"] == "ok" else r["error"]["code"] for r in j["results"]]')" = '["ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "bad_signature"]' ]; }; verdict "nine envelopes verified on the pool: eight ok, the forged one bad_signature"
{ [ "$(tree_size)" = $((BEFORE + 8)) ] && [ "$(jget "$T/last.body" '[r["index"] for r in j["results"][:8]] == sorted(r["index"] for r in j["results"][:8])')" = true ]; }; verdict "the eight entered the log in request order"

# A revoked key signs nothing after its revocation.
expect_tx "key_revoke by the operator" 200 ok '{"type":"key_revoke","id":"'$(newid)'","key_hash":"'$(openssl dgst -sha256 -binary "$T/rep102.pub" | od -An -v -tx1 | tr -d " \n")'","reason":"left the company"}' op
expect_tx "a revoked key: revoked_key 403" 403 revoked_key '{"type":"transfer","id":"'$(newid)'","from":102,"to":101,"instrument":"CEA-2025","amount":1}' rep102

# --- reads --------------------------------------------------------------------------------------
for p in /v1/log /v1/checkpoint /v1/instruments /v1/compliance/2025 "/v1/proof/consistency?first=1&second=5" /healthz; do
  http GET "$p"
  check "public read $p: 200" [ "$CODE" = 200 ]
done
http GET /v1/checkpoint
check "checkpoint is the signed note for the current size" "$PY" -c 'import sys; t=open(sys.argv[1]).read().split("\n"); sys.exit(0 if t[0]==sys.argv[2] and t[1]==sys.argv[3] and "\u2014 " in open(sys.argv[1]).read() else 1)' "$T/last.body" "$ORIGIN" "$(tree_size)"
http GET /v1/log
{ [ "$(jget "$T/last.body" 'j["origin"]')" = "$ORIGIN" ] && jget "$T/last.body" 'j["verifier_key"]' | grep -q "^$ORIGIN+"; }; verdict "log names origin, verifier key and size"
http GET /v1/compliance/2025
check "compliance 2025 lists 101 with its emissions" [ "$(jget "$T/last.body" '[e["emissions"] for e in j["enterprises"] if e["account"]==101]')" = '[90000]' ]
http GET /v1/compliance/2031
{ [ "$CODE" = 404 ] && [ "$(errcode)" = unknown_year ]; }; verdict "compliance of a year not opened: 404 unknown_year"

for p in /v1/keys /v1/accounts /v1/accounts/101 "/v1/entries?start=0&limit=2"; do
  http GET "$p"
  { [ "$CODE" = 401 ] && [ "$(errcode)" = unauthorized ]; }; verdict "anonymous $p: 401 unauthorized"
done
# A transaction the reader may not see answers exactly what an unknown id answers.
http GET "/v1/tx/$(newid)"; cp "$T/last.body" "$T/tx-unknown.body"; UNKNOWN_CODE=$CODE
http GET "/v1/tx/$TRANSFER_ID"
{ [ "$CODE" = 401 ] && [ "$UNKNOWN_CODE" = 401 ] && cmp -s "$T/last.body" "$T/tx-unknown.body"; }; verdict "anonymous /v1/tx/{id}: the same 401 as for an unknown id (before any lookup)"
read_as op GET /v1/keys
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'len(j["keys"])')" -ge 7 ]; }; verdict "operator lists every key"
read_as rep101 GET /v1/keys
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" '[k["name"] for k in j["keys"]]')" = '["rep101"]' ]; }; verdict "a representative sees only its account's keys"
read_as op GET /v1/accounts
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'len(j["accounts"])')" -ge 6 ]; }; verdict "operator lists every account"
read_as auth44 GET "/v1/accounts?kind=enterprise"
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'sorted(a["id"] for a in j["accounts"])')" = '[101, 102]' ]; }; verdict "authority 44 lists its province's enterprises"
read_as auth11 GET "/v1/accounts?province=44"
{ [ "$CODE" = 403 ] && [ "$(errcode)" = forbidden ]; }; verdict "authority 11 may not list province 44: 403"
read_as rep101 GET /v1/accounts/101
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'j["uscc"]')" = 91350100M000100Y43 ]; }; verdict "representative reads its account"
read_as rep101 GET /v1/accounts/91350100M000100Y43
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'j["id"]')" = 101 ]; }; verdict "account by USCC"
read_as auth44 GET /v1/accounts/CN-44
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'j["id"]')" = 4400 ]; }; verdict "account by CN-44"
# Absent and not yours answer alike: the same status and the same body, by id and by USCC.
read_as rep101 GET /v1/accounts/999999; cp "$T/last.body" "$T/absent.body"
{ [ "$CODE" = 404 ] && [ "$(errcode)" = not_found ]; }; verdict "an absent account: 404 not_found"
read_as rep101 GET /v1/accounts/102
{ [ "$CODE" = 404 ] && cmp -s "$T/last.body" "$T/absent.body"; }; verdict "representative reads another account: the same 404 as an absent one"
read_as rep101 GET /v1/accounts/102/balances
{ [ "$CODE" = 404 ] && cmp -s "$T/last.body" "$T/absent.body"; }; verdict "another account's balances: the same 404"
USCC102=$(read_as op GET /v1/accounts/102 >/dev/null; jget "$T/last.body" 'j["uscc"]')
read_as rep101 GET "/v1/accounts/$USCC102"
{ [ "$CODE" = 404 ] && cmp -s "$T/last.body" "$T/absent.body"; }; verdict "another enterprise's USCC: the same 404 as an absent account"
read_as auth11 GET /v1/accounts/101
{ [ "$CODE" = 404 ] && cmp -s "$T/last.body" "$T/absent.body"; }; verdict "authority of another province: the same 404"
read_as exch GET /v1/accounts/101
{ [ "$CODE" = 404 ] && cmp -s "$T/last.body" "$T/absent.body"; }; verdict "the exchange reads no account: the same 404"
# A page's cursor names only an account the reader was shown.
read_as rep101 GET "/v1/accounts?limit=1&kind=participant"
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'j["next"]')" = null ] && [ "$(jget "$T/last.body" 'j["accounts"]')" = '[]' ]; }; verdict "representative's account list: no cursor naming an account it may not see"
read_as rep101 GET "/v1/accounts?limit=1"
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" '[a["id"] for a in j["accounts"]]')" = '[101]' ] && [ "$(jget "$T/last.body" 'j["next"]')" = null ]; }; verdict "representative's account list: its own account only"
read_as op GET "/v1/accounts?limit=2"
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'j["next"] == j["accounts"][-1]["id"]')" = true ]; }; verdict "operator's account page: next is the last account shown"
read_as rep101 GET /v1/accounts/101/balances
{ [ "$CODE" = 200 ] && "$PY" -c 'import json,sys; b=json.load(open(sys.argv[1]))["balances"]; sys.exit(0 if b and all(x["available"]==x["registry"]-x["frozen"] for x in b) and any(x["frozen"]==500 for x in b) else 1)' "$T/last.body"; }; verdict "balances: available = registry - frozen"
read_as rep101 GET "/v1/accounts/101/history?limit=3"
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'len(j["entries"])')" = 3 ] && [ "$(jget "$T/last.body" 'j["next"] is not None')" = true ]; }; verdict "history pages with next"
NEXT=$(jget "$T/last.body" 'j["next"]')
read_as rep101 GET "/v1/accounts/101/history?after=$NEXT&limit=1000"
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'all(e["index"] > '$NEXT' for e in j["entries"])')" = true ]; }; verdict "history after the cursor continues"
read_as aud GET "/v1/entries?start=0&limit=1000"
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'len(j["entries"])')" = "$(tree_size)" ] && [ "$(jget "$T/last.body" 'all("leaf" in e for e in j["entries"])')" = true ]; }; verdict "auditor reads every entry with its leaf"
read_as aud GET "/v1/entries?start=0&limit=1001"
{ [ "$CODE" = 413 ] && [ "$(errcode)" = too_large ]; }; verdict "entries limit above 1000: 413 too_large"
read_as rep101 GET "/v1/entries?start=0&limit=1"
check "a representative may not read the entries: 403" [ "$CODE" = 403 ]
read_as rep101 GET "/v1/tx/$TRANSFER_ID"
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'j["index"]')" = "$TRANSFER_INDEX" ]; }; verdict "representative reads its transaction"
read_as auth11 GET "/v1/tx/$TRANSFER_ID"
cp "$T/last.body" "$T/hidden.body"
{ [ "$CODE" = 404 ] && [ "$(errcode)" = not_found ]; }; verdict "another province's authority may not: 404 not_found, as for an unknown id"
read_as auth11 GET "/v1/tx/$(newid)"
{ [ "$CODE" = 404 ] && cmp -s "$T/last.body" "$T/hidden.body"; }; verdict "an id it may not see and an unknown id: the same answer, byte for byte"
read_as op GET "/v1/tx/$(newid)"
{ [ "$CODE" = 404 ] && [ "$(errcode)" = not_found ]; }; verdict "an unknown id: 404 not_found"
http GET "/v1/tx/$(newid)"
{ [ "$CODE" = 401 ] && [ "$(errcode)" = unauthorized ]; }; verdict "anonymous, an unknown id: 401 unauthorized, as for a known one"
read_as op GET "/v1/tx/xyz"
{ [ "$CODE" = 400 ] && [ "$(errcode)" = bad_hex ]; }; verdict "a malformed id: 400 bad_hex"
SIZE=$(tree_size)
read_as rep101 GET "/v1/proof/inclusion?index=$TRANSFER_INDEX&tree_size=$SIZE"
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'len(j["hashes"]) > 0')" = true ]; }; verdict "inclusion proof of its own entry"
read_as rep101 GET "/v1/proof/inclusion?index=0&tree_size=$SIZE"
check "inclusion proof of the genesis: 403 for a representative" [ "$CODE" = 403 ]
http GET "/v1/proof/consistency?first=$SIZE&second=1"
check "consistency with first > second: 400" [ "$CODE" = 400 ]
READ_TIME=$(( $(date +%s) - 400 )) read_as op GET /v1/keys
{ [ "$CODE" = 401 ] && [ "$(errcode)" = stale_time ]; }; verdict "a signed read 400 s old: 401 stale_time"
read_as stranger GET /v1/keys
{ [ "$CODE" = 401 ] && [ "$(errcode)" = unknown_key ]; }; verdict "a signed read by an unknown key: 401 unknown_key"
read_as rep102 GET /v1/accounts/102
{ [ "$CODE" = 403 ] && [ "$(errcode)" = revoked_key ]; }; verdict "a signed read by a revoked key: 403 revoked_key"
NOW=$(date +%s)
printf 'other bytes' > "$T/other-bytes.bin"
http GET /v1/keys -H "Authorization: Quotad-Ed25519 key=$(keyhash op), time=$NOW, sig=$(sign_file op "$T/other-bytes.bin")"
{ [ "$CODE" = 401 ] && [ "$(errcode)" = bad_signature ]; }; verdict "a signature over other bytes: 401 bad_signature"

http GET /metrics
check "metrics over TCP without a key: 401" [ "$CODE" = 401 ]
read_as rep101 GET /metrics
check "metrics for a representative: 403" [ "$CODE" = 403 ]
read_as op GET /metrics
{ [ "$CODE" = 200 ] && grep -q '^quotad_tree_size ' "$T/last.body"; }; verdict "metrics for the operator"
CODE=$(curl -s -o "$T/last.body" -w '%{http_code}' --unix-socket "$SOCK" http://localhost/metrics)
{ [ "$CODE" = 200 ] && grep -q 'quotad_batch_entries_bucket' "$T/last.body" && grep -q 'quotad_commit_seconds_count' "$T/last.body" && grep -q 'quotad_tx_results_total{result="ok"}' "$T/last.body" && grep -q 'quotad_checkpoint_age_seconds' "$T/last.body"; }; verdict "metrics over the Unix socket"
http GET /v1/nothing
check "unknown path: 404" [ "$CODE" = 404 ]
# The route table: a path with a segment past a known one is no endpoint, and is not counted as one.
metric() { curl -s --unix-socket "$SOCK" http://localhost/metrics | sed -n "s/^quotad_requests_total{endpoint=\"$1\",status=\"$2\"} //p"; }
BAL_BEFORE=$(metric balances 404); OTHER_BEFORE=$(metric other 404)
read_as op GET /v1/accounts/1/x
{ [ "$CODE" = 404 ] && [ "$(errcode)" = not_found ] && grep -q 'no such endpoint' "$T/last.body"; }; verdict "/v1/accounts/1/x: 404, no such endpoint"
{ [ "$(metric balances 404)" = "$BAL_BEFORE" ] && [ "$(metric other 404)" = "$(( ${OTHER_BEFORE:-0} + 1 ))" ]; }; verdict "and it is counted as other, not as balances"
http GET /v1/tx/encode
{ [ "$CODE" = 405 ] && [ "$(errcode)" = bad_request ]; }; verdict "GET on a POST route: 405"
http GET /v1/compliance
check "a route's missing parameter: 404" [ "$CODE" = 404 ]

# Paging: keys (a hex hash cursor) and compliance (an account id cursor) walk every row once.
read_as op GET /v1/keys; ALLKEYS=$(jget "$T/last.body" 'sorted(k["hash"] for k in j["keys"])')
check "keys: the whole list fits one default page here, next null" [ "$(jget "$T/last.body" 'j["next"]')" = null ]
AFTER=""; SEEN="[]"; PAGES=0
while :; do
  read_as op GET "/v1/keys?limit=2$AFTER"
  [ "$CODE" = 200 ] || break
  SEEN=$("$PY" -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1]) + [k["hash"] for k in json.load(open(sys.argv[2]))["keys"]]))' "$SEEN" "$T/last.body")
  PAGES=$((PAGES + 1))
  NEXT=$(jget "$T/last.body" 'j["next"]')
  [ "$NEXT" = null ] && break
  AFTER="&after=$NEXT"
  [ $PAGES -gt 50 ] && break
done
{ [ "$PAGES" -ge 3 ] && [ "$("$PY" -c 'import json,sys; s=json.loads(sys.argv[1]); print(json.dumps(sorted(s)) if len(s)==len(set(s)) else "dup")' "$SEEN")" = "$ALLKEYS" ]; }; verdict "keys paged by 2: every key once, in $PAGES pages"
read_as rep101 GET "/v1/keys?limit=1"
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'j["next"] is None or j["next"] == __import__("base64").b64decode(j["keys"][-1]["hash"]).hex()')" = true ]; }; verdict "a representative's key cursor names only a key it was shown"
read_as op GET "/v1/keys?after=zz"
{ [ "$CODE" = 400 ] && [ "$(errcode)" = bad_argument ]; }; verdict "keys: a malformed cursor is 400 bad_argument"
http GET "/v1/compliance/2025?limit=1"
FIRST=$(jget "$T/last.body" '[e["account"] for e in j["enterprises"]]'); NEXT=$(jget "$T/last.body" 'j["next"]')
{ [ "$CODE" = 200 ] && [ "$FIRST" = "[$NEXT]" ]; }; verdict "compliance paged: one enterprise and a next cursor"
http GET "/v1/compliance/2025?limit=1000&after=$NEXT"
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'all(e["account"] > '$NEXT' for e in j["enterprises"]) and j["next"] is None')" = true ]; }; verdict "compliance after the cursor continues, and ends with next null"
http GET "/v1/compliance/2025?limit=1001"
{ [ "$CODE" = 413 ] && [ "$(errcode)" = too_large ]; }; verdict "compliance limit above 1000: 413"
SIZE_AT_STOP=$(tree_size)
http DELETE /v1/tx
check "wrong method: 405" [ "$CODE" = 405 ]

check "quotad stops cleanly on SIGTERM" stop_quotad
check "the log says it stopped" grep -q 'quotad stopped' "$T/quotad.log"

# Restart on the same data with small batches: the log is intact, and three concurrent requests
# of 8 envelopes go through batches of at most 8 (the third waits for room: backpressure).
start_quotad "$T/data" --batch-entries-max 8 --tx-per-request-max 8 --batch-delay-ms 300 \
  || { echo "quotad did not restart"; exit 1; }
check "after a restart the tree size is the same" [ "$(tree_size)" = "$SIZE_AT_STOP" ]
for r in 1 2 3; do
  ARR=""
  for i in 1 2 3 4 5 6 7 8; do
    [ -n "$ARR" ] && ARR="$ARR,"
    ARR="$ARR$(envelope '{"type":"transfer","id":"'$(newid)'","from":101,"to":102,"instrument":"CEA-2025","amount":1}' rep101)"
  done
  echo "[$ARR]" > "$T/req$r.json"
done
PIDS=""
for r in 1 2 3; do
  curl -s -o "$T/resp$r.json" -w '%{http_code}' -X POST --data-binary @"$T/req$r.json" "$BASE/v1/tx" > "$T/code$r" &
  PIDS="$PIDS $!"
done
wait $PIDS # not a bare wait: quotad is a child too
for r in 1 2 3; do
  { [ "$(cat "$T/code$r")" = 200 ] && [ "$(jget "$T/resp$r.json" '[x["result"] for x in j["results"]].count("ok")')" = 8 ]; }; verdict "concurrent request $r: 8 ok"
done
check "24 entries more" [ "$(tree_size)" = $((SIZE_AT_STOP + 24)) ]
curl -s --unix-socket "$SOCK" http://localhost/metrics > "$T/last.body"
{ [ "$(sed -n 's/^quotad_batch_entries_count //p' "$T/last.body")" -ge 3 ] && [ "$(sed -n 's/^quotad_batch_entries_count //p' "$T/last.body")" = "$(sed -n 's/^quotad_batch_entries_bucket{le="8"} //p' "$T/last.body")" ]; }; verdict "at least 3 batches, none above batch_entries_max"
check "stops cleanly again" stop_quotad
finish
