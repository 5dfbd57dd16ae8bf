# faults.py - injected failures: throttling, 5xx, dropped connections, slow
# replies, for the next N requests of an operation or at a rate.
import random
import threading

KINDS = ("throttle", "500", "503", "drop", "slow", "notfound")


class Faults:
    def __init__(self, seed=None):
        self.lock = threading.Lock()
        self.rules = []
        self.rng = random.Random(seed)

    def add(self, rule):
        """rule: {op, kind, count?, rate?, delay?, code?, status?}; op "*" is
        every operation; code/status replace the error sent (e.g. EBS
        ThrottlingException instead of the model's RequestThrottledException)."""
        r = dict(rule)
        for k in r:
            if k not in ("op", "kind", "count", "rate", "delay", "code", "status"):
                raise ValueError("unknown fault field %s" % k)
        if r.get("kind") not in KINDS:
            raise ValueError("kind must be one of %s" % ", ".join(KINDS))
        if not isinstance(r.get("op", ""), str) or not r.get("op"):
            raise ValueError("op must be an operation name or *")
        count, rate = r.get("count"), r.get("rate")
        if (count is None) == (rate is None):
            raise ValueError("give exactly one of count (next N requests) and rate (0..1)")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
            raise ValueError("count must be a positive integer")
        if rate is not None and (not isinstance(rate, (int, float)) or not 0 < rate <= 1):
            raise ValueError("rate must be in (0, 1]")
        delay = r.get("delay", 2.0 if r["kind"] == "slow" else 0)
        if not isinstance(delay, (int, float)) or not 0 <= delay <= 300:
            raise ValueError("delay must be 0..300 seconds")
        r["delay"] = float(delay)
        if r.get("code") is not None and not (
            isinstance(r["code"], str)
            and r["code"].replace(".", "").isalnum()
            and r["kind"] in ("throttle", "500", "503", "notfound")
        ):
            raise ValueError(
                "code (the error code to send instead) must be letters, digits and dots, for throttle/500/503/notfound"
            )
        st = r.get("status")
        if st is not None and (not isinstance(st, int) or isinstance(st, bool) or not 400 <= st <= 599):
            raise ValueError("status must be 400..599")
        r["fired"] = 0
        with self.lock:
            self.rules.append(r)
        return r

    @staticmethod
    def parse(spec):
        """OP:KIND:N (next N requests), OP:KIND:0.25 (a rate), ...:DELAY."""
        parts = spec.split(":")
        if len(parts) not in (3, 4):
            raise ValueError("--fault wants OP:KIND:COUNT|RATE[:DELAY], not %r" % spec)
        r = {"op": parts[0], "kind": parts[1]}
        if "." in parts[2]:
            r["rate"] = float(parts[2])
        else:
            r["count"] = int(parts[2])
        if len(parts) == 4:
            r["delay"] = float(parts[3])
        return r

    def pick(self, op):
        """The rule that fires for this request of op, or None."""
        with self.lock:
            for r in self.rules:
                if r["op"] not in ("*", op):
                    continue
                if r.get("count") is not None:
                    if r["count"] > 0:
                        r["count"] -= 1
                        r["fired"] += 1
                        return dict(r)
                elif self.rng.random() < r["rate"]:
                    r["fired"] += 1
                    return dict(r)
            return None

    def clear(self):
        with self.lock:
            self.rules = []

    def list(self):
        with self.lock:
            return [dict(r) for r in self.rules]
