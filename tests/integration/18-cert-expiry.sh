#!/bin/bash
# A box's certificate at the centre: the box reports the certificate it
# connects with (serial, end of validity) in its status; bkctl boxes and the
# archive show it with the days left; within [box] cert_warn_days (30) of the
# end the box opens one cert_expiring warning (not an alert: it is about the
# box), keeps it open across a restart without repeating it, and closes it
# once it runs with a renewed certificate.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir

bk_pki_setup svc-collector || exit 1
"$BK_ROOT/tools/bk-pki" issue "$BK_PKI" box-x --days 10 >/dev/null || exit 1
bk_broker_start || exit 1
TOKEN=tok-cert-expiry-0123456789abcdef
ok "collector starts with its HTTPS API" bk_https_collector reg-ops "$TOKEN"
DB=$T/collector.db
api_boxes() {
	curl -sS --max-time 10 --cacert "$BK_PKI/ca.crt" -H "Authorization: Bearer $TOKEN" "$URL/api/boxes"
}

serial_of() { openssl x509 -in "$BK_PKI/box-x.crt" -noout -serial | sed 's/^serial=//'; }
box_json() { "$BK_BIN/bkctl" --db "$DB" boxes --json; }
# cert_is SERIAL MIN MAX: bkctl shows SERIAL with MIN..MAX days left
cert_is() {
	/usr/bin/python3 -c '
import json, sys
rows = {r["box"]: r for r in json.loads(sys.argv[1])}
r = rows.get("box-x") or sys.exit("no box-x yet")
ok = r["cert_serial"] == sys.argv[2] and int(sys.argv[3]) <= r["cert_days_left"] <= int(sys.argv[4])
sys.exit(0 if ok else "box-x: %s" % {k: r.get(k) for k in ("cert_serial", "cert_not_after", "cert_days_left")})
' "$(box_json)" "$@"
}
# steps TYPE PHASE: event steps of box-x of that type and phase
steps() { bk_sql "$DB" "SELECT count(*) FROM events WHERE box = 'box-x' AND type = '$1' AND phase = '$2'"; }

old=$(serial_of)
bk_edge_start box-x
ok "bkctl boxes shows the certificate box-x connects with, 9–10 days left" \
	wait_until 20 cert_is "$old" 9 10
not_after=$(openssl x509 -in "$BK_PKI/box-x.crt" -noout -enddate -dateopt iso_8601 | sed 's/^notAfter=//; s/ /T/; s/Z$//')
stored=$(bk_sql "$DB" "SELECT cert_not_after FROM boxes WHERE id = 'box-x'")
ok "the archive keeps its end of validity ($stored, openssl: $not_after)" \
	test "${stored%.*}" = "$not_after"
ok "a cert_expiring warning opens" wait_until 20 bk_at_least 1 steps cert_expiring open
row=$(bk_sql "$DB" "SELECT severity || '|' || source || '|' || message FROM events WHERE box = 'box-x' AND type = 'cert_expiring'")
ok "it names the serial, the days left and what to do ($row)" \
	bash -c '[[ $1 == "warning|certificate|certificate $2 ends "*"days left): renew it"* ]]' _ "$row" "$old"
is "it is not an alert for regulators" "$(bk_sql "$DB" "SELECT count(*) FROM alerts")" 0
api=$(api_boxes)
ok "GET /api/boxes gives the same serial and end of validity" /usr/bin/python3 -c '
import json, sys
body = json.loads(sys.argv[1])
rows = body if isinstance(body, list) else body.get("rows", body.get("boxes"))
r = [r for r in rows if r["box"] == "box-x"][0]
assert r["cert_serial"] == sys.argv[2] and r["cert_not_after"] == sys.argv[3], r
' "$api" "$old" "$stored"

# A restart with the same certificate: the event stays open, once.
bk_stop box-x TERM
bk_edge_start box-x
sleep 3
ok "after a restart box-x is back" wait_until 20 grep -c "connected to" "$T/box-x.log"
is "the warning is not repeated after the restart" "$(steps cert_expiring open)" 1
is "nor closed" "$(steps cert_expiring close)" 0

# Renewed: a new certificate (new serial, 825 days); the warning closes.
bk_stop box-x TERM
"$BK_ROOT/tools/bk-pki" revoke "$BK_PKI" box-x >/dev/null &&
	"$BK_ROOT/tools/bk-pki" issue "$BK_PKI" box-x >/dev/null || exit 1
new=$(serial_of)
bk_edge_start box-x
ok "bkctl boxes shows the renewed certificate ($new), 824–825 days left" \
	wait_until 20 cert_is "$new" 824 825
ok "the warning closes on the renewed certificate" wait_until 20 bk_at_least 1 steps cert_expiring close
msg=$(bk_sql "$DB" "SELECT message FROM events WHERE box = 'box-x' AND type = 'cert_expiring' AND phase = 'close'")
ok "its close names the new certificate ($msg)" bash -c '[[ $1 == "renewed: now certificate $2, valid until "* ]]' _ "$msg" "$new"
state=$(bk_sql "$DB" "SELECT state FROM event_state WHERE box = 'box-x' AND type = 'cert_expiring'")
is "the event's state is closed" "$state" closed
is "no new warning for a certificate far from its end" "$(steps cert_expiring open)" 1
bk_done
