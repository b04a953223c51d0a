"""Which activity attempts a starting worker treats as dead (worker.died_on_this_host): only those of a process
of this host that is gone. Failing a live worker's attempt would send its page twice."""

import os
import socket
import subprocess
import sys

from worker import died_on_this_host, process_identity


def _exited_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_restarted_worker_with_the_same_pid_tells_its_predecessor_from_itself():
    mine = process_identity()
    predecessor = mine.rsplit("/", 1)[0] + "/0000beef"
    assert not died_on_this_host(mine, mine)
    assert died_on_this_host(predecessor, mine)
    assert died_on_this_host(f"{os.getpid()}@{socket.gethostname()}", mine)  # an older worker, SDK default identity


def test_only_gone_processes_of_this_host_count_as_dead():
    mine = process_identity()
    host = socket.gethostname()
    assert died_on_this_host(f"{_exited_pid()}@{host}/12ab34cd", mine)
    assert not died_on_this_host(f"{os.getppid()}@{host}/12ab34cd", mine)  # alive: still paging
    assert not died_on_this_host(f"{_exited_pid()}@other-{host}/12ab34cd", mine)  # another host: cannot tell
    assert not died_on_this_host("tool-worker-eu-1", mine)  # an identity someone set by hand
