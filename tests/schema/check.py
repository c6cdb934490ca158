#!/usr/bin/python3
"""Check brightkitchen messages against the JSON Schemas in schemas/.

Usage:
  check.py examples        check every schema, and that each schemas/examples/
                           <name>.valid[-<what>].json validates and each
                           <name>.invalid-<what>.json is rejected
  check.py captured FILE   check captured traffic: one message per line as
                           "topic<TAB>payload" (mosquitto_sub -v -F '%t\\t%p')

Output is TAP ("ok N - ...", "not ok N - ...", then "1..N"); the exit status
is 0 when everything passed, 1 when something failed, 2 on a usage error.

Written for Debian's python3-jsonschema 4.10 (run it with /usr/bin/python3):
refs are resolved by a RefResolver whose store maps each schema's $id to the
schema, and nothing is fetched. Under jsonschema >= 4.18, where RefResolver is
deprecated and ignored by some keywords, a `referencing` Registry holding the
same schemas is used instead.
"""

import glob
import json
import os
import re
import sys

try:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
except ImportError:
    sys.stderr.write("check.py: jsonschema missing; run it with /usr/bin/python3\n")
    sys.exit(2)
try:  # jsonschema >= 4.18
    from referencing import Registry
    from referencing.exceptions import Unresolvable as ResolveError
    from referencing.jsonschema import DRAFT202012
except ImportError:  # jsonschema 4.10 (Debian 12)
    from jsonschema import RefResolver
    from jsonschema.exceptions import RefResolutionError as ResolveError
    Registry = None

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA_DIR = os.path.join(ROOT, "schemas")
EXAMPLE_DIR = os.path.join(SCHEMA_DIR, "examples")
DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE = "https://brightkitchen.example/schemas/v1/"
MESSAGES = ["status", "reading", "event", "clip", "ack", "cmd", "alert", "task", "report", "live"]
SCHEMAS = ["envelope"] + MESSAGES

# (topic regex, schema or None for group 2, payload field that must equal group 1)
TOPICS = [
    (re.compile(r"^bk/v1/box/([^/]+)/(status|reading|event|clip|live)$"), None, "id"),
    (re.compile(r"^bk/v1/box/([^/]+)/(ack|cmd)$"), None, "box"),
    (re.compile(r"^bk/v1/alert/([^/]+)$"), "alert", "district"),
    (re.compile(r"^bk/v1/hh/([^/]+)/task$"), "task", None),
    (re.compile(r"^bk/v1/hh/([^/]+)/report$"), "report", "id"),
    (re.compile(r"^bk/v1/hh/([^/]+)/ack$"), "ack", "box"),
]
# binary: clip chunks and live video
CHUNK = re.compile(r"^bk/v1/box/[^/]+/(clip/[^/]+/[0-9]+|live/[^/]+)$")
# A line that starts a record: "topic<TAB>"; the topic has no blank, control
# character or quote, so an indented or tab-separated JSON line is not one.
RECORD = re.compile(rb'^([^\x00-\x20\x7f"]+)\t')


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, passed, desc, reason=None):
        self.n += 1
        if passed:
            print("ok %d - %s" % (self.n, desc))
        else:
            self.failed += 1
            print("not ok %d - %s%s" % (self.n, desc, ": " + reason if reason else ""))

    @staticmethod
    def comment(text):
        print("# " + text)

    def done(self):
        print("1..%d" % self.n)
        sys.stdout.flush()
        return 1 if self.failed or not self.n else 0


def _pairs(pairs):
    """json object_pairs_hook: refuse duplicate keys (json.loads keeps the last)."""
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError("duplicate key %r" % key)
        obj[key] = value
    return obj


def _constant(name):
    raise ValueError("%s is not JSON" % name)


def parse_json(data):
    """Parse bytes or str strictly (UTF-8, no duplicate keys, no NaN/Infinity)."""
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    return json.loads(data, object_pairs_hook=_pairs, parse_constant=_constant)


def load_file(path):
    with open(path, "rb") as f:
        return parse_json(f.read())


def _no_remote(uri):
    raise ResolveError("not in the local schema store: %s" % uri)


