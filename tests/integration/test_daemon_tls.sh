# Integration: quotad's TLS listener (memory BIOs under libuv): HTTPS requests, a client
# certificate whose Ed25519 key is a registered key authenticates reads, and a required client
# certificate refuses clients without one.
source "$(dirname "$0")/daemon_lib.sh" "$1" "$2"

genkey logk; genkey op; genkey other
seedfile logk "$T/log.key"
openssl req -x509 -newkey ed25519 -nodes -keyout "$T/server.key" -out "$T/server.crt" -days 2 \
  -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
# Client certificates carry the very keys registered on the ledger.
openssl req -x509 -new -key "$T/op.pem" -out "$T/op.crt" -days 2 -subj "/CN=operator" 2>/dev/null
openssl req -x509 -new -key "$T/other.pem" -out "$T/other.crt" -days 2 -subj "/CN=other" 2>/dev/null
cat "$T/op.crt" "$T/other.crt" > "$T/clients.pem"

TLS_PORT=$(free_port)
start_quotad "$T/data" --tls-listen "127.0.0.1:$TLS_PORT" --tls-cert "$T/server.crt" \
  --tls-key "$T/server.key" --tls-client-ca "$T/clients.pem" \
  || { echo "quotad did not start"; cat "$T/quotad.log"; exit 1; }
TLS="https://127.0.0.1:$TLS_PORT"

GENESIS='{"type":"genesis","id":"'$(newid)'","origin":"'$ORIGIN'","log_public_key":"'$(pubhex logk)'","national_account":1,"operator_threshold":1,"operator_keys":["'$(pubhex op)'"]}'
expect_tx "genesis over plain HTTP" 200 ok "$GENESIS" logk

CODE=$(curl -s -o "$T/last.body" -w '%{http_code}' --cacert "$T/server.crt" "$TLS/healthz")
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'j["tree_size"]')" = 1 ]; }; verdict "HTTPS healthz"
CODE=$(curl -s -o "$T/last.body" -w '%{http_code}' --cacert "$T/server.crt" "$TLS/v1/keys")
check "HTTPS without a client certificate: 401 for a keyed read" [ "$CODE" = 401 ]
CODE=$(curl -s -o "$T/last.body" -w '%{http_code}' --cacert "$T/server.crt" --cert "$T/op.crt" --key "$T/op.pem" "$TLS/v1/keys")
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" 'len(j["keys"])')" -ge 1 ]; }; verdict "a client certificate with the operator's key reads as the operator"
CODE=$(curl -s -o "$T/last.body" -w '%{http_code}' --cacert "$T/server.crt" --cert "$T/other.crt" --key "$T/other.pem" "$TLS/v1/keys")
check "a client certificate with an unregistered key is no identity: 401" [ "$CODE" = 401 ]
CODE=$(curl -s -o /dev/null -o /dev/null -o /dev/null -w '%{http_code}' --cacert "$T/server.crt" --cert "$T/op.crt" --key "$T/op.pem" "$TLS/v1/log" "$TLS/healthz" "$TLS/v1/checkpoint")
check "keep-alive over TLS: several requests on one connection" [ "$CODE" = 200200200 ]

kill -HUP "$QPID"; sleep 0.3
CODE=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/server.crt" "$TLS/healthz")
{ [ "$CODE" = 200 ] && grep -q 'TLS material reloaded' "$T/quotad.log"; }; verdict "after SIGHUP (TLS reloaded) HTTPS still works"
check "stop" stop_quotad

start_quotad "$T/data" --tls-listen "127.0.0.1:$TLS_PORT" --tls-cert "$T/server.crt" \
  --tls-key "$T/server.key" --tls-client-ca "$T/clients.pem" --tls-client-cert-required \
  || { echo "quotad did not restart"; exit 1; }
CODE=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/server.crt" "$TLS/healthz")
check "client certificate required: a client without one is refused" [ "$CODE" = 000 ]
CODE=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/server.crt" --cert "$T/op.crt" --key "$T/op.pem" "$TLS/healthz")
check "client certificate required: a client with one is served" [ "$CODE" = 200 ]
check "stop again" stop_quotad
finish
