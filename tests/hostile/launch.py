"""Runs one command for the hostile-input campaign and reports how it ended.

usage: launch.py DELAY SIGNAL STDIN STDOUT ERRFILE -- COMMAND...

Sends SIGNAL (a number; 0 sends none) DELAY seconds after the start, unless the command ended
first. STDIN is a file path or "null"; STDOUT is "null", "full" (/dev/full), "stuck" (a pipe
nobody reads) or a file path. Standard error goes to ERRFILE. Prints one line:
"exit N SECONDS" or "signal N SECONDS", SECONDS from the signal to the end (0 without a signal).
A command still running 20 s after the signal is killed and reported as "hung".
"""

import os
import signal
import subprocess
import sys
import time


def main():
    delay, sig, stdin, stdout, errfile = sys.argv[1:6]
    assert sys.argv[6] == "--"
    command = sys.argv[7:]
    keep = None
    if stdout == "null":
        out = subprocess.DEVNULL
    elif stdout == "full":
        out = open("/dev/full", "wb")
    elif stdout == "stuck":
        read_end, write_end = os.pipe()
        out, keep = write_end, read_end
    else:
        out = open(stdout, "wb")
    source = subprocess.DEVNULL if stdin == "null" else open(stdin, "rb")
    with open(errfile, "wb") as err:
        child = subprocess.Popen(command, stdin=source, stdout=out, stderr=err)
    if stdout == "stuck":
        os.close(write_end)
    sig, sent, waited = int(sig), False, 0.0
    try:
        child.wait(timeout=float(delay))
    except subprocess.TimeoutExpired:
        if sig:
            child.send_signal(sig)
            sent = True
    signalled = time.monotonic()
    try:
        code = child.wait(timeout=20)
        waited = time.monotonic() - signalled if sent else 0.0
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        print("hung")
        return
    if keep is not None:
        os.close(keep)
    kind = "signal" if code < 0 else "exit"
    print(f"{kind} {abs(code)} {waited:.3f}")


main()
