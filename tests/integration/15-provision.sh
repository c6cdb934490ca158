#!/bin/bash
# 15-provision — tools/bk-provision from CA to kitchen: a box bundle (directory
# and tar.gz, keys 0600 in both, no copy in the CA), registered in the
# collector's registry; the bundle's certificate accepted by the production
# broker and a real bk-edge started from the bundle's edge.conf archived by
# the collector; an unknown establishment and a second `box new` of one id
# refused; revocation refused after a SIGHUP reload, and said plainly when
# the reload fails; renewal with overlap (old and new both admitted), then
# retirement of the old one, with the "is the new one in use" check read from
# `bkctl boxes --json` (cert_serial); `list` statuses; the systemd units
# (systemd-analyze verify, hardening keys, exposure score). About 5 s.

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/broker.sh"
. "$(dirname "$0")/../lib/daemons.sh"

bk_tmpdir
PROV=$BK_ROOT/tools/bk-provision
CA=$T/ca
DB=$T/collector.db
SITE=$T/site # the box's file system root (--prefix)
export BK_BKCTL=$BK_BIN/bkctl
LIC=JY13301020000011

# fails CMD...: CMD exits non-zero; its output is kept in $T/fail.out.
fails() { ! "$@" >"$T/fail.out" 2>&1; }
# says PATTERN: the last `fails` printed PATTERN (extended regex).
says() { grep -qE "$1" "$T/fail.out" || { sed 's/^/  /' "$T/fail.out"; false; }; }

# connects DIR ID: a client with the bundle's certificate, key and CA
# completes TLS and MQTT CONNECT/SUBSCRIBE (refused: non-zero).
connects() {
	timeout 10 mosquitto_sub -h 127.0.0.1 -p "$BK_PORT" --cafile "$1/ca.crt" \
		--cert "$1/$2.crt" --key "$1/$2.key" -t "bk/v1/box/$2/cmd" -E
}
refused() { ! connects "$@" 2>/dev/null; }

# reloads: how many times the broker has reloaded; reloaded_after N: more than N.
reloads() { grep -c 'Reloading config' "$T/broker.log"; }
reloaded_after() { [ "$(reloads)" -gt "$1" ]; }

# serial_of CERT
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }

# install_bundle DIR ID [renewal]: what INSTALL says, below $SITE.
install_bundle() {
	local pki=$SITE/etc/brightkitchen/pki
	install -d -m 0755 "$pki" "$SITE/var/lib/brightkitchen"
	if [ "${3:-}" != renewal ]; then
		install -m 0644 "$1/ca.crt" "$pki/"
		install -m 0644 "$1/edge.conf" "$SITE/etc/brightkitchen/edge.conf"
	fi
	install -m 0644 "$1/$2.crt" "$pki/"
	install -m 0600 "$1/$2.key" "$pki/"
}

# online_since ID TS: the archive has an online status of ID newer than TS.
online_since() {
	[ -n "$(bk_sql "$DB" "SELECT 1 FROM boxes WHERE id = '$1' AND state = 'online'
		AND status_ts > '$2'" 2>/dev/null)" ]
}

# edge_reaches ID: run bk-edge from $SITE's edge.conf until the collector has
# its status with the certificate now installed, then stop it.
edge_reaches() {
	local conf=$SITE/etc/brightkitchen/edge.conf before
	before=$(bk_sql "$DB" "SELECT coalesce(max(status_ts), '') FROM boxes WHERE id = '$1'" 2>/dev/null)
	bk_bg edge "$BK_BIN/bk-edge" -c "$conf"
	wait_until 15 online_since "$1" "$before"
	local rc=$?
	bk_stop edge TERM
	return $rc
}

# ---------------------------------------------------------------- init, broker, collector

BK_PORT=$(free_port)
export BK_PORT
ok "init: CA, broker certificate, CRL, broker address" \
	"$PROV" init "$CA" --broker "127.0.0.1:$BK_PORT"
ok "init refuses a CA that exists" fails "$PROV" init "$CA"
ok "the CA dir has ca.key 0600, crl.pem, broker.crt" \
	test "$(stat -c %a "$CA/ca.key")" = 600 -a -f "$CA/crl.pem" -a -f "$CA/broker.crt"
bk_pki_use "$CA" svc-collector || exit 1
bk_broker_start || exit 1
bk_collector_start || exit 1
"$BK_BKCTL" --db "$DB" registry import establishments \
	"$BK_ROOT/tests/fixtures/registry/establishments.csv" >/dev/null || exit 1