class Schemas:
    """The schemas of schemas/, resolvable from one another by $id."""

    def __init__(self):
        self.docs = {}  # name -> schema document
        self.errors = {}  # name -> why it cannot be loaded
        for name in SCHEMAS:
            path = os.path.join(SCHEMA_DIR, name + ".json")
            try:
                self.docs[name] = load_file(path)
            except (OSError, ValueError) as e:
                self.errors[name] = "cannot load: %s" % e
        self.store = {}
        for name, doc in self.docs.items():
            if isinstance(doc, dict) and isinstance(doc.get("$id"), str):
                self.store[doc["$id"]] = doc
        if Registry is not None:
            self.registry = Registry().with_resources(
                (uri, DRAFT202012.create_resource(doc)) for uri, doc in self.store.items())

    def validator(self, name):
        return self._validator(self.docs[name])

    def _validator(self, doc):
        if Registry is not None:
            return Draft202012Validator(doc, registry=self.registry)
        return Draft202012Validator(doc, resolver=RefResolver(
            base_uri=doc.get("$id", ""), referrer=doc, store=self.store,
            handlers={"http": _no_remote, "https": _no_remote}))

    def resolve(self, doc, ref):
        """Resolve a $ref found in doc (no nested $id); raise ResolveError."""
        if Registry is not None:
            self.registry.resolver(base_uri=doc.get("$id", "")).lookup(ref)
        else:
            self._validator(doc).resolver.resolve(ref)

    def problems(self, name):
        """What is wrong with one schema, as (fatal, other): fatal problems
        (unreadable, not a schema, a $ref that does not resolve) make it
        unusable; the others break conventions of this directory."""
        if name in self.errors:
            return [self.errors[name]], []
        doc = self.docs[name]
        try:
            Draft202012Validator.check_schema(doc)
        except SchemaError as e:
            return ["not a valid 2020-12 schema: %s" % short(e.message)], []
        fatal, out = [], []
        if doc.get("$schema") != DRAFT:
            out.append("$schema is not %s" % DRAFT)
        if doc.get("$id") != BASE + name + ".json":
            out.append("$id is not %s%s.json" % (BASE, name))
        if name != "envelope":
            if {"$ref": "envelope.json"} not in doc.get("allOf", []):
                out.append('allOf lacks {"$ref": "envelope.json"}')
            if doc.get("unevaluatedProperties") is not False:
                out.append("unevaluatedProperties is not false")
        for where, sub in walk(doc, "#"):
            props = sub.get("properties")
            # Properties declare fields; those of an "if" only test them.
            if isinstance(props, dict) and "/if/" not in where + "/":
                for key, prop in props.items():
                    if isinstance(prop, dict) and not prop.get("description"):
                        out.append("%s/properties/%s has no description" % (where, key))
            ref = sub.get("$ref")
            if isinstance(ref, str):
                try:
                    self.resolve(doc, ref)
                except ResolveError as e:
                    fatal.append("%s: $ref %s does not resolve (%s)" % (where, ref, e))
        return fatal, out


