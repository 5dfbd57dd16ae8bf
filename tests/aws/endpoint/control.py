# control.py - the test's own API under /_control/ (JSON, not signed):
#
#   GET    /_control/log[?since=N]   the request log (entries after number N)
#   DELETE /_control/log             clear it
#   GET    /_control/faults          the fault rules and how often each fired
#   POST   /_control/faults          add one: {"op","kind","count"|"rate","delay"}
#   DELETE /_control/faults          remove them all
#   POST   /_control/console         {"id": "i-..."|"ami-...", "text": "..."}
#   POST   /_control/config          {"boot_delay","stop_delay","complete_delay"}
#   GET    /_control/state           snapshots (block indices, checksums),
#                                    images, instances
#   GET    /_control/block?snapshot=ID&index=N   a written block's bytes
import json
import urllib.parse

import ec2


def _reply(h, status, doc):
    h._send(status, json.dumps(doc, default=str).encode(), "application/json")


def _doc(body):
    try:
        d = json.loads(body or b"{}")
    except ValueError:
        raise ValueError("the body is not JSON")
    if not isinstance(d, dict):
        raise ValueError("the body must be a JSON object")
    return d


def handle(h, split, body):
    ep = h.ep
    what = split.path[len("/_control/") :]
    q = urllib.parse.parse_qs(split.query)
    try:
        if what == "log" and h.command == "GET":
            since = int(q.get("since", ["0"])[0])
            with ep.log_lock:
                _reply(h, 200, {"requests": ep.log[since:]})
        elif what == "log" and h.command == "DELETE":
            with ep.log_lock:
                ep.log.clear()
            _reply(h, 200, {})
        elif what == "faults" and h.command == "GET":
            _reply(h, 200, {"faults": ep.faults.list()})
        elif what == "faults" and h.command == "POST":
            _reply(h, 200, ep.faults.add(_doc(body)))
        elif what == "faults" and h.command == "DELETE":
            ep.faults.clear()
            _reply(h, 200, {})
        elif what == "console" and h.command == "POST":
            d = _doc(body)
            if not isinstance(d.get("id"), str) or not isinstance(d.get("text"), str):
                raise ValueError("console wants {id, text}")
            with ep.st.lock:
                ep.st.console[d["id"]] = d["text"].encode()
                ep.st.save()
            _reply(h, 200, {})
        elif what == "config" and h.command == "POST":
            d = _doc(body)
            for k, v in d.items():
                if k not in ("boot_delay", "stop_delay", "complete_delay"):
                    raise ValueError("unknown setting %s" % k)
                if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= 3600:
                    raise ValueError("%s must be 0..3600 seconds" % k)
                setattr(ep.cfg, k, float(v))
            _reply(h, 200, {})
        elif what == "state" and h.command == "GET":
            with ep.st.lock:
                snaps = {}
                for sid, s in ep.st.snapshots.items():
                    ep.st.settle(s)
                    c = {k: v for k, v in s.items() if k not in ("blocks", "parent_blocks", "kept")}
                    c["blocks"] = {str(i): b["sha"] for i, b in sorted(s["blocks"].items())}
                    snaps[sid] = c
                for inst in ep.st.instances.values():
                    ec2.settle(ep.st, inst)  # the state moved on by the delays
                _reply(h, 200, {"snapshots": snaps, "images": ep.st.images, "instances": ep.st.instances})
        elif what == "block" and h.command == "GET":
            sid, idx = q.get("snapshot", [""])[0], int(q.get("index", ["-1"])[0])
            with ep.st.lock:
                s = ep.st.snapshots.get(sid)
                if s is None or idx not in s["blocks"]:
                    _reply(h, 404, {"error": "no block %d in %s" % (idx, sid)})
                    return
                data = s["blocks"][idx]["data"]
            h._send(200, data, "application/octet-stream")
        else:
            _reply(h, 404, {"error": "no control %s %s" % (h.command, what)})
    except ValueError as e:
        _reply(h, 400, {"error": str(e)})
