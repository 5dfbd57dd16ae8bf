# crosscheck.py - the contract endpoint driven by boto3 (Debian
# python3-boto3) and unik's signer, through the whole EBS and EC2 flow unik
# uses and the failures a client must see answered as the real services
# answer them: cross_ebs.py, cross_auth.py, cross_ec2.py, in that order, on
# one endpoint (helpers in xcheck.py).  Run by tests/e2e/t0020-aws-endpoint.sh;
# prints TAP lines and (unless CROSSCHECK_NO_SUMMARY) the summary.
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cross_auth  # noqa: E402
import cross_ebs  # noqa: E402
import cross_ec2  # noqa: E402
import xcheck  # noqa: E402


def main(tmp):
    c = {"tmp": tmp, "statef": os.path.join(tmp, "state.json")}
    c["p"], c["url"] = xcheck.start(tmp, "--state", c["statef"])
    c["ebs"], c["ec2"] = xcheck.clients(c["url"])
    cross_ebs.run(c)
    cross_auth.run(c)
    cross_ec2.run(c)
    if not os.environ.get("CROSSCHECK_NO_SUMMARY"):
        print("%d passed, %d failed, 0 skipped" % (xcheck.n - xcheck.failed, xcheck.failed))
    return 1 if xcheck.failed else 0


if __name__ == "__main__":
    tmpdir = tempfile.mkdtemp(prefix="unik-awsep.")
    try:
        rc = main(tmpdir)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
        for pr in xcheck.procs:
            if pr.poll() is None:
                pr.kill()
                pr.wait()
    sys.exit(rc)
