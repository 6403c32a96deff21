#!/usr/bin/env python3
"""Print a UserSig made by the independent TLSSigAPIv2 reference generator.

Integration tests use it so the server is checked against sigs that Pigeon's
own code did not produce.  Needs `pip install tls-sig-api-v2`.

Usage: gen_usersig.py SDKAPPID KEY USERID EXPIRE
"""

import sys


def main(argv):
    if len(argv) != 5:
        sys.stderr.write("usage: gen_usersig.py SDKAPPID KEY USERID EXPIRE\n")
        return 2
    try:
        sdkappid, expire = int(argv[1]), int(argv[4])
    except ValueError:
        sys.stderr.write("SDKAPPID and EXPIRE must be integers\n")
        return 2
    try:
        import TLSSigAPIv2
    except ImportError:
        sys.stderr.write("missing package: pip install tls-sig-api-v2\n")
        return 3
    sys.stdout.write(TLSSigAPIv2.TLSSigAPIv2(sdkappid, argv[2]).gen_sig(argv[3], expire) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