# ---------------------------------------------------------------- box new

B1=$T/bundles/box-p1
mkdir -p "$T/bundles"
ok "box new for a registered establishment" \
	"$PROV" box new "$CA" --establishment "$LIC" --id box-p1 --db "$DB" --out "$B1" --prefix "$SITE"
ok "the bundle directory has edge.conf, cert, key, CA, unit, INSTALL" \
	test -f "$B1/edge.conf" -a -f "$B1/box-p1.crt" -a -f "$B1/box-p1.key" -a -f "$B1/ca.crt" \
	-a -f "$B1/bk-edge.service" -a -f "$B1/INSTALL"
is "the key in the directory is 0600" "$(stat -c %a "$B1/box-p1.key")" 600
is "the archive itself is 0600" "$(stat -c %a "$B1.tar.gz")" 600
is "the key in the tar.gz is 0600 (-rw-------), owned by root there" \
	"$(tar -tvzf "$B1.tar.gz" | awk '$NF == "box-p1/box-p1.key" { print $1, $2 }')" "-rw------- 0/0"
is "the tar.gz holds the same six files" \
	"$(tar -tzf "$B1.tar.gz" | grep -v '/$' | sort | paste -sd' ')" \
	"box-p1/INSTALL box-p1/bk-edge.service box-p1/box-p1.crt box-p1/box-p1.key box-p1/ca.crt box-p1/edge.conf"
is "the certificate's CN is the box id" \
	"$(openssl x509 -in "$B1/box-p1.crt" -noout -subject -nameopt RFC2253)" "subject=CN=box-p1"
ok "the key matches the certificate" test "$(openssl pkey -in "$B1/box-p1.key" -pubout)" = \
	"$(openssl x509 -in "$B1/box-p1.crt" -noout -pubkey)"
ok "the CA keeps no box key" test -z "$(find "$CA" -name 'box-*.key')"
is "edge.conf names the box, the broker and the installed paths" \
	"$(grep -E '^(id|uri|ca|cert|key|state_dir) =' "$B1/edge.conf" | paste -sd'|')" \
	"id = box-p1|state_dir = $SITE/var/lib/brightkitchen/edge|uri = ssl://127.0.0.1:$BK_PORT|ca = $SITE/etc/brightkitchen/pki/ca.crt|cert = $SITE/etc/brightkitchen/pki/box-p1.crt|key = $SITE/etc/brightkitchen/pki/box-p1.key"
ok "the bundle's unit is tools/systemd/bk-edge.service" \
	cmp "$B1/bk-edge.service" "$BK_ROOT/tools/systemd/bk-edge.service"
is "registry row box-p1 → $LIC, provisioned today" \
	"$(bk_sql "$DB" "SELECT box || ',' || licence || ',' || provisioned FROM registry_boxes WHERE box = 'box-p1'")" \
	"box-p1,$LIC,$(date +%F)"

# The box's side: unpack the archive, install as INSTALL says (below $SITE).
mkdir "$T/unpacked"
tar -xzf "$B1.tar.gz" -C "$T/unpacked"
install_bundle "$T/unpacked/box-p1" box-p1
ok "the installed edge.conf passes bk-edge -t" "$BK_BIN/bk-edge" -t -c "$SITE/etc/brightkitchen/edge.conf"
ok "bk-edge started from the bundle reaches the collector (status archived)" edge_reaches box-p1
ok "the bundle's certificate connects to the broker" connects "$B1" box-p1

# ---------------------------------------------------------------- refusals

certs_before=$(wc -l <"$CA/db/index.txt")
ok "an establishment not in the registry is refused" \
	fails "$PROV" box new "$CA" --establishment JY99999999999999 --id box-p9 --db "$DB" --out "$T/bundles/box-p9"
ok "  saying which licence and which archive" says "establishment 'JY99999999999999' is not in the registry of '$DB'"
ok "  and leaving no bundle and no certificate" \
	test ! -e "$T/bundles/box-p9" -a ! -e "$T/bundles/box-p9.tar.gz" -a "$(wc -l <"$CA/db/index.txt")" = "$certs_before"
ok "box new for an id provisioned before is refused" \
	fails "$PROV" box new "$CA" --establishment "$LIC" --id box-p1 --db "$DB" --out "$T/bundles/again"
ok "  saying so, with where the record is" says "cannot provision 'box-p1': it was provisioned on .*$CA/boxes/box-p1"
ok "  and leaving the first bundle alone" test -f "$B1/box-p1.key" -a ! -e "$T/bundles/again"

