#!/usr/bin/env python3
"""Regenerate the Windows Sysmon datasets of this content pack (deterministic).

    python datasets/windows/generate.py

Events are Microsoft-Windows-Sysmon/Operational records in the form the Splunk Universal
Forwarder sends with ``renderXml = true`` (sourcetype ``XmlWinEventLog``): one
``<Event xmlns=...>...</Event>`` per line, fields after the public Sysmon event schema
(EventID 1 process creation, 3 network connection, 13 registry value set).

- sysmon_office_spawns_shell.log: workstation noise and one Word document starting cmd.exe,
  which starts PowerShell (the process-creation detection's true positive).
- sysmon_benign_processes.log: the same noise without the Office child process.
- sysmon_reverse_shell_port.log: network connections, one of them from a renamed binary to
  port 4444 (the network detection's true positive).
- sysmon_benign_network.log: the same connections without it.

``write_sysmon_bulk`` makes large files for the benchmarks (``bench/bench_tstats.py``).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
START = datetime(2026, 11, 3, 8, 0, 0, tzinfo=UTC)
NS = "http://schemas.microsoft.com/win/2004/08/events/event"
PROVIDER = (
    "<Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/>"
)
HOSTS = ["wks-0142.corp.example.com", "wks-0277.corp.example.com", "srv-app01.corp.example.com"]
USERS = ["CORP\\alice", "CORP\\bob", "NT AUTHORITY\\SYSTEM"]
TASKS = {1: 1, 3: 3, 13: 13}

#: (image, command line, parent image, parent command line)
NOISE = [
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p",
        "C:\\Windows\\System32\\services.exe",
        "C:\\Windows\\system32\\services.exe",
    ),
    (
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer',
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"',
    ),
    (
        "C:\\Windows\\System32\\cmd.exe",
        'C:\\Windows\\system32\\cmd.exe /c "ipconfig /all"',
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\Explorer.EXE",
    ),
    (
        "C:\\Windows\\System32\\conhost.exe",
        "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1",
        "C:\\Windows\\System32\\cmd.exe",
        'C:\\Windows\\system32\\cmd.exe /c "ipconfig /all"',
    ),
    (
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n "C:\\Users\\alice\\Documents\\report.docx"',
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\Explorer.EXE",
    ),
]
#: (image, destination ip, destination port, protocol)
CONNECTIONS = [
    ("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "142.250.74.110", 443, "tcp"),
    ("C:\\Windows\\System32\\svchost.exe", "10.0.0.53", 53, "udp"),
    ("C:\\Windows\\System32\\lsass.exe", "10.0.0.10", 389, "tcp"),
    ("C:\\Windows\\System32\\svchost.exe", "20.190.160.20", 443, "tcp"),
]


def _guid(rng: random.Random) -> str:
    return "{" + str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper() + "}"


def _event(eid: int, when: datetime, host: str, record: int, data: list[tuple[str, str]]) -> str:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
    system = (
        f"<System>{PROVIDER}<EventID>{eid}</EventID><Version>5</Version><Level>4</Level>"
        f"<Task>{TASKS.get(eid, eid)}</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords>"
        f"<TimeCreated SystemTime='{stamp}'/><EventRecordID>{record}</EventRecordID>"
        "<Correlation/><Execution ProcessID='3312' ThreadID='4120'/>"
        "<Channel>Microsoft-Windows-Sysmon/Operational</Channel>"
        f"<Computer>{host}</Computer><Security UserID='S-1-5-18'/></System>"
    )
    body = "".join(f"<Data Name='{k}'>{escape(v)}</Data>" for k, v in data)
    return f"<Event xmlns='{NS}'>{system}<EventData>{body}</EventData></Event>"


def process_creation(
    rng: random.Random,
    when: datetime,
    host: str,
    user: str,
    record: int,
    image: str,
    command: str,
    parent: str,
    parent_command: str,
    pid: int | None = None,
    ppid: int | None = None,
) -> str:
    name = image.rsplit("\\", 1)[-1]
    data = [
        ("RuleName", "-"),
        ("UtcTime", when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]),
        ("ProcessGuid", _guid(rng)),
        ("ProcessId", str(pid or rng.randint(1000, 9999))),
        ("Image", image),
        ("FileVersion", "10.0.19041.1"),
        ("Description", name),
        ("Product", "Microsoft® Windows® Operating System"),
        ("Company", "Microsoft Corporation"),
        ("OriginalFileName", name),
        ("CommandLine", command),
        ("CurrentDirectory", "C:\\Windows\\system32\\"),
        ("User", user),
        ("LogonGuid", _guid(rng)),
        ("LogonId", "0x3e7"),
        ("TerminalSessionId", "1"),
        ("IntegrityLevel", "Medium"),
        ("Hashes", f"SHA256={rng.getrandbits(256):064X}"),
        ("ParentProcessGuid", _guid(rng)),
        ("ParentProcessId", str(ppid or rng.randint(1000, 9999))),
        ("ParentImage", parent),
        ("ParentCommandLine", parent_command),
        ("ParentUser", user),
    ]
    return _event(1, when, host, record, data)


def network_connection(
    rng: random.Random,
    when: datetime,
    host: str,
    user: str,
    record: int,
    image: str,
    dest_ip: str,
    dest_port: int,
    protocol: str,
) -> str:
    data = [
        ("RuleName", "-"),
        ("UtcTime", when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]),
        ("ProcessGuid", _guid(rng)),
        ("ProcessId", str(rng.randint(1000, 9999))),
        ("Image", image),
        ("User", user),
        ("Protocol", protocol),
        ("Initiated", "true"),
        ("SourceIsIpv6", "false"),
        ("SourceIp", "10.0.1.42"),
        ("SourceHostname", host),
        ("SourcePort", str(rng.randint(49152, 65535))),
        ("DestinationIsIpv6", "false"),
        ("DestinationIp", dest_ip),
        ("DestinationPort", str(dest_port)),
    ]
    return _event(3, when, host, record, data)


def registry_set(
    rng: random.Random,
    when: datetime,
    host: str,
    user: str,
    record: int,
    image: str,
    key: str,
    details: str,
) -> str:
    data = [
        ("RuleName", "-"),
        ("EventType", "SetValue"),
        ("UtcTime", when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]),
        ("ProcessGuid", _guid(rng)),
        ("ProcessId", str(rng.randint(1000, 9999))),
        ("Image", image),
        ("TargetObject", key),
        ("Details", details),
        ("User", user),
    ]
    return _event(13, when, host, record, data)


def _noise(rng: random.Random, count: int, start: datetime) -> Iterator[tuple[datetime, str]]:
    for i in range(count):
        when = start + timedelta(seconds=17 * i + rng.randint(0, 9))
        host, user = rng.choice(HOSTS), rng.choice(USERS)
        kind = rng.random()
        if kind < 0.5:
            image, command, parent, parent_command = rng.choice(NOISE)
            yield (
                when,
                process_creation(
                    rng, when, host, user, 5000 + i, image, command, parent, parent_command
                ),
            )
        elif kind < 0.85:
            image, ip, port, proto = rng.choice(CONNECTIONS)
            yield when, network_connection(rng, when, host, user, 5000 + i, image, ip, port, proto)
        else:
            yield (
                when,
                registry_set(
                    rng,
                    when,
                    host,
                    user,
                    5000 + i,
                    "C:\\Windows\\System32\\svchost.exe",
                    "HKLM\\System\\CurrentControlSet\\Services\\bam\\State\\UserSettings\\S-1-5-21\\x",
                    "Binary Data",
                ),
            )


def _write(path: Path, lines: list[tuple[datetime, str]]) -> None:
    lines.sort(key=lambda item: item[0])
    path.write_text("".join(line + "\n" for _, line in lines), encoding="utf-8")


def office_spawns_shell(attack: bool) -> list[tuple[datetime, str]]:
    rng = random.Random(11)
    lines = list(_noise(rng, 60, START))
    if attack:
        when = START + timedelta(minutes=7, seconds=3)
        word = "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE"
        word_cmd = f'"{word}" /n "C:\\Users\\bob\\Downloads\\Invoice_8841.doc"'
        cmd = "C:\\Windows\\System32\\cmd.exe"
        cmd_line = "cmd.exe /c powershell -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoA"
        lines.append(
            (
                when,
                process_creation(
                    rng,
                    when,
                    HOSTS[1],
                    "CORP\\bob",
                    9001,
                    cmd,
                    cmd_line,
                    word,
                    word_cmd,
                    7312,
                    6220,
                ),
            )
        )
        later = when + timedelta(seconds=1)
        ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
        lines.append(
            (
                later,
                process_creation(
                    rng,
                    later,
                    HOSTS[1],
                    "CORP\\bob",
                    9002,
                    ps,
                    "powershell -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoA",
                    cmd,
                    cmd_line,
                    7420,
                    7312,
                ),
            )
        )
    return lines


def reverse_shell_port(attack: bool) -> list[tuple[datetime, str]]:
    rng = random.Random(23)
    lines = list(_noise(rng, 60, START))
    if attack:
        when = START + timedelta(minutes=9, seconds=41)
        lines.append(
            (
                when,
                network_connection(
                    rng,
                    when,
                    HOSTS[0],
                    "CORP\\alice",
                    9101,
                    "C:\\Users\\alice\\AppData\\Local\\Temp\\svc_update.exe",
                    "198.51.100.23",
                    4444,
                    "tcp",
                ),
            )
        )
    return lines


def write_sysmon_bulk(
    path: Path, events: int, process_rate: float = 0.05, cmd_rate: float = 0.1, seed: int = 5
) -> int:
    """A large Sysmon log for benchmarks: ``process_rate`` of the events are process creations,
    ``cmd_rate`` of those start ``cmd.exe``; the rest are network connections and registry
    writes.  Returns the number of process creations of cmd.exe written."""
    rng = random.Random(seed)
    cmd_hits = 0
    with path.open("w", encoding="utf-8") as out:
        for i in range(events):
            when = START + timedelta(milliseconds=250 * i)
            host, user = HOSTS[i % 3], USERS[i % 3]
            r = rng.random()
            if r < process_rate:
                if rng.random() < cmd_rate:
                    image, command = "C:\\Windows\\System32\\cmd.exe", "cmd.exe /c whoami"
                    cmd_hits += 1
                else:
                    image, command = NOISE[i % 2][0], NOISE[i % 2][1]
                line = process_creation(
                    rng,
                    when,
                    host,
                    user,
                    i,
                    image,
                    command,
                    "C:\\Windows\\explorer.exe",
                    "C:\\Windows\\Explorer.EXE",
                )
            elif r < process_rate + (1 - process_rate) * 0.7:
                image, ip, port, proto = CONNECTIONS[i % len(CONNECTIONS)]
                line = network_connection(rng, when, host, user, i, image, ip, port, proto)
            else:
                line = registry_set(
                    rng,
                    when,
                    host,
                    user,
                    i,
                    "C:\\Windows\\System32\\svchost.exe",
                    "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\x",
                    "DWORD (0x00000001)",
                )
            out.write(line + "\n")
    return cmd_hits


def main() -> None:
    _write(HERE / "sysmon_office_spawns_shell.log", office_spawns_shell(True))
    _write(HERE / "sysmon_benign_processes.log", office_spawns_shell(False))
    _write(HERE / "sysmon_reverse_shell_port.log", reverse_shell_port(True))
    _write(HERE / "sysmon_benign_network.log", reverse_shell_port(False))


if __name__ == "__main__":
    main()