def walk(node, where):
    """Yield (json pointer, dict) for every dict in a schema document."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from walk(value, "%s/%s" % (where, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, "%s/%d" % (where, i))


def short(text, limit=240):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def path_of(error):
    out = "$"
    for p in error.absolute_path:
        out += "[%d]" % p if isinstance(p, int) else "." + str(p)
    return out


def reasons(validator, instance):
    """Why instance is invalid, most telling first; [] when it is valid."""
    try:
        errors = list(validator.iter_errors(instance))
    except ResolveError as e:
        return ["schema $ref error: %s" % e]
    # jsonschema 4.10 also reports every property whose own check failed as
    # "unevaluated": list those last, behind the error that caused them.
    errors.sort(key=lambda e: (e.validator == "unevaluatedProperties", len(e.absolute_path)))
    return ["%s: %s" % (path_of(e), short(e.message) if e.validator is not None else
                         "not allowed here: " + short(json.dumps(e.instance, ensure_ascii=False), 60))
            for e in errors]


def summary(why):
    return why[0] + (" (+%d more)" % (len(why) - 1) if len(why) > 1 else "")


def run_examples():
    tap = Tap()
    schemas = Schemas()
    usable = {}
    for name in SCHEMAS:
        fatal, other = schemas.problems(name)
        usable[name] = not fatal
        tap.ok(not fatal and not other, "schemas/%s.json" % name, "; ".join(fatal + other))

    seen = {name: [0, 0] for name in SCHEMAS}
    name_re = re.compile(r"^([a-z]+)\.(valid|invalid)(-[a-z0-9][a-z0-9-]*)?\.json$")
    for path in sorted(glob.glob(os.path.join(EXAMPLE_DIR, "*"))):
        base = os.path.basename(path)
        desc = "examples/" + base
        m = name_re.match(base)
        if not m or m.group(1) not in seen or (m.group(2) == "invalid" and not m.group(3)):
            tap.ok(False, desc, "name is not <schema>.valid[-<what>].json"
                   " or <schema>.invalid-<what>.json")
            continue
        name, valid = m.group(1), m.group(2) == "valid"
        seen[name][0 if valid else 1] += 1
        if not usable[name]:
            tap.ok(False, desc, "schemas/%s.json is broken" % name)
            continue
        try:
            instance = load_file(path)
        except (OSError, ValueError) as e:
            tap.ok(False, desc, "cannot load: %s" % e)
            continue
        why = reasons(schemas.validator(name), instance)
        if valid:
            tap.ok(not why, desc, why and summary(why))
        else:
            tap.ok(bool(why), desc, "accepted, but should be rejected")
            if why:
                tap.comment("  rejected: " + summary(why))
    for name in SCHEMAS:
        nvalid, ninvalid = seen[name]
        tap.ok(nvalid >= 1 and ninvalid >= 1,
               "examples for %s: %d valid, %d invalid" % (name, nvalid, ninvalid),
               "need at least one of each")
    return tap.done()


def records(data):
    """Split a capture into (line number, topic, payload bytes).

    mosquitto_sub ends each message with a newline but does not escape
    payloads, so a binary clip chunk or a pretty-printed JSON payload can span
    several lines. A line starts a new record when it looks like
    "topic<TAB>"; after a chunk only a known bk/v1 topic counts (binary data
    may look like anything), otherwise the line continues the payload.
    """
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out = []
    cur = None  # [line number, topic, [payload lines]]
    for no, line in enumerate(lines, 1):
        m = RECORD.match(line)
        topic = None
        if m:
            try:
                topic = m.group(1).decode("utf-8")
            except UnicodeDecodeError:
                topic = None
        if topic is not None and cur is not None and CHUNK.match(cur[1]):
            if not (CHUNK.match(topic) or any(r.match(topic) for r, _, _ in TOPICS)):
                topic = None
        if topic is not None:
            cur = [no, topic, [line[m.end():]]]
            out.append(cur)
        elif cur is not None:
            cur[2].append(line)
        else:
            out.append([no, None, [line]])
    return [(no, topic, b"\n".join(payload)) for no, topic, payload in out]


def run_captured(path):
    tap = Tap()
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        tap.ok(False, "captured %s" % path, "cannot read: %s" % e)
        return tap.done()
    schemas = Schemas()
    bad = [n for n in SCHEMAS if schemas.problems(n)[0]]
    if bad:
        tap.ok(False, "schemas", "broken: %s (run check.py examples)" % ", ".join(bad))
        return tap.done()
    validators = {name: schemas.validator(name) for name in MESSAGES}
    counts = {}  # schema -> [messages, invalid]
    chunks = cleared = 0
    for no, topic, payload in records(data):
        if topic is None:
            tap.ok(False, "captured line %d" % no, "not topic<TAB>payload: %s"
                   % short(payload.decode("utf-8", "replace"), 80))
            continue
        if CHUNK.match(topic):
            chunks += 1
            continue
        name = field = level = None
        for regex, schema, key in TOPICS:
            m = regex.match(topic)
            if m:
                level = m.group(1)
                name = schema or m.group(2)
                field = key
                break
        if name is None:
            tap.ok(False, "captured line %d" % no, "unknown topic %s" % topic)
            continue
        if name == "status" and payload == b"":
            cleared += 1  # an empty retained message clears the retained status
            continue
        count = counts.setdefault(name, [0, 0])
        count[0] += 1
        try:
            message = parse_json(payload)
        except ValueError as e:
            why = ["not JSON: %s" % short(e, 120)]
        else:
            why = reasons(validators[name], message)
            if field and isinstance(message, dict) and message.get(field) != level:
                why.insert(0, "topic has %s but payload %s is %s"
                           % (level, field, json.dumps(message.get(field), ensure_ascii=False)))
        if why:
            count[1] += 1
            tap.ok(False, "captured %s line %d (%s)" % (name, no, topic), summary(why))
    if chunks:
        tap.comment("skipped %d binary clip chunk(s)" % chunks)
    if cleared:
        tap.comment("skipped %d empty retained status message(s)" % cleared)
    for name in MESSAGES:
        if name in counts:
            total, invalid = counts[name]
            if invalid:
                tap.ok(False, "captured %s: %d of %d messages invalid" % (name, invalid, total))
            else:
                tap.ok(True, "captured %s: %d messages valid" % (name, total))
    if not counts:
        tap.ok(False, "captured %s" % path, "no message to check")
    return tap.done()


def main(argv):
    if len(argv) == 2 and argv[1] == "examples":
        return run_examples()
    if len(argv) == 3 and argv[1] == "captured":
        return run_captured(argv[2])
    sys.stderr.write("usage: check.py examples\n       check.py captured FILE\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