# ---------------------------------------------------------------- revoke

B2=$T/bundles/box-p2
"$PROV" box new "$CA" --establishment JY13301020000029 --id box-p2 --db "$DB" --out "$B2" >/dev/null
ok "box-p2 connects before revocation (control)" connects "$B2" box-p2
n=$(reloads)
ok "box revoke with --reload-pid" "$PROV" box revoke "$CA" box-p2 --reload-pid "$(bk_pid broker)"
ok "the broker reloaded" wait_until 5 reloaded_after "$n"
ok "revoked box-p2 is refused" refused "$B2" box-p2
ok "box-p1 still connects" connects "$B1" box-p1

B3=$T/bundles/box-p3
ok "box new without --db: made, and says it is not registered" \
	bash -c "'$PROV' box new '$CA' --establishment $LIC --id box-p3 --out '$B3' | grep -q 'NOT registered'"
rc=0
"$PROV" box revoke "$CA" box-p3 --reload-cmd false >"$T/fail.out" 2>&1 || rc=$?
is "a revoke whose reload fails exits 3" "$rc" 3
ok "  and says the broker still admits the certificate" says "could not reload the broker: 'false' failed"
kill -HUP "$(bk_pid broker)"
ok "box revoke of a revoked box is refused" fails "$PROV" box revoke "$CA" box-p3 --reload-pid "$(bk_pid broker)"
ok "  saying it is already revoked" says "already revoked"

# ---------------------------------------------------------------- renew, retire

old=$(serial_of "$B1/box-p1.crt")
B1N=$T/bundles/box-p1-new
ok "box renew: a new bundle" "$PROV" box renew "$CA" box-p1 --out "$B1N"
new=$(serial_of "$B1N/box-p1.crt")
ok "new serial, new key" test "$new" != "$old" -a "$(openssl pkey -in "$B1N/box-p1.key" -pubout)" != \
	"$(openssl pkey -in "$B1/box-p1.key" -pubout)"
is "the renewal's key is 0600, in the tar.gz too" \
	"$(stat -c %a "$B1N/box-p1.key") $(tar -tvzf "$B1N.tar.gz" | awk '$NF == "box-p1-new/box-p1.key" { print $1 }')" \
	"600 -rw-------"
ok "its INSTALL says to keep edge.conf and restart" grep -q 'Keep its' "$B1N/INSTALL"
ok "the old certificate still connects (overlap)" connects "$B1" box-p1
ok "the new certificate connects" connects "$B1N" box-p1

ok "retire with no archive and no --force is refused" \
	fails "$PROV" box retire "$CA" box-p1 --db /nonexistent/archive.db --reload-pid "$(bk_pid broker)"

# A stand-in for a bkctl whose archive records the certificate in use.
cat >"$T/bkctl-stub" <<'EOF'
#!/bin/bash
# bkctl boxes --json as a collector that records cert_serial would answer
printf '[{\n\t"box":\t"box-p1",\n\t"state":\t"online",\n\t"cert_serial":\t"%s"\n}]\n' "$(cat "$STUB_SERIAL")"
EOF
chmod +x "$T/bkctl-stub"
# spelt as a collector might: lower case, colon-separated
colons() { tr 'A-F' 'a-f' <<<"$1" | sed 's/../&:/g; s/:$//'; }
colons "$old" >"$T/stub-serial"
ok "retire is refused while the archive shows the old serial in use" \
	fails env BK_BKCTL="$T/bkctl-stub" STUB_SERIAL="$T/stub-serial" \
	"$PROV" box retire "$CA" box-p1 --reload-pid "$(bk_pid broker)"
ok "  saying so" says "still uses serial $old"

# The box moves to its new certificate (renewal: only cert and key change).
install_bundle "$B1N" box-p1 renewal
ok "bk-edge with the renewed certificate reaches the collector" edge_reaches box-p1
archived_serial=$("$BK_BKCTL" --db "$DB" boxes --box box-p1 --json |
	/usr/bin/python3 -c 'import json,sys; print((json.load(sys.stdin) or [{}])[0].get("cert_serial") or "")')
n=$(reloads)
if [ -n "$archived_serial" ]; then
	ok "retire: the archive's cert_serial is the new one, old serial revoked" \
		"$PROV" box retire "$CA" box-p1 --reload-pid "$(bk_pid broker)"
