"""The environment of tests/test_cluster.py's Ray cluster, its drivers and its web replicas. Ray reads
it when it is first imported, so tests/conftest.py puts it into the test processes before any test file
is collected (a file collected earlier, e.g. tests/test_classroom_shared.py, imports Ray too).

- Ray picks the machine's network address even when told 127.0.0.1; without "cluster mode" (its own
  switch, meant for laptops) it binds every server to the loopback address instead. On, a driver looks
  for the loopback cluster at the network address until the test times out.
- Ray's token authentication, with a token of this run (as scripts/cluster.sh).
- No usage statistics, and no Ray call that silently starts a cluster of its own.
"""

import secrets

LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_AUTO_CONNECT": "0",
            "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