else
	ok "retire without cert_serial in the archive is refused" \
		fails "$PROV" box retire "$CA" box-p1 --reload-pid "$(bk_pid broker)"
	ok "  naming cert_serial and --force" says "no cert_serial.*--force"
	colons "$new" >"$T/stub-serial"
	ok "retire once the archive shows the new serial (stand-in bkctl): old serial revoked" \
		env BK_BKCTL="$T/bkctl-stub" STUB_SERIAL="$T/stub-serial" \
		"$PROV" box retire "$CA" box-p1 --reload-pid "$(bk_pid broker)"
fi
ok "the broker reloaded" wait_until 5 reloaded_after "$n"
ok "the retired certificate is refused" refused "$B1" box-p1
ok "the new certificate still connects" connects "$B1N" box-p1
ok "retire again: nothing to retire, exit 0" "$PROV" box retire "$CA" box-p1 --force --no-reload

# ---------------------------------------------------------------- list

"$PROV" list "$CA" | sed 's/^/# /'
"$PROV" list "$CA" --json >"$T/list.json"
statuses=$(/usr/bin/python3 -c '
import json, sys
for r in json.load(open(sys.argv[1])):
    print(r["box"], r["establishment"], r["status"], r["current"], r["days_left"] in (824, 825), r["not_after"][:4])
' "$T/list.json" | paste -sd'|')
y=$(date -u -d '+825 days' +%Y)
is "list --json: per certificate box, establishment, status, current, days left, expiry" "$statuses" \
	"box-p1 $LIC revoked False True $y|box-p1 $LIC valid True True $y|box-p2 JY13301020000029 revoked True True $y|box-p3 $LIC revoked True True $y"
"$BK_ROOT/tools/bk-pki" issue "$CA" box-p4 --days 1 >/dev/null
mkdir -p "$T/bundles/p5"
"$PROV" box new "$CA" --establishment "$LIC" --id box-p5 --out "$T/bundles/p5/b" --days 3 >/dev/null
"$PROV" box renew "$CA" box-p5 --out "$T/bundles/p5/c" >/dev/null
ok "list shows a renewed box's old certificate as superseded, with its days left" \
	grep -qE "^box-p5 +$LIC +$(serial_of "$T/bundles/p5/b/box-p5.crt") +[0-9T:-]+Z +superseded +[23]$" < <("$PROV" list "$CA")
is "bk-pki list: id, status, days left from db/index.txt" \
	"$("$BK_ROOT/tools/bk-pki" list "$CA" | awk '$1 == "box-p4" { print $1, $3, ($5 == 0 || $5 == 1) }')" "box-p4 valid 1"

# ---------------------------------------------------------------- systemd units

units_verified() {
	local u out rc=0
	for u in bk-edge bk-collector; do
		sed "s|^ExecStart=/usr/local/bin/$u |ExecStart=$BK_BIN/$u |" \
			"$BK_ROOT/tools/systemd/$u.service" >"$T/$u.service"
		out=$(systemd-analyze verify "$T/$u.service" 2>&1) || rc=1
		[ -z "$out" ] || { echo "$out"; rc=1; }
		echo "$u: $(systemd-analyze security --offline=yes "$T/$u.service" 2>&1 | grep -o 'Overall exposure level.*')"
	done
	return $rc
}
if command -v systemd-analyze >/dev/null; then
	ok "systemd-analyze verify passes without a warning, both units" units_verified
else
	ok "systemd-analyze verify # SKIP systemd-analyze not installed" true
fi
hardened() {
	local f=$BK_ROOT/tools/systemd/$1.service k missing=""
	for k in User=brightkitchen StateDirectory= ConfigurationDirectory= NoNewPrivileges=yes \
		ProtectSystem=strict ProtectHome=yes PrivateTmp=yes ReadWritePaths= \
		ProtectKernelTunables=yes ProtectKernelModules=yes ProtectControlGroups=yes \
		'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' 'CapabilityBoundingSet=$' \
		SystemCallFilter=@system-service Restart=on-failure UMask=0077; do
		grep -q "^$k" "$f" || missing+=" $k"
	done
	grep -q '^DynamicUser=' "$f" && missing+=" (DynamicUser= set)"
	[ -z "$missing" ] || { echo "missing:$missing"; return 1; }
}
ok "bk-edge.service has the hardening keys" hardened bk-edge
ok "bk-collector.service has the hardening keys" hardened bk-collector
ok "bk-edge may write only its state dir" grep -qx 'ReadWritePaths=/var/lib/brightkitchen/edge' \
	"$BK_ROOT/tools/systemd/bk-edge.service"

bk_done
